"""Find the base model and the LoRA adapter where the AI Toolkit fine-tuning template leaves them.

The template's fine-tuning job caches the base model at `model-cache/<org>/<model>` (olive-config
`input_model.model_path`) and writes the adapter under `models/` (engine `output_dir` "models/qlora"; the
template's inference scripts read `models/qlora/qlora/gpu_model/adapter`). Training checkpoints
(`models/checkpoints/checkpoint-N/`) also hold adapter_config.json files - they are the fallback, not the pick.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)

TEMPLATE_ADAPTER = Path("models/qlora/qlora/gpu_model/adapter")
MODEL_CACHE = "model-cache"
MODELS = "models"
_MAX_DEPTH = 7


class ModelFilesError(RuntimeError):
    """The model files are missing or ambiguous; the message says where we looked and which variable to set."""


@dataclass(frozen=True)
class ModelFiles:
    base_model: Path
    adapter: Path | None
    model_id: str

    def describe(self) -> str:
        return f"{self.base_model}" + (f" + adapter {self.adapter}" if self.adapter else " (no adapter)")


def locate_model_files(settings: Settings) -> ModelFiles:
    adapter = None if settings.base_only else _adapter(settings)
    base = _base_model(settings, _adapter_base_name(adapter))
    return ModelFiles(base_model=base, adapter=adapter, model_id=settings.served_model_name or base.name)


def _adapter(settings: Settings) -> Path | None:
    if settings.adapter_path is not None:
        if not (settings.adapter_path / "adapter_config.json").is_file():
            raise ModelFilesError(f"ADAPTER_PATH={settings.adapter_path} has no adapter_config.json: point it at "
                                  "the folder the fine-tuning job saved the LoRA adapter to")
        return settings.adapter_path
    root = settings.model_root
    if (root / TEMPLATE_ADAPTER / "adapter_config.json").is_file():
        return root / TEMPLATE_ADAPTER
    found = [config.parent for config in _find(root / MODELS, "adapter_config.json")]
    if not found:
        log.warning("No LoRA adapter under %s (looked for */adapter_config.json): serving the base model only. "
                    "Set ADAPTER_PATH to the adapter folder to serve the fine-tuned model.", root / MODELS)
        return None
    # A finished adapter beats a training checkpoint; among equals the newest wins.
    found.sort(key=lambda p: ("checkpoint" not in p.as_posix(), p.stat().st_mtime), reverse=True)
    if len(found) > 1:
        log.warning("Several adapters under %s; using %s (set ADAPTER_PATH to choose another: %s)",
                    root / MODELS, found[0], ", ".join(str(p) for p in found[1:]))
    return found[0]


def _adapter_base_name(adapter: Path | None) -> str | None:
    if adapter is None:
        return None
    try:
        config = json.loads((adapter / "adapter_config.json").read_text())
    except (OSError, ValueError) as error:
        raise ModelFilesError(f"{adapter / 'adapter_config.json'} cannot be read: {error}") from None
    name = config.get("base_model_name_or_path")
    return name if isinstance(name, str) and name else None


def _base_model(settings: Settings, adapter_base: str | None) -> Path:
    if settings.base_model_path is not None:
        if not (settings.base_model_path / "config.json").is_file():
            raise ModelFilesError(f"BASE_MODEL_PATH={settings.base_model_path} has no config.json: point it at "
                                  "the base model folder (config.json, tokenizer and weights)")
        return settings.base_model_path
    cache = settings.model_root / MODEL_CACHE
    candidates = sorted(config.parent for config in _find(cache, "config.json", max_depth=3))
    if not candidates:
        raise ModelFilesError(f"no model found under {cache} (expected {MODEL_CACHE}/<org>/<model>/config.json). "
                              "Run the fine-tuning job first, or set BASE_MODEL_PATH (or MODEL_ROOT)")
    if adapter_base:
        # The adapter names the model it was trained on, e.g. "microsoft/Phi-3-mini-4k-instruct" or a path.
        tail = Path(adapter_base).parts[-2:]
        for candidate in candidates:
            if candidate.parts[-len(tail):] == tail:
                return candidate
    if len(candidates) == 1:
        return candidates[0]
    raise ModelFilesError(f"several models under {cache} ({', '.join(str(c) for c in candidates)}) and the "
                          "adapter does not say which one it was trained on: set BASE_MODEL_PATH")


def _find(root: Path, name: str, max_depth: int = _MAX_DEPTH) -> list[Path]:
    found: list[Path] = []
    if not root.is_dir():
        return found
    level = [root]
    for _ in range(max_depth):
        following: list[Path] = []
        for folder in level:
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name == name and entry.is_file():
                    found.append(entry)
                elif entry.is_dir() and not entry.name.startswith("."):
                    following.append(entry)
        level = following
    return found
