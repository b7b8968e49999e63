"""Security descriptors as Create/Get Permission carry them: SDDL text and the self-relative binary form.

Both are parsed into one model (owner, group, DACL, SACL) so a permission created in one format can be read
in the other, and a malformed one is refused (400 FileInvalidPermission, see `permissions.py`). Covered:
SIDs in S-1-... form and the well-known two-letter aliases, ACE types A/D/AU/AL, ACE flags, rights as hex or
the generic/standard/file letters, ACL flags P/AI/AR, null ACLs (NO_ACCESS_CONTROL). Object ACEs (with GUIDs)
and conditional ACEs are refused. The text and the bytes come out as Windows writes them (aliases for
well-known SIDs, FA/FR/FW/FX for those exact rights, SACL-DACL-owner-group layout).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

_ALIASES = {"WD": "S-1-1-0", "CO": "S-1-3-0", "CG": "S-1-3-1", "OW": "S-1-3-4", "NU": "S-1-5-2", "IU": "S-1-5-4",
            "SU": "S-1-5-6", "AN": "S-1-5-7", "ED": "S-1-5-9", "PS": "S-1-5-10", "AU": "S-1-5-11",
            "RC": "S-1-5-12", "SY": "S-1-5-18", "LS": "S-1-5-19", "NS": "S-1-5-20", "BA": "S-1-5-32-544",
            "BU": "S-1-5-32-545", "BG": "S-1-5-32-546", "PU": "S-1-5-32-547", "AO": "S-1-5-32-548",
            "SO": "S-1-5-32-549", "PO": "S-1-5-32-550", "BO": "S-1-5-32-551", "RE": "S-1-5-32-552",
            "RU": "S-1-5-32-554", "RD": "S-1-5-32-555", "NO": "S-1-5-32-556", "WR": "S-1-5-33",
            "LW": "S-1-16-4096", "ME": "S-1-16-8192", "HI": "S-1-16-12288", "SI": "S-1-16-16384"}
_ACE_TYPES = {"A": 0, "D": 1, "AU": 2, "AL": 3}
_ACE_FLAGS = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "ID": 0x10, "SA": 0x40, "FA": 0x80}
_RIGHTS = {"GA": 0x10000000, "GX": 0x20000000, "GW": 0x40000000, "GR": 0x80000000, "SD": 0x10000, "RC": 0x20000,
           "WD": 0x40000, "WO": 0x80000, "FA": 0x1F01FF, "FR": 0x120089, "FW": 0x120116, "FX": 0x1200A0,
           "CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40, "LO": 0x80, "CR": 0x100}
_ACL_CONTROL = {"D": {"P": 0x1000, "AI": 0x0400, "AR": 0x0100}, "S": {"P": 0x2000, "AI": 0x0800, "AR": 0x0200}}
_SID = re.compile(r"^S-1-(\d+)((?:-\d+){0,15})$")
_ACE = re.compile(r"\(([^()]*)\)")


class InvalidDescriptor(ValueError):
    pass


@dataclass
class Ace:
    type: int
    flags: int
    mask: int
    sid: str


@dataclass
class Descriptor:
    owner: str | None = None
    group: str | None = None
    dacl: list[Ace] | None = None
    sacl: list[Ace] | None = None
    control: int = 0  # the ACL flags (P, AI, AR) as control bits
    null_acls: set[str] = field(default_factory=set)  # "D"/"S" present but NO_ACCESS_CONTROL (a null ACL)


def _sid(text: str) -> str:
    sid = _ALIASES.get(text.upper(), text.upper())
    if not _SID.match(sid):
        raise InvalidDescriptor(f"'{text}' is not a SID")
    return sid


def _flags(text: str, table: dict[str, int]) -> int:
    value = 0
    for index in range(0, len(text), 2):
        letter = text[index:index + 2].upper()
        if letter not in table:
            raise InvalidDescriptor(f"'{letter}' is not a known flag")
        value |= table[letter]
    return value


def _mask(text: str) -> int:
    if text.lower().startswith("0x"):
        return int(text, 16)
    if text.isdigit():
        return int(text)
    return _flags(text, _RIGHTS)


def _acl(kind: str, text: str, descriptor: Descriptor) -> list[Ace]:
    flags, _, aces = text.partition("(")
    aces = "(" + aces if aces else ""
    if flags.upper().endswith("NO_ACCESS_CONTROL") and not aces:
        descriptor.null_acls.add(kind)
        flags = flags[: -len("NO_ACCESS_CONTROL")]
    if not re.fullmatch(r"(?:P|AI|AR)*", flags.upper()):
        raise InvalidDescriptor(f"'{flags}' are not ACL flags")
    for token in re.findall(r"P|AI|AR", flags.upper()):
        descriptor.control |= _ACL_CONTROL[kind][token]
    found = _ACE.findall(aces)
    if _ACE.sub("", aces).strip():
        raise InvalidDescriptor("text between ACEs")
    result = []
    for ace in found:
        fields = ace.split(";")
        if len(fields) != 6 or fields[0].upper() not in _ACE_TYPES or fields[3] or fields[4]:
            raise InvalidDescriptor(f"'({ace})' is not a supported ACE")
        result.append(Ace(_ACE_TYPES[fields[0].upper()], _flags(fields[1], _ACE_FLAGS), _mask(fields[2]),
                          _sid(fields[5])))
    return result


def parse_sddl(text: str) -> Descriptor:
    descriptor = Descriptor()
    parts = re.split(r"(?:^|(?<=[)\w]))([OGDS]):", text.strip())
    if parts[0].strip() or len(parts) < 3:
        raise InvalidDescriptor("not SDDL")
    for index in range(1, len(parts), 2):
        tag, value = parts[index], parts[index + 1]
        if tag == "O":
            descriptor.owner = _sid(value)
        elif tag == "G":
            descriptor.group = _sid(value)
        elif tag == "D":
            descriptor.dacl = _acl("D", value, descriptor)
        else:
            descriptor.sacl = _acl("S", value, descriptor)
    return descriptor


def _sid_text(sid: str) -> str:
    reverse = {value: alias for alias, value in _ALIASES.items()}
    return reverse.get(sid, sid)


def _mask_text(mask: int) -> str:
    """The file-rights letters for the exact combinations Windows names (FA, FR, FW, FX), else hex."""
    for name in ("FA", "FR", "FW", "FX"):
        if mask == _RIGHTS[name]:
            return name
    return f"0x{mask:x}"


def to_sddl(descriptor: Descriptor) -> str:
    out = ""
    if descriptor.owner:
        out += f"O:{_sid_text(descriptor.owner)}"
    if descriptor.group:
        out += f"G:{_sid_text(descriptor.group)}"
    for kind, acl in (("D", descriptor.dacl), ("S", descriptor.sacl)):
        if acl is None and kind not in descriptor.null_acls:
            continue
        flags = "".join(name for name, bit in _ACL_CONTROL[kind].items() if descriptor.control & bit)
        if kind in descriptor.null_acls:
            out += f"{kind}:{flags}NO_ACCESS_CONTROL"
            continue
        types = {value: name for name, value in _ACE_TYPES.items()}
        aces = "".join(f"({types[a.type]};{''.join(n for n, b in _ACE_FLAGS.items() if a.flags & b)};"
                       f"{_mask_text(a.mask)};;;{_sid_text(a.sid)})" for a in acl or [])
        out += f"{kind}:{flags}{aces}"
    return out


def _sid_bytes(sid: str) -> bytes:
    numbers = [int(part) for part in sid.split("-")[2:]]
    authority, subs = numbers[0], numbers[1:]
    return struct.pack("<BB", 1, len(subs)) + authority.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def _acl_bytes(acl: list[Ace]) -> bytes:
    body = b""
    for ace in acl:
        sid = _sid_bytes(ace.sid)
        body += struct.pack("<BBHI", ace.type, ace.flags, 8 + len(sid), ace.mask) + sid
    return struct.pack("<BBHHH", 2, 0, 8 + len(body), len(acl), 0) + body


def to_binary(descriptor: Descriptor) -> bytes:
    """Self-relative layout as Windows writes it: the 20-byte header, then SACL, DACL, owner, group (an absent
    part, or a null ACL, has offset 0; a null ACL still sets its "present" bit)."""
    control = 0x8000 | descriptor.control
    parts: list[bytes | None] = []
    for kind, acl, present_bit in (("S", descriptor.sacl, 0x10), ("D", descriptor.dacl, 0x04)):
        if acl is not None or kind in descriptor.null_acls:
            control |= present_bit
        parts.append(_acl_bytes(acl) if acl is not None and kind not in descriptor.null_acls else None)
    parts += [_sid_bytes(descriptor.owner) if descriptor.owner else None,
              _sid_bytes(descriptor.group) if descriptor.group else None]
    offsets, position = [], 20
    for part in parts:
        offsets.append(position if part is not None else 0)
        position += len(part or b"")
    sacl, dacl, owner, group = offsets
    return struct.pack("<BBHIIII", 1, 0, control, owner, group, sacl, dacl) + b"".join(part or b"" for part in parts)


def _read_sid(data: bytes, offset: int) -> tuple[str, int]:
    revision, count = data[offset], data[offset + 1]
    if revision != 1 or offset + 8 + 4 * count > len(data):
        raise InvalidDescriptor("bad SID")
    authority = int.from_bytes(data[offset + 2:offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", data, offset + 8)
    return "S-1-" + "-".join(map(str, (authority, *subs))), 8 + 4 * count


def _read_acl(data: bytes, offset: int) -> list[Ace]:
    _revision, _, _size, count, _ = struct.unpack_from("<BBHHH", data, offset)
    position, aces = offset + 8, []
    for _ in range(count):
        kind, flags, size, mask = struct.unpack_from("<BBHI", data, position)
        if kind not in _ACE_TYPES.values():
            raise InvalidDescriptor(f"ACE type {kind} is not supported")
        sid, _ = _read_sid(data, position + 8)
        aces.append(Ace(kind, flags, mask, sid))
        position += size
    return aces


def parse_binary(data: bytes) -> Descriptor:
    try:
        revision, _, control, owner, group, sacl, dacl = struct.unpack_from("<BBHIIII", data, 0)
        if revision != 1 or not control & 0x8000:
            raise InvalidDescriptor("not a self-relative security descriptor")
        descriptor = Descriptor(owner=_read_sid(data, owner)[0] if owner else None,
                                group=_read_sid(data, group)[0] if group else None,
                                dacl=_read_acl(data, dacl) if control & 0x04 and dacl else None,
                                sacl=_read_acl(data, sacl) if control & 0x10 and sacl else None,
                                control=control & 0x3F00)
    except (struct.error, IndexError) as error:
        raise InvalidDescriptor(str(error)) from None
    for kind, bit, offset in (("D", 0x04, dacl), ("S", 0x10, sacl)):
        if control & bit and not offset:
            descriptor.null_acls.add(kind)
    return descriptor
