"""ARM's `uniqueString(...)`, byte for byte.

ARM joins the arguments with '-', hashes the UTF-8 bytes with its own 64-bit MurmurHash variant (two 32-bit
lanes, MurmurHash3 x86 constants, seed 0) and writes the top 65 bits of the hash as 13 base32 characters
(RFC 4648 alphabet, lower case, no padding). A user who provisioned with the bicep and one who provisions
with our command must land on the same names, so this has to agree with Azure exactly; the tests pin it with
outputs published from real deployments.
"""

from __future__ import annotations

_MASK32 = 0xFFFFFFFF
_C1 = 0x239B961B
_C2 = 0xAB0E9789
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_LENGTH = 13


def _rotl32(value: int, count: int) -> int:
    return ((value << count) | (value >> (32 - count))) & _MASK32


def _fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    return h ^ (h >> 16)


def _lane1(k: int) -> int:
    return (_rotl32((k * _C1) & _MASK32, 15) * _C2) & _MASK32


def _lane2(k: int) -> int:
    return (_rotl32((k * _C2) & _MASK32, 17) * _C1) & _MASK32


def murmur_hash64(data: bytes) -> int:
    """ARM's 64-bit MurmurHash (seed 0): 8-byte blocks feed two interleaved 32-bit lanes."""
    length = len(data)
    h1 = h2 = 0
    end = length - length % 8
    for i in range(0, end, 8):
        h1 ^= _lane1(int.from_bytes(data[i:i + 4], "little"))
        h1 = (_rotl32(h1, 19) + h2) & _MASK32
        h1 = (h1 * 5 + 0x561CCD1B) & _MASK32
        h2 ^= _lane2(int.from_bytes(data[i + 4:i + 8], "little"))
        h2 = (_rotl32(h2, 13) + h1) & _MASK32
        h2 = (h2 * 5 + 0x0BCAA747) & _MASK32
    tail = data[end:]
    if tail:
        # Up to 4 tail bytes go to lane 1, the rest (1-3) to lane 2; no further mixing rounds.
        h1 ^= _lane1(int.from_bytes(tail[:4], "little"))
        if len(tail) > 4:
            h2 ^= _lane2(int.from_bytes(tail[4:], "little"))
    h1 ^= length & _MASK32
    h2 ^= length & _MASK32
    h1 = (h1 + h2) & _MASK32
    h2 = (h2 + h1) & _MASK32
    h1 = _fmix32(h1)
    h2 = _fmix32(h2)
    h1 = (h1 + h2) & _MASK32
    h2 = (h2 + h1) & _MASK32
    return (h2 << 32) | h1


def _base32(value: int) -> str:
    # 13 groups of 5 bits from the top; the 13th group is the last 4 bits followed by a zero bit.
    padded = value << 1  # 65 bits
    return "".join(_ALPHABET[(padded >> (60 - 5 * i)) & 31] for i in range(_LENGTH))


def unique_string(*parts: str) -> str:
    """`uniqueString(part1, part2, ...)` as ARM evaluates it (case-sensitive, like ARM)."""
    if not parts:
        raise ValueError("uniqueString needs at least one value")
    return _base32(murmur_hash64("-".join(parts).encode("utf-8")))
