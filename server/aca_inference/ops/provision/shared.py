"""The fine-tuning project's resources: inference reuses them and never changes them behind the user's back.

They are the names in `infra/finetuning.config.json` and `infra/provision/finetuning.parameters.json`, or -
where those leave a name to the fine-tuning bicep's default - the default names (prefix + uniqueString of the
resource group), when inference is provisioned into the fine-tuning resource group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...workspace.bicep import EvaluatedResource
from ...workspace.finetuning import FINETUNING_NAMES, FinetuningDefaults
from ...workspace.naming import default_names


@dataclass
class SharedResources:
    """(lower-case type, lower-case short name) of each fine-tuning resource, with the field it came from."""

    names: dict[tuple[str, str], str] = field(default_factory=dict)

    def owns(self, resource: EvaluatedResource) -> bool:
        """The resource, or the storage account / environment it belongs to, is the fine-tuning project's."""
        if (resource.type.lower(), resource.short_name.lower()) in self.names:
            return True
        parts = resource.name.split("/")
        parent_type = resource.type.split("/")
        # Children of a shared storage account (its file service) are shared too; a new share is not.
        return (resource.type.lower() == "microsoft.storage/storageaccounts/fileservices"
                and ("/".join(parent_type[:2]).lower(), parts[0].lower()) in self.names)

    def field_of(self, resource: EvaluatedResource) -> str | None:
        return self.names.get((resource.type.lower(), resource.short_name.lower()))


def shared_resources(finetuning: FinetuningDefaults, present: bool, resource_group_id: str,
                     same_place: bool) -> SharedResources:
    """`present`: the workspace has fine-tuning files; `same_place`: inference goes to their resource group."""
    if not present or not same_place:
        return SharedResources()
    defaults = default_names(resource_group_id)
    names: dict[tuple[str, str], str] = {}
    for attribute, source in FINETUNING_NAMES.items():
        name = getattr(finetuning, attribute) or getattr(defaults, attribute)
        names[(source.resource_type, name.lower())] = attribute
    return SharedResources(names)


def parameter_defaults(finetuning: FinetuningDefaults, same_place: bool) -> dict[str, Any]:
    """Values for the bicep's name parameters that the parameters file leaves to the default: the fine-tuning
    project's names, so inference reuses its storage, share, environment and logs."""
    if not same_place:
        return {}
    values: dict[str, Any] = {}
    for attribute, source in FINETUNING_NAMES.items():
        value = getattr(finetuning, attribute)
        if value:
            values[source.parameter] = value
    if finetuning.location:
        values["location"] = finetuning.location
    return values
