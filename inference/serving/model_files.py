"""Find the base model and the LoRA adapters where the AI Toolkit fine-tuning template leaves them.

The template's fine-tuning job caches the base model at `model-cache/<org>/<model>` (olive-config
`input_model.model_path`) and writes each run's adapter under `models/` (engine `output_dir` "models/qlora"; the
template's inference scripts read `models/qlora/qlora/gpu_model/adapter`). Every finished adapter found there is
served, each under its own model id; training checkpoints (`checkpoint-N/`, which also hold adapter_config.json)
are left out unless INFERENCE_INCLUDE_CHECKPOINTS asks for them.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)

TEMPLATE_ADAPTER = Path("models/qlora/qlora/gpu_model/adapter")
MODEL_CACHE = "model-cache"
MODELS = "models"
_MAX_DEPTH = 7
# Folder names that say how the template lays out a run's output, not which run it is: left out of the id.
_LAYOUT_PARTS = {"adapter", "adapters", "gpu_model", "cpu_model", "output", "outputs", "final"}


class ModelFilesError(RuntimeError):
    """The model files are missing or ambiguous; the message says where we looked and which variable to set."""


@dataclass(frozen=True)
class AdapterFiles:
    """One LoRA adapter folder, served as model `id` on top of the base model."""

    id: str
    path: Path


@dataclass(frozen=True)
class ModelFiles:
    base_model: Path
    adapters: tuple[AdapterFiles, ...]
    model_id: str  # the base model's id
    # What a request without `model` gets: the preferred adapter (the fine-tuned model), else the base model.
    default_id: str

    @property
    def adapter(self) -> Path | None:
        """The preferred adapter (the one served when a request names no model)."""
        return next((a.path for a in self.adapters if a.id == self.default_id), None)

    def describe(self) -> str:
        if not self.adapters:
            return f"{self.base_model} (no adapter)"
        return f"{self.base_model} + adapters " + ", ".join(f"{a.id}={a.path}" for a in self.adapters)


def locate_model_files(settings: Settings) -> ModelFiles:
    adapters = [] if settings.base_only else _adapters(settings)
    base = _base_model(settings, _adapter_base_name(adapters[0] if adapters else None))
    model_id = settings.served_model_name or base.name
    named = _named(adapters, settings.model_root / MODELS, model_id)
    return ModelFiles(base_model=base, adapters=tuple(named), model_id=model_id,
                      default_id=named[0].id if named else model_id)


def scan_adapters(settings: Settings, base_id: str) -> tuple[AdapterFiles, ...]:
    """The adapters `models/` holds now (for a reload): same rules and ids as at start."""
    if settings.base_only:
        return ()
    return tuple(_named(_adapters(settings, quiet=True), settings.model_root / MODELS, base_id))


def adapter_id(path: Path, models_root: Path) -> str:
    """A stable, readable id from the adapter's place under models/: `models/qlora/qlora/gpu_model/adapter` ->
    "qlora", `models/run-7/qlora/qlora/gpu_model/adapter` -> "run-7/qlora"."""
    try:
        parts = path.relative_to(models_root).parts
    except ValueError:
        parts = (path.name,)
    kept: list[str] = []
    for part in parts:
        if part.lower() in _LAYOUT_PARTS or (kept and kept[-1] == part):
            continue
        kept.append(re.sub(r"[^A-Za-z0-9._/-]+", "-", part))
    return "/".join(kept) or path.name or "adapter"


def _named(paths: list[Path], models_root: Path, base_id: str) -> list[AdapterFiles]:
    named: list[AdapterFiles] = []
    taken = {base_id}
    for path in paths:
        ident = adapter_id(path, models_root)
        candidate, n = ident, 2
        while candidate in taken:  # two folders that shorten to the same id stay apart
            candidate, n = f"{ident}-{n}", n + 1
        taken.add(candidate)
        named.append(AdapterFiles(id=candidate, path=path))
    return named


def _adapters(settings: Settings, quiet: bool = False) -> list[Path]:
    """Adapter folders, the preferred one first: ADAPTER_PATH alone, else the template's folder, then the other
    finished adapters newest first (then checkpoints, when included)."""
    if settings.adapter_path is not None:
        if not (settings.adapter_path / "adapter_config.json").is_file():
            raise ModelFilesError(f"ADAPTER_PATH={settings.adapter_path} has no adapter_config.json: point it at "
                                  "the folder the fine-tuning job saved the LoRA adapter to")
        return [settings.adapter_path]
    root = settings.model_root
    found = [config.parent for config in _find(root / MODELS, "adapter_config.json")]
    checkpoints = [p for p in found if _is_checkpoint(p)]
    finished = [p for p in found if not _is_checkpoint(p)]
    if not finished and checkpoints and not settings.include_checkpoints and not quiet:
        log.warning("Only training checkpoints under %s (%s): not served. Set INFERENCE_INCLUDE_CHECKPOINTS=true "
                    "to serve them, or ADAPTER_PATH to pick one.", root / MODELS,
                    ", ".join(str(p) for p in checkpoints))
    chosen = finished + (checkpoints if settings.include_checkpoints else [])
    if not chosen and not quiet:
        log.warning("No LoRA adapter under %s (looked for */adapter_config.json): serving the base model only. "
                    "Set ADAPTER_PATH to the adapter folder to serve the fine-tuned model.", root / MODELS)
    # The template's folder first, then finished before checkpoints, newest first among equals.
    chosen.sort(key=lambda p: (p == root / TEMPLATE_ADAPTER, not _is_checkpoint(p), _mtime(p)), reverse=True)
    return chosen


def _is_checkpoint(path: Path) -> bool:
    return any(part.startswith("checkpoint") for part in path.parts)


def _mtime(path: Path) -> float:
    try:
        return (path / "adapter_config.json").stat().st_mtime
    except OSError:
        return 0.0


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
