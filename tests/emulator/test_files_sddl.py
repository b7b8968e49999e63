"""The security-descriptor codec behind Create/Get Permission, against a pair the service itself produced
(the SDDL and binary forms of one permission, as recorded by azure-storage-file-share's own tests)."""

from __future__ import annotations

import base64

import pytest

from aca_emulator.files.sddl import InvalidDescriptor, parse_binary, parse_sddl, to_binary, to_sddl

SERVICE_SDDL = ("O:S-1-5-21-2127521184-1604012920-1887927527-21560751G:S-1-5-21-2127521184-1604012920-1887927527-513"
                "D:AI(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;S-1-5-21-397955417-626881126-188441444-3053964)"
                "S:NO_ACCESS_CONTROL")
SERVICE_BINARY = ("AQAUhGwAAACIAAAAAAAAABQAAAACAFgAAwAAAAAAFAD/AR8AAQEAAAAAAAUSAAAAAAAYAP8BHwABAgAAAAAABSAAAAAgAgAAAAAkAKkA"
                  "EgABBQAAAAAABRUAAABZUbgXZnJdJWRjOwuMmS4AAQUAAAAAAAUVAAAAoGXPfnhLm1/nfIdwr/1IAQEFAAAAAAAFFQAAAKBlz354S5tf"
                  "53yHcAECAAA=")


def test_sddl_becomes_the_services_exact_bytes() -> None:
    assert base64.b64encode(to_binary(parse_sddl(SERVICE_SDDL))).decode() == SERVICE_BINARY


def test_the_services_bytes_read_back_as_its_sddl() -> None:
    assert to_sddl(parse_binary(base64.b64decode(SERVICE_BINARY))) == SERVICE_SDDL


def test_hex_rights_and_numeric_sids_come_out_as_windows_names_them() -> None:
    assert to_sddl(parse_sddl("O:S-1-5-18G:S-1-5-32-544D:P(A;OICI;0x1f01ff;;;S-1-1-0)")) == "O:SYG:BAD:P(A;OICI;FA;;;WD)"


@pytest.mark.parametrize("text", ["", "nonsense", "O:XX", "D:(Z;;FA;;;SY)", "D:(A;;FA;;;SY", "D:Q(A;;FA;;;SY)",
                                  "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"])
def test_malformed_sddl_is_refused(text: str) -> None:
    with pytest.raises(InvalidDescriptor):
        parse_sddl(text)


@pytest.mark.parametrize("data", [b"", b"\x02\x00\x04\x80" + bytes(16), b"\x01\x00\x04\x00" + bytes(16),
                                  b"\x01\x00\x04\x80" + bytes(12) + b"\x14\x00\x00\x00"])
def test_malformed_binary_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidDescriptor):
        parse_binary(data)
