#!/usr/bin/env bash
# The GPU serving comparison (NOT run by this project's CI: it needs a CUDA machine and a carried model).
#
#   bash bench/gpu_serving.sh /path/to/Qwen2.5-0.5B-Instruct      # any small instruct model folder
#
# Makes two LoRA adapters for the model with PEFT, then measures at 1 and 16 concurrent streams, on the default
# adapter and mixed over the base model and both adapters: tokens/s and TTFT p50/p95 for
#   transformers-bf16 - the app's transformers engine: continuous batching, adapters mixed in the batch
#   transformers-4bit - the same on the 4-bit (nf4) model, as QLoRA serves it (when bitsandbytes is installed)
#   vllm              - the app with vLLM (per-request LoRARequest, continuous batching; when vllm is installed)
#   template          - the AI Toolkit template's way: one `generate` per request, no queue, no batching
# Results: bench/results/gpu_serving.json (and the table on stdout). Needs torch with CUDA, transformers, peft,
# gradio, fastapi, uvicorn, openai, httpx (inference/requirements.txt + openai); no network at run time.
set -euo pipefail
MODEL="${1:?usage: bash bench/gpu_serving.sh /path/to/carried/instruct-model}"
WORK="${WORK:-/tmp/gpu-serving}"
PY="${PYTHON:-python3}"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/server${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible'; print(torch.cuda.get_device_name(0))"
"$PY" bench/gpu_serving.py --model "$MODEL" --out "$WORK/share"
engines=(--engine transformers-bf16 --engine template)
if "$PY" -c "import bitsandbytes" 2>/dev/null; then engines+=(--engine transformers-4bit); else echo "bitsandbytes not installed: 4-bit skipped"; fi
if "$PY" -c "import vllm" 2>/dev/null; then engines+=(--engine vllm); else echo "vllm not installed: skipped"; fi
timeout 3000 "$PY" bench/inference_bench.py --model-root "$WORK/share" "${engines[@]}" --mix-adapters \
  --streams 1 --streams 16 --runs 3 --max-tokens 256 --name gpu_serving
