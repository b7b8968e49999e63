"""The emulator owns its copy of Azure's naming rules (it never imports the product); the product's pre-check
and the local Azure must still give every name the same answer, word for word."""

from __future__ import annotations

import pytest

from aca_emulator import naming as emulator_naming
from aca_inference.workspace import naming as product_naming

NAMES = ["", "a", "ab", "abc", "a" * 24, "a" * 25, "a" * 32, "a" * 33, "a" * 60, "a" * 61, "a" * 63, "a" * 64,
         "a" * 90, "a" * 91, "Upper", "with-hyphen", "double--hyphen", "-start", "end-", "1digit", "under_score",
         "dot.ted", "ends.", "(paren)", "space here", "ümlaut", "ab/cd"]


@pytest.mark.parametrize("kind", list(product_naming.ResourceKind))
def test_the_emulator_and_the_product_refuse_the_same_names_with_the_same_words(kind: str) -> None:
    assert [k.value for k in emulator_naming.ResourceKind] == [k.value for k in product_naming.ResourceKind]
    for name in NAMES:
        assert emulator_naming.check_name(emulator_naming.ResourceKind(kind), name) == \
            product_naming.check_name(product_naming.ResourceKind(kind), name), name
