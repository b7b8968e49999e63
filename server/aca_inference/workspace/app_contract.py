"""What our own inference app (inference/) and its template agree on. Other apps (an AI Toolkit project's
gradio_chat.py) have none of it: no /health, no key - deploy follows their probes instead."""

from __future__ import annotations

from typing import Any

API_KEY_SECRET = "inference-api-key"  # the app secret holding the endpoint's API key
HEALTH_PATH = "/health"

# Where the app finds its model files on the share (inference/serving/model_files.py, settings.py): the base model
# at model-cache/<org>/<model>/ (a folder with config.json) and the LoRA adapters under models/ (folders with
# adapter_config.json), both under MODEL_ROOT (/mount); BASE_MODEL_PATH and ADAPTER_PATH point elsewhere.
MODEL_CACHE = "model-cache"
MODELS = "models"
BASE_MODEL_CONFIG = "config.json"
ADAPTER_CONFIG = "adapter_config.json"
MODEL_VARIABLES = ("MODEL_ROOT", "BASE_MODEL_PATH", "ADAPTER_PATH")
MODEL_FILES_MODULE = "serving/model_files.py"  # beside the entry script: the app is ours and follows this contract


def model_variables(template: dict[str, Any] | None) -> dict[str, str]:
    """The model-location variables the template's containers set (a secretRef'd one is not readable: left out)."""
    found: dict[str, str] = {}
    for container in (template or {}).get("containers") or []:
        for variable in (container.get("env") if isinstance(container, dict) else None) or []:
            if (isinstance(variable, dict) and variable.get("name") in MODEL_VARIABLES
                    and isinstance(variable.get("value"), str) and variable["value"]):
                found[str(variable["name"])] = str(variable["value"])
    return found
