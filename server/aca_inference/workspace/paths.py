"""Where the workspace files live, relative to the workspace root (as shown to the user)."""

from __future__ import annotations

from pathlib import Path

INFERENCE_PARAMETERS = "infra/provision/inference.parameters.json"
INFERENCE_CONFIG = "infra/inference.config.json"
FINETUNING_CONFIG = "infra/finetuning.config.json"
FINETUNING_PARAMETERS = "infra/provision/finetuning.parameters.json"
INFERENCE_BICEP = "infra/provision/inference.bicep"


def template_source() -> Path:
    """Where our own templates (infra/, inference/) are: packaged as scaffold_data/ in an installed wheel
    (pyproject's force-include), the repository itself in a source checkout."""
    from ..errors import InputError

    packaged = Path(__file__).resolve().parent.parent / "scaffold_data"
    if (packaged / "infra").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "infra" / "provision").is_dir():
        return checkout
    raise InputError("The workspace templates are missing from this installation; reinstall aca-inference.")
