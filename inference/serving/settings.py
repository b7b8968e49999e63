"""Everything the app can be told, from environment variables (ACA sets them from the template) and flags.

| variable                      | default                  | meaning                                            |
|-------------------------------|--------------------------|----------------------------------------------------|
| PORT                          | 7860                     | port to listen on (ACA's targetPort)               |
| HOST                          | 0.0.0.0 on ACA (env      | interface to bind                                  |
|                               | CONTAINER_APP_NAME set), |                                                    |
|                               | else 127.0.0.1           |                                                    |
| INFERENCE_API_KEY             | unset = no auth          | key the API and the UI require (ACA secret)        |
| MODEL_ROOT                    | /mount, else the folder  | holds model-cache/<org>/<model> and models/...     |
|                               | above this app           |                                                    |
| BASE_MODEL_PATH               | found under MODEL_ROOT   | base model folder (config.json + weights)          |
| ADAPTER_PATH                  | every adapter under      | serve this one LoRA adapter folder only            |
|                               | MODEL_ROOT/models        | (adapter_config.json); no reload scan              |
| INFERENCE_INCLUDE_CHECKPOINTS | false                    | also serve training checkpoints (checkpoint-N/)    |
| INFERENCE_BASE_ONLY           | false (--baseonly)       | serve the base model without the adapters          |
| SERVED_MODEL_NAME             | the base model's folder  | the base model's id in the API                     |
| INFERENCE_WARMUP              | true                     | one short generation before reporting ready        |
| INFERENCE_ENGINE              | auto                     | auto / transformers / vllm                         |
| INFERENCE_DEVICE              | auto                     | auto / cpu / cuda                                  |
| INFERENCE_QUANTIZATION        | auto                     | auto (4-bit with bitsandbytes on a GPU) / 4bit / none |
| INFERENCE_CONCURRENCY         | 16 on CPU, 64 on GPU     | generations running at once (the batch size)       |
|                               | and with vLLM            |                                                    |
| INFERENCE_BATCHING            | true                     | transformers: continuous batching; false = one     |
|                               |                          | `generate` thread per request (the template's way) |
| INFERENCE_MAX_QUEUE           | 64                       | requests allowed to wait; more get 429             |
| INFERENCE_QUEUE_TIMEOUT       | 300                      | seconds a request may wait for its turn            |
| INFERENCE_GENERATION_TIMEOUT  | 300                      | seconds one generation may run                     |
| INFERENCE_MAX_TOKENS_LIMIT    | 2048                     | largest max_tokens a request may ask for           |
| INFERENCE_DEFAULT_MAX_TOKENS  | 256                      | max_tokens when a request gives none               |
| VLLM_GPU_MEMORY_UTILIZATION   | 0.85                     | share of GPU memory vLLM may take                  |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

APP_DIR = Path(__file__).resolve().parent.parent
ACA_MOUNT = Path("/mount")
_TRUE = {"1", "true", "yes", "on"}
_FLAGS = {"base_only", "include_checkpoints", "warmup", "batching"}


ENV_VARIABLES = {
    "host": "HOST", "port": "PORT", "api_key": "INFERENCE_API_KEY", "model_root": "MODEL_ROOT",
    "base_model_path": "BASE_MODEL_PATH", "adapter_path": "ADAPTER_PATH", "base_only": "INFERENCE_BASE_ONLY",
    "include_checkpoints": "INFERENCE_INCLUDE_CHECKPOINTS", "warmup": "INFERENCE_WARMUP",
    "served_model_name": "SERVED_MODEL_NAME", "engine": "INFERENCE_ENGINE", "device": "INFERENCE_DEVICE",
    "quantization": "INFERENCE_QUANTIZATION", "concurrency": "INFERENCE_CONCURRENCY",
    "max_queue": "INFERENCE_MAX_QUEUE", "queue_timeout": "INFERENCE_QUEUE_TIMEOUT",
    "generation_timeout": "INFERENCE_GENERATION_TIMEOUT", "max_tokens_limit": "INFERENCE_MAX_TOKENS_LIMIT",
    "default_max_tokens": "INFERENCE_DEFAULT_MAX_TOKENS", "batching": "INFERENCE_BATCHING",
    "vllm_gpu_memory_utilization": "VLLM_GPU_MEMORY_UTILIZATION",
}


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the variable."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str
    port: int = Field(7860, ge=1, le=65535)
    api_key: SecretStr | None = None
    model_root: Path
    base_model_path: Path | None = None
    adapter_path: Path | None = None
    base_only: bool = False
    include_checkpoints: bool = False
    warmup: bool = True
    served_model_name: str | None = None
    engine: Literal["auto", "transformers", "vllm"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    quantization: Literal["auto", "4bit", "none"] = "auto"
    concurrency: int | None = Field(None, ge=1, le=1024)
    batching: bool = True
    max_queue: int = Field(64, ge=0)
    queue_timeout: float = Field(300.0, gt=0)
    generation_timeout: float = Field(300.0, gt=0)
    max_tokens_limit: int = Field(2048, ge=1)
    default_max_tokens: int = Field(256, ge=1)
    vllm_gpu_memory_utilization: float = Field(0.85, gt=0, le=1)

    @property
    def auth_enabled(self) -> bool:
        return self.api_key is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field, variable in ENV_VARIABLES.items():
            raw = env.get(variable, "").strip()
            if raw:
                values[field] = raw.lower() in _TRUE if field in _FLAGS else raw
        values.setdefault("host", _default_host(env))
        values.setdefault("model_root", _default_model_root())
        values.update({key: value for key, value in overrides.items() if value is not None})
        try:
            return cls(**values)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else ""
            variable = ENV_VARIABLES.get(field, field)
            shown = "" if field == "api_key" else f" (got {values.get(field)!r})"
            raise SettingsError(f"{variable}: {first['msg']}{shown}") from None


def _default_host(env: Mapping[str, str]) -> str:
    # On Azure Container Apps (which sets CONTAINER_APP_NAME; it runs on Kubernetes) the ingress reaches us from
    # outside the container; anywhere else stay on loopback unless HOST says otherwise.
    on_aca = bool(env.get("CONTAINER_APP_NAME") or env.get("KUBERNETES_SERVICE_HOST"))
    return "0.0.0.0" if on_aca else "127.0.0.1"


def _default_model_root() -> Path:
    # ACA mounts the share at /mount; the template's scripts instead read `../model-cache` next to the app.
    return ACA_MOUNT if (ACA_MOUNT / "model-cache").is_dir() else APP_DIR.parent
