"""The bases every provider builds on (Azurite's handlers share a base the same way):

- `TrackedResource`: a resource type in a resource group, found, read, listed, deleted and finished the same
  way. A provider class keeps what is its own - its hooks `validate` (ACA's/Storage's rules), `build_body` (the
  record a PUT makes), `on_finish` / `on_deleted` (what ends its long-running operations), `render` (the answer),
  its actions (listKeys, ...) - and gets from here the record behind a URL or ARM's 404, GET and list answers,
  the immediate or long-running DELETE, and the finishing of its operations.
- `ChildResource`: a resource under another (an environment's storages): found under its parent, its id built
  by its type, the same hooks for its PUT.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aiohttp import web

from ..resource_types import ResourceType
from ..store import Operation, Record
from .context import ArmContext, group_id
from .errors import ArmError, not_found, parent_not_found
from .operations import Finisher, json_response
from .routing import ArmRequest, Router

Render = Callable[[Record], dict[str, Any]]


def operation_resource(op: Operation) -> str:
    """The id of the resource a long-running operation acts on (its key is '<type>|<id>')."""
    return op.resource_key.split("|", 1)[1]


class PutTarget(NamedTuple):
    subscription: str
    group: Record
    record_id: str
    name: str
    body: dict[str, Any]
    location: str


class TrackedResource:
    """One resource type directly in a resource group, named by the URL parameter `param`."""

    def __init__(self, ctx: ArmContext, kind: ResourceType, param: str, *, render: Render | None = None) -> None:
        self.ctx = ctx
        self.kind = kind
        self.param = param
        self.render: Render = render or (lambda record: record.body)
        if render is not None:  # operationResults answers through the same renderer
            ctx.renderers[kind.type.lower()] = render

    # lookups
    def place(self, req: ArmRequest, *, for_write: bool = False) -> tuple[Record, str]:
        """The URL's resource group and the resource's id in it (ARM's 404 or 409 when the group says no). The
        id keeps the subscription as the URL spells it and the group's name as it was created."""
        group = self.ctx.group(req.params["sub"], req.params["rg"], for_write=for_write)
        return group, self.kind.id_in(group_id(req.params["sub"], group.name), req.params[self.param])

    def id(self, req: ArmRequest) -> str:
        return self.place(req)[1]

    def get_record(self, req: ArmRequest) -> Record | None:
        return self.ctx.store.get(self.id(req))

    def find(self, req: ArmRequest, *, child: ResourceType | None = None) -> Record:
        """The record, or ARM's answer when it is missing: its 404, or - when the request is about a `child` of
        it - the 'parent not found' of a write (PUT) or read."""
        record_id = self.id(req)
        record = self.ctx.store.get(record_id)
        if record is None:
            if child is not None:
                action = "write" if req.method == "PUT" else "read"
                raise parent_not_found(action, child.child_type, record_id)
            raise not_found(self.kind.type, req.params[self.param], req.params["rg"])
        return record

    # the shared handlers
    async def get(self, req: ArmRequest) -> web.Response:
        return json_response(self.render(self.find(req)))

    async def list(self, req: ArmRequest) -> web.Response:
        group = self.ctx.group(req.params["sub"], req.params["rg"])
        return json_response({"value": [self.render(r) for r in self.ctx.store.in_scope(group.id, self.kind.type)]})

    async def delete_now(self, req: ArmRequest, *, then: Callable[[Record], None] | None = None) -> web.Response:
        """A delete ARM finishes at once: 200, or 204 when there was nothing to delete."""
        record = self.get_record(req)
        if record is None:
            return web.Response(status=204)
        self.ctx.store.delete(record.id)
        if then is not None:
            then(record)
        return web.Response(status=200)

    async def begin_delete(self, req: ArmRequest, record: Record, *, state: str, duration: str,
                           async_header: bool = True) -> web.Response:
        """A long-running delete: the record shows `state` until the operation finishes (finish_delete)."""
        record.body["properties"]["provisioningState"] = state
        self.ctx.store.put(record)
        return await self.ctx.start_delete(self.kind.type, record, duration,
                                           subscription_id=req.params["sub"], namespace=self.kind.namespace,
                                           api_version=req.api_version, async_header=async_header)

    async def read_put(self, req: ArmRequest, invalid_name: str) -> PutTarget:
        """What every PUT of a tracked resource checks first, in ARM's order: the resource group (404/409), the
        name's rule (400 `invalid_name`), then the body's location."""
        group, record_id = self.place(req, for_write=True)
        name = self.check_name(req, invalid_name)
        body = await req.json()
        return PutTarget(req.params["sub"], group, record_id, name, body, self.ctx.location(body))

    def check_name(self, req: ArmRequest, code: str) -> str:
        """The URL's name, checked against the type's naming rule (ARM's 400 with `code`)."""
        name = req.params[self.param]
        if self.kind.name_rule is None:
            raise ArmError(500, "InternalServerError", f"{self.kind.type} has no naming rule")
        self.ctx.check_name(self.kind.name_rule, name, code)
        return name

    # long-running operations
    def finish_with(self, action: str, handler: Finisher) -> None:
        self.ctx.operations.on_finish(self.kind.type, action, handler)

    def register_finishers(self, actions: tuple[str, ...] = ("create", "update", "delete")) -> None:
        """A provider class's hooks end the long-running operations it runs (`actions`): create and update by
        `on_finish`, delete by `on_deleted`."""
        for action in actions:
            self.finish_with(action, self.on_deleted if action == "delete" else self.on_finish)

    async def on_finish(self, op: Operation) -> None:
        """Hook: a create or update is over (default: the record is 'Succeeded')."""
        self.mark_succeeded(op)

    async def on_deleted(self, op: Operation) -> None:
        """Hook: a long-running delete is over (default: the record goes)."""
        await self.finish_delete(op)

    async def finish_provisioning(self, op: Operation) -> None:
        """A create or update is over: the record is 'Succeeded'."""
        self.mark_succeeded(op)

    def mark_succeeded(self, op: Operation) -> Record | None:
        """What finish_provisioning does, for a provider's own finish: the record (None when it was deleted
        meanwhile)."""
        record = self.ctx.store.get(operation_resource(op))
        if record is not None:
            record.body["properties"]["provisioningState"] = "Succeeded"
            self.ctx.store.put(record)
        return record

    async def finish_delete(self, op: Operation) -> None:
        self.ctx.store.delete(operation_resource(op))

    def add_routes(self, router: Router, base: str, *, delete: Callable[[ArmRequest], Awaitable[web.Response]]
                   ) -> None:
        """GET of the collection and of one resource, DELETE of one; a provider adds its PUT and actions."""
        router.add_collection(base, self.param, self.kind.provider, list=self.list, get=self.get, delete=delete)
