"""ARM's uniqueString, pinned to outputs published from Azure itself and from Microsoft's own implementation.

Sources of the pairs (each states the input and the output Azure/Microsoft's code produced):
- Azure/missionlz issue #379 (https://github.com/Azure/missionlz/issues/379): `az deployment sub create --name
  sg-mlztest` with `uniqueString(deployment().name)` named the resource group with 'szxg4yhfjgtvq' - a real
  deployment.
- Stack Overflow 43295720 "Azure ARM uniqueString function mimic" (answer updated 2023-01-05): Microsoft's
  Azure.Deployments.Expression package (the ARM expression engine) and the Azure Stack Hub server assemblies
  both return "zcztcwvu6iyg6" for uniqueString("tyeth").
- JasonWhall/go-azure-uniquestring README: uniqueString('hello', 'world') -> 'a7wkljktk6wne', with the 64-bit
  hash 571013382255652050 of "hello-world".
- cloud-maker-ai/terraform-provider-arm2tf, internal/provider/resource_unique_string_test.go: ['test'] ->
  'rbgf3xv4ufgzg' and ['test', 'test2', 'test3'] -> 'bqgd334z2uj64' (16 bytes: two full blocks, so the two
  hash lanes feed each other).
Between them the inputs cover a tail-only input of 4 and 5 bytes, one block plus a tail, and two whole blocks.
"""

from __future__ import annotations

import pytest

from aca_inference.workspace.unique_string import murmur_hash64, unique_string

PUBLISHED = [
    (("sg-mlztest",), "szxg4yhfjgtvq"),
    (("tyeth",), "zcztcwvu6iyg6"),
    (("hello", "world"), "a7wkljktk6wne"),
    (("test",), "rbgf3xv4ufgzg"),
    (("test", "test2", "test3"), "bqgd334z2uj64"),
]


@pytest.mark.parametrize(("parts", "expected"), PUBLISHED, ids=["-".join(p) for p, _ in PUBLISHED])
def test_matches_values_published_from_azure(parts: tuple[str, ...], expected: str) -> None:
    assert unique_string(*parts) == expected


def test_hash_of_joined_parts_matches_the_published_64_bit_value() -> None:
    assert murmur_hash64(b"hello-world") == 571013382255652050


def test_parts_are_joined_with_a_hyphen() -> None:
    assert unique_string("hello", "world") == unique_string("hello-world")
    assert unique_string("hello", "world") != unique_string("helloworld")


def test_is_case_sensitive_like_arm() -> None:
    rg = "/subscriptions/5f6c8d2a-0000-4000-8000-00000000aca0/resourceGroups/"
    assert unique_string(rg + "MyGroup") != unique_string(rg + "mygroup")


@pytest.mark.parametrize("length", range(0, 40))
def test_always_thirteen_lower_case_base32_characters(length: int) -> None:
    value = unique_string("x" * length)
    assert len(value) == 13
    assert set(value) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_needs_at_least_one_value() -> None:
    with pytest.raises(ValueError, match="at least one"):
        unique_string()
