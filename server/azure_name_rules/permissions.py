"""How Azure RBAC decides whether a caller may perform an action: the permissions of every role assignment at a
scope (what `Microsoft.Authorization/permissions` lists) are unioned, each one granting its `actions` minus its
`notActions`; `*` matches any run of characters and the comparison ignores case
(learn.microsoft.com/azure/role-based-access-control/role-definitions: "Actions", "NotActions", wildcards).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def permits(permissions: Iterable[dict[str, Any]], action: str) -> bool:
    """True when one of the permissions grants `action` ("Microsoft.App/containerApps/write")."""
    for permission in permissions:
        actions = [a for a in permission.get("actions") or [] if isinstance(a, str)]
        denied = [a for a in permission.get("notActions") or [] if isinstance(a, str)]
        if any(_matches(a, action) for a in actions) and not any(_matches(a, action) for a in denied):
            return True
    return False


def write_action(resource_type: str) -> str:
    """The action a PUT or PATCH of a resource of this type needs ("Microsoft.Storage/storageAccounts/write")."""
    return f"{resource_type}/write"
