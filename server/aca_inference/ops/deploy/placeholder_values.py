"""What to put where a template left a placeholder: the value the fine-tuning used when the project's fine-tuning
config says it (AI Toolkit: `finetuning/olive-config.json`, its QLoRA pass and data config), else the usual one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .placeholders import Placeholder

FINETUNING_FOLDERS = ("finetuning", "configs")
# placeholder -> (keys the fine-tuning config may hold it under, what it is, the usual value or None)
KNOWN: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "compute_dtype": (("compute_dtype", "bnb_4bit_compute_dtype", "torch_dtype"),
                      "the dtype the fine-tuning computed in", "bfloat16 (float16 on a GPU without bfloat16, a T4)"),
    "quant_type": (("quant_type", "bnb_4bit_quant_type"), "the 4-bit quantization type of the fine-tuning", "nf4"),
    "prompt_template": (("prompt_template", "text_template", "chat_template"),
                        "the prompt template the fine-tuning trained with", None),
}


def _configs(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder in FINETUNING_FOLDERS:
        if (root / folder).is_dir():
            found += sorted(p for p in (root / folder).rglob("*.json") if len(p.relative_to(root).parts) <= 4)
    return found[:50]


def _find_key(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str | int | float) and not isinstance(value.get(key), bool):
                return value[key]
        for child in value.values():
            if (found := _find_key(child, keys)) is not None:
                return found
    elif isinstance(value, list):
        for child in value:
            if (found := _find_key(child, keys)) is not None:
                return found
    return None


def value_for(root: Path, placeholder: Placeholder) -> str:
    """One sentence: what to write there, and where that comes from."""
    keys, what, usual = KNOWN.get(placeholder.name, ((placeholder.name,), "the value the template expects", None))
    for config in _configs(root):
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (found := _find_key(data, keys)) is not None:
            value = json.dumps(str(found).removeprefix("torch."))[1:-1]  # escaped as it goes into the code
            shown = placeholder.written.replace(f"<{placeholder.name}>", value)
            return (f"put {what} there, as {config.relative_to(root).as_posix()} says: {shown[:100]}")
    if usual:
        return f"put {what} there: {usual}"
    return f"put {what} there" + ("" if _configs(root) else " (the project has no fine-tuning config to read it from)")
