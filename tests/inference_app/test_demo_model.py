"""The offline demo model: the template's layout, the Phi-3 shape, the same bytes every time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from aca_inference.demo_model import make_demo_model


def digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return make_demo_model(tmp_path_factory.mktemp("demo"))


def test_demo_model_is_written_in_the_templates_layout(demo) -> None:
    assert demo.base_model_path == demo.root / "model-cache" / "aca-inference" / "tiny-phi-3-demo"
    assert demo.adapter_path == demo.root / "models" / "qlora" / "qlora" / "gpu_model" / "adapter"
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json"} <= {p.name for p in demo.base_model_path.iterdir()}
    assert {p.name for p in demo.adapter_path.iterdir()} == {"adapter_config.json", "adapter_model.safetensors"}


def test_demo_model_is_the_same_bytes_every_time(demo, tmp_path: Path) -> None:
    again = make_demo_model(tmp_path)
    assert digest(again.root) == digest(demo.root)


def test_demo_model_has_phi3_architecture_and_a_lora_on_qkv_and_o_proj(demo) -> None:
    config = json.loads((demo.base_model_path / "config.json").read_text())
    adapter = json.loads((demo.adapter_path / "adapter_config.json").read_text())
    assert config["model_type"] == "phi3" and config["architectures"] == ["Phi3ForCausalLM"]
    assert adapter["peft_type"] == "LORA" and sorted(adapter["target_modules"]) == ["o_proj", "qkv_proj"]
    assert adapter["base_model_name_or_path"] == "aca-inference/tiny-phi-3-demo"


def test_demo_tokenizer_renders_phi3_chat_turns(demo) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(demo.base_model_path))
    text = tokenizer.apply_chat_template([{"role": "user", "content": "Where does the river start?"}],
                                         tokenize=False, add_generation_prompt=True)
    assert text == "<|user|>\nWhere does the river start?<|end|>\n<|assistant|>\n"
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])
    assert tokens[0] == "<|user|>" and "<|end|>" in tokens and "<|assistant|>" in tokens
    # Trained on the bundled text: its common words are single tokens.
    assert len(tokenizer(" river")["input_ids"]) == 1
