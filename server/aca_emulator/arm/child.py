"""The base of a resource that lives under a tracked one (an environment's storages): found under its parent
(ARM's answers when the parent is missing), its id built by its type, and the same hooks a tracked provider
has for its PUT - `validate` (the provider's rules), `build_body` (the record's body), `render` (the answer) -
plus `not_found` (the provider's own 404) and `put_status` (what a PUT answers)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..resource_types import ResourceType
from ..store import Record
from .context import ArmContext
from .errors import ArmError, not_found
from .operations import json_response
from .routing import ArmRequest, Router
from .tracked import TrackedResource


class ChildResource:
    invalid_name_code = "InvalidResourceName"  # the provider's code for a name its rule refuses

    def __init__(self, ctx: ArmContext, kind: ResourceType, parent: TrackedResource, param: str) -> None:
        self.ctx = ctx
        self.kind = kind
        self.parent = parent
        self.param = param

    # hooks
    def validate(self, req: ArmRequest, parent: Record, body: dict[str, Any]) -> dict[str, Any]:
        """The provider's rules for a PUT's body (ArmError when they refuse it); what build_body gets."""
        return body

    def build_body(self, parent: Record, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        """The body the record keeps."""
        return spec

    def render(self, record: Record) -> dict[str, Any]:
        return record.body

    def not_found(self, req: ArmRequest, parent: Record) -> ArmError:
        return not_found(self.kind.type, f"{parent.name}/{self.kind.child_type.rsplit('/', 1)[1]}/"
                                         f"{req.params[self.param]}", req.params["rg"])

    def put_status(self, existed: bool) -> int:
        return 200 if existed else 201

    # lookups
    def id(self, parent: Record, name: str) -> str:
        return self.kind.child_id(parent.id, name)

    def find(self, req: ArmRequest) -> Record:
        parent = self.parent.find(req)
        stored = self.ctx.store.get(self.id(parent, req.params[self.param]))
        if stored is None:
            raise self.not_found(req, parent)
        return stored

    # handlers
    async def get(self, req: ArmRequest) -> web.Response:
        return json_response(self.render(self.find(req)))

    async def list(self, req: ArmRequest) -> web.Response:
        parent = self.parent.find(req)
        return json_response({"value": [self.render(r) for r in self.ctx.store.children(parent.id, self.kind.type)]})

    async def put(self, req: ArmRequest) -> web.Response:
        parent = self.parent.find(req, child=self.kind)
        name = req.params[self.param]
        if self.kind.name_rule is not None:
            self.ctx.check_name(self.kind.name_rule, name, self.invalid_name_code)
        spec = self.validate(req, parent, await req.json())
        record_id = self.id(parent, name)
        existed = self.ctx.store.get(record_id) is not None
        stored = self.ctx.store.put(Record(id=record_id, type=self.kind.type, parent=parent.id,
                                           body=self.build_body(parent, name, spec)))
        return json_response(self.render(stored), self.put_status(existed))

    async def delete(self, req: ArmRequest) -> web.Response:
        """ARM's immediate delete: 200, or 204 when there was nothing to delete."""
        parent = self.parent.find(req)
        record_id = self.id(parent, req.params[self.param])
        if self.ctx.store.get(record_id) is None:
            return web.Response(status=204)
        self.ctx.store.delete(record_id)
        return web.Response(status=200)

    def add_routes(self, router: Router, collection: str) -> None:
        router.add_collection(collection, self.param, self.kind.provider, list=self.list, get=self.get,
                              put=self.put, delete=self.delete)
