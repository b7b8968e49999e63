"""Load the base model with transformers: device, dtype and 4-bit quantization chosen
from what the machine has. torch/transformers are imported here, in the background loader, so the server
answers probes ("starting") while they load."""

from __future__ import annotations

import importlib.util
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model_files import ModelFiles
from .settings import Settings

log = logging.getLogger(__name__)

_PREFETCH_BLOCK = 16 * 1024 * 1024


@dataclass(frozen=True)
class Placement:
    device: str  # "cuda" | "cpu"
    dtype_name: str  # "bfloat16" | "float16" | "float32"
    four_bit: bool

    def describe(self) -> str:
        return f"{self.device}, {self.dtype_name}" + (", 4-bit nf4" if self.four_bit else "")


def choose_placement(settings: Settings) -> Placement:
    import torch

    cuda = torch.cuda.is_available()
    if settings.device == "cuda" and not cuda:
        raise RuntimeError("INFERENCE_DEVICE=cuda but no CUDA device is visible to torch")
    device = "cuda" if cuda and settings.device != "cpu" else "cpu"
    if device == "cpu":
        if settings.quantization == "4bit":
            raise RuntimeError("INFERENCE_QUANTIZATION=4bit needs a CUDA GPU (bitsandbytes); this machine has none")
        return Placement("cpu", "float32", four_bit=False)
    dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    has_bnb = importlib.util.find_spec("bitsandbytes") is not None
    if settings.quantization == "4bit" and not has_bnb:
        raise RuntimeError("INFERENCE_QUANTIZATION=4bit needs bitsandbytes: add it to requirements.txt")
    return Placement("cuda", dtype, four_bit=settings.quantization == "4bit" or
                     (settings.quantization == "auto" and has_bnb))


def load_tokenizer(files: ModelFiles) -> Any:
    from transformers import AutoTokenizer

    # The fine-tuning job may have saved the tokenizer with the adapter (e.g. added tokens): prefer that one.
    # Every adapter shares it: they are all served on the same base model and vocabulary.
    adapter = files.adapter
    source = adapter if adapter and (adapter / "tokenizer_config.json").is_file() else files.base_model
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def prefetch_weights(folder: Path, workers: int = 4) -> int:
    """Read the weight files once, sequentially in large blocks and a few files at a time, into the page cache.

    safetensors are memory-mapped: loading then touches pages in tensor order, which on an SMB share (Azure Files
    at /mount) means many small random reads. One sequential pass first costs a local disk almost nothing (the
    pages stay cached for the mapping) and turns the share's reads into large streaming ones. Returns bytes read."""
    files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))

    def read(path: Path) -> int:
        total = 0
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(_PREFETCH_BLOCK):
                total += len(chunk)
        return total

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(files) or 1))) as pool:
        return sum(pool.map(read, files))


def load_base_model(base_model: Path, placement: Placement, tokenizer: Any) -> Any:
    import torch
    import transformers
    from packaging.version import Version
    from transformers import AutoModelForCausalLM

    dtype = getattr(torch, placement.dtype_name)
    # transformers renamed torch_dtype to dtype in 4.56; the template's image may be older.
    dtype_arg = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    # Memory-mapped safetensors straight to their device (no full copy in CPU memory first).
    kwargs: dict[str, Any] = {dtype_arg: dtype, "low_cpu_mem_usage": True}
    if placement.device == "cuda":
        kwargs["device_map"] = {"": 0}
    if placement.four_bit:
        from transformers import BitsAndBytesConfig

        # The template's QLoRA settings: nf4, double quantization, compute in the model dtype.
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype)
    model = AutoModelForCausalLM.from_pretrained(str(base_model), **kwargs)
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))  # tokens added during fine-tuning
    model.eval()
    return model


def context_length(model_or_config: Any, tokenizer: Any) -> int:
    config = getattr(model_or_config, "config", model_or_config)
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 1_000_000 else 2048
