"""A tiny, offline stand-in for a fine-tuned Phi-3: base model + tokenizer + LoRA adapter, made in seconds.

No model hub is reachable here, so tests and the local demo need a model that has the real thing's shape:
the Phi-3 architecture (`Phi3ForCausalLM`, fused `qkv_proj`), a BPE tokenizer with Phi-3's chat template and
special tokens, and a peft LoRA adapter on `qkv_proj`/`o_proj` - laid out as the AI Toolkit fine-tuning
template leaves them on the share:

    <root>/model-cache/<org>/<model>/          config.json, model.safetensors, tokenizer files
    <root>/models/qlora/qlora/gpu_model/adapter/ adapter_config.json, adapter_model.safetensors

(the template's olive-config writes `models/qlora` and its inference scripts read
`../model-cache/microsoft/Phi-3-mini-4k-instruct` and `../models/qlora/qlora/gpu_model/adapter`).
The app loads this model with exactly the code it uses for a real one.

Everything is seeded, so two runs write the same bytes. The weights are random: answers are gibberish, but the
adapter's weights are non-zero, so base-only and adapter outputs differ - as they would after fine-tuning.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEMO_ORG = "aca-inference"
DEMO_MODEL = "tiny-phi-3-demo"
# The template's adapter folder, relative to models/.
DEMO_ADAPTER = "qlora/qlora/gpu_model/adapter"

# Phi-3-mini-4k-instruct's special tokens and chat template (tokenizer_config.json of the real model).
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<|endoftext|>", "<|assistant|>", "<|end|>", "<|system|>", "<|user|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)
VOCAB_SIZE = 1024
CORPUS = "demo_corpus.txt"


@dataclass(frozen=True)
class DemoModel:
    """Where the demo model went. Every field is a path (front ends print them as strings)."""

    root: Path
    base_model_path: Path
    adapter_path: Path


def make_demo_model(output_root: Path, *, seed: int = 0, org: str = DEMO_ORG, model: str = DEMO_MODEL,
                    adapter: str = DEMO_ADAPTER) -> DemoModel:
    """Write the demo base model under `output_root/model-cache/<org>/<model>` and its LoRA adapter under
    `output_root/models/<adapter>`; existing files there are replaced. Same arguments -> same bytes."""
    output_root = Path(output_root)
    base_path = output_root / "model-cache" / org / model
    adapter_path = output_root / "models" / adapter
    base_path.mkdir(parents=True, exist_ok=True)
    adapter_path.mkdir(parents=True, exist_ok=True)

    with _quiet_library_output():
        _write(base_path, adapter_path, seed, base_model_name=f"{org}/{model}")
    return DemoModel(root=output_root, base_model_path=base_path, adapter_path=adapter_path)


def add_demo_adapter(output_root: Path, adapter: str, *, seed: int, org: str = DEMO_ORG,
                     model: str = DEMO_MODEL) -> Path:
    """One more LoRA adapter for the demo base model already under `output_root` (as a second fine-tuning run
    would leave it), at `output_root/models/<adapter>`. Another seed, other weights, other answers."""
    output_root = Path(output_root)
    base_path = output_root / "model-cache" / org / model
    adapter_path = output_root / "models" / adapter
    with _quiet_library_output():
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(str(base_path))
        _lora_adapter(base, seed).save_pretrained(adapter_path, safe_serialization=True, save_embedding_layers=False)
        _finish_adapter_folder(adapter_path, base_model_name=f"{org}/{model}")
    return adapter_path


def _write(base_path: Path, adapter_path: Path, seed: int, base_model_name: str) -> None:
    tokenizer = _train_tokenizer()
    tokenizer.save_pretrained(base_path)
    _portable_tokenizer_config(base_path / "tokenizer_config.json")
    base = _base_model(tokenizer, seed)
    base.save_pretrained(base_path, safe_serialization=True)
    _portable_model_config(base_path / "config.json")
    # save_embedding_layers=False: peft would otherwise look the base model name up on the hub.
    _lora_adapter(base, seed).save_pretrained(adapter_path, safe_serialization=True, save_embedding_layers=False)
    _finish_adapter_folder(adapter_path, base_model_name=base_model_name)


@contextlib.contextmanager
def _quiet_library_output() -> Iterator[None]:
    """No progress bars or library deprecation chatter in the CLI/daemon output while writing."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _train_tokenizer():  # -> PreTrainedTokenizerFast
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    text = resources.files("aca_inference").joinpath(CORPUS).read_text(encoding="utf-8")
    # Byte-level BPE: every string has an encoding (no <unk> at inference), trained on the bundled text.
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(text.splitlines(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="<|endoftext|>",
        pad_token="<|endoftext|>", additional_special_tokens=["<|assistant|>", "<|end|>", "<|system|>", "<|user|>"],
        chat_template=CHAT_TEMPLATE, model_max_length=4096, padding_side="left", clean_up_tokenization_spaces=False,
    )


def _base_model(tokenizer, seed: int):  # -> Phi3ForCausalLM
    import torch
    from transformers import GenerationConfig, Phi3Config, Phi3ForCausalLM

    end = tokenizer.convert_tokens_to_ids("<|end|>")
    config = Phi3Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
        original_max_position_embeddings=4096, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
        architectures=["Phi3ForCausalLM"],
    )
    torch.manual_seed(seed)
    model = Phi3ForCausalLM(config).eval()
    # Like Phi-3-mini-4k-instruct: an answer ends at <|end|> (or <|endoftext|>).
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id,
                                               eos_token_id=[end, tokenizer.eos_token_id],
                                               pad_token_id=tokenizer.pad_token_id)
    return model


def _lora_adapter(base, seed: int):  # -> PeftModel
    import torch
    from peft import LoraConfig, get_peft_model

    # The template's QLoRA pass: target_modules ["o_proj", "qkv_proj"] (rank kept small here).
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules=["qkv_proj", "o_proj"],
                        bias="none", task_type="CAUSAL_LM")
    peft_model = get_peft_model(base, config)
    # peft starts lora_B at zero (the adapter is a no-op until trained); give it seeded non-zero weights so it
    # changes the outputs like a trained adapter would.
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for _, parameter in sorted(peft_model.named_parameters()):
            if parameter.requires_grad:  # only the LoRA A/B matrices
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    return peft_model


def _finish_adapter_folder(adapter_path: Path, base_model_name: str) -> None:
    # peft writes a model card README.md; keep the folder to what inference needs. The config names the base
    # model as the fine-tuning job did (`<org>/<model>`, found under model-cache/).
    readme = adapter_path / "README.md"
    if readme.exists():
        readme.unlink()
    _rewrite_json(adapter_path / "adapter_config.json", base_model_name_or_path=base_model_name)


def _portable_tokenizer_config(path: Path) -> None:
    """The tokenizer config in the form transformers 4.x (the template's CUDA image) and 5.x both read."""
    config = json.loads(path.read_text())
    extra = config.pop("extra_special_tokens", None)
    if isinstance(extra, list):
        config["additional_special_tokens"] = extra
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config["chat_template"] = CHAT_TEMPLATE
    _write_json(path, config)


def _portable_model_config(path: Path) -> None:
    # transformers 5 writes `dtype` and `rope_parameters`; 4.x reads `torch_dtype` and `rope_theta`.
    config = json.loads(path.read_text())
    rope = config.get("rope_parameters") or {}
    config.setdefault("torch_dtype", config.get("dtype", "float32"))
    config.setdefault("rope_theta", rope.get("rope_theta", 10000.0))
    _write_json(path, config)


def _rewrite_json(path: Path, **changes: object) -> None:
    config = json.loads(path.read_text())
    config.update(changes)
    _write_json(path, config)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
