"""Where the workspace files live, relative to the workspace root (as shown to the user)."""

from __future__ import annotations

INFERENCE_PARAMETERS = "infra/provision/inference.parameters.json"
INFERENCE_CONFIG = "infra/inference.config.json"
FINETUNING_CONFIG = "infra/finetuning.config.json"
FINETUNING_PARAMETERS = "infra/provision/finetuning.parameters.json"
