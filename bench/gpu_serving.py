"""Lay out a real model for the GPU serving benchmark: the base model as the fine-tuning template caches it and two
LoRA adapters made here with PEFT (seeded random weights: the serving cost of an adapter does not depend on what
it learned), in the share's layout the app reads.

    python bench/gpu_serving.py --model /models/Qwen2.5-0.5B-Instruct --out /tmp/gpu-serving/share

No model hub is reachable on the benchmark machine: the model folder (config.json, *.safetensors, tokenizer
files) must be carried there. Run through bench/gpu_serving.sh."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ADAPTERS = {"run-a": 1, "run-b": 2}  # folder under models/ -> seed
RANK = 16
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj"]  # whichever the architecture has


def make_share(model: Path, out: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    cache = out / "model-cache" / "bench" / model.name
    cache.parent.mkdir(parents=True, exist_ok=True)
    if not cache.exists():
        os.symlink(model.resolve(), cache)  # no copy of the weights: the app reads them where they are
    base = AutoModelForCausalLM.from_pretrained(str(model), dtype=torch.float32)
    names = {name.rsplit(".", 1)[-1] for name, _ in base.named_modules()}
    targets = [t for t in TARGETS if t in names]
    for folder, seed in ADAPTERS.items():
        config = LoraConfig(r=RANK, lora_alpha=2 * RANK, target_modules=targets, task_type="CAUSAL_LM")
        peft_model = get_peft_model(base, config, adapter_name="default")
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for _, parameter in sorted(peft_model.named_parameters()):
                if parameter.requires_grad:
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.01)
        peft_model.save_pretrained(out / "models" / folder, save_embedding_layers=False)
        base = peft_model.unload()
        print(f"adapter {folder}: rank {RANK} on {', '.join(targets)}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="a carried model folder (config.json + weights)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not (args.model / "config.json").is_file():
        print(f"{args.model} has no config.json: carry a model folder to this machine first", file=sys.stderr)
        return 2
    print(make_share(args.model, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
