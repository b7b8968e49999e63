"""Deploy's preflight: what would make the app fail on the container, refused before anything is uploaded.

Checked together and reported together (like `validate`), each problem naming the file and line and the fix:
- unfilled template placeholders in the files the app's command runs (app_sources.py, placeholders.py);
- the model files the app reads from the share: the paths its code names under model-cache/ and models/, and
  for our app (inference/) its contract: a base model under model-cache/<org>/<model>/, BASE_MODEL_PATH and
  ADAPTER_PATH when the template sets them.
Only reads: the workspace's files, and a few listings of the share. On the local target with the demo model
asked for (VS Code; CLI --demo-model), a share without model-cache/ counts as holding the demo model: the
seeding happens after this check passes, so a refused deploy uploads nothing at all.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ...azure.share_store import ShareStore
from ...demo_model import DEMO_ADAPTER, DEMO_MODEL, DEMO_ORG
from ...workspace.app_contract import (
    ADAPTER_CONFIG,
    BASE_MODEL_CONFIG,
    MODEL_CACHE,
    MODEL_FILES_MODULE,
    MODELS,
    model_variables,
)
from ...workspace.problems import Problem, WorkspaceInvalid
from ..context import OperationContext
from .app_sources import app_sources, entry_scripts, mount_path
from .placeholder_values import value_for
from .placeholders import find_placeholders, share_paths_read

MIGRATE_NOTE = ("`aca-inference migrate` (VS Code: AI Toolkit: Move inference to the ACA Inference app) moves this "
                "project to our inference app, which finds the base model and the adapters on the share itself and "
                "needs none of these values filled in.")


class DeployRefused(WorkspaceInvalid):
    """The preflight's problems, all of them; nothing was uploaded, created or changed. Exit code 2."""

    def __init__(self, problems: list[Problem], notes: list[str]) -> None:
        super().__init__(problems)
        head, *rest = self.message.split("\n")
        count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
        self.message = "\n".join([f"Deploy refused before uploading anything: the app has {count}:", *rest])
        self.notes = list(notes)


@dataclass
class ShareView:
    """Existence checks on the share, cached; what the demo-model seeding will put there counts as there."""

    share: ShareStore
    seed_if_missing: bool
    _known: dict[str, bool] = field(default_factory=dict)
    _seeding: bool | None = None

    async def _probe(self, path: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        if path not in self._known:
            try:
                await self.share.get_directory_client(path).get_directory_properties()
                self._known[path] = True
            except ResourceNotFoundError as error:
                if getattr(error, "error_code", None) == "ShareNotFound":
                    raise  # the share itself: the caller says so
                try:
                    await self.share.get_file_client(path).get_file_properties()
                    self._known[path] = True
                except ResourceNotFoundError:
                    self._known[path] = False
        return self._known[path]

    async def seeding(self) -> bool:
        if self._seeding is None:
            self._seeding = self.seed_if_missing and not await self._probe(MODEL_CACHE)
        return self._seeding

    async def exists(self, path: str) -> bool:
        if await self.seeding():
            seeded = (f"{MODEL_CACHE}/{DEMO_ORG}/{DEMO_MODEL}", f"{MODELS}/{DEMO_ADAPTER}")
            if any(s == path or s.startswith(path + "/") or path.startswith(s + "/") for s in seeded):
                return True
        return await self._probe(path)

    async def found(self, top: str, name: str, depth: int) -> list[str]:
        """Folders under `top` (at most `depth` levels down) holding a file `name`: what the share offers."""
        if await self.seeding():
            demo = {MODEL_CACHE: f"{MODEL_CACHE}/{DEMO_ORG}/{DEMO_MODEL}", MODELS: f"{MODELS}/{DEMO_ADAPTER}"}
            if top.split("/", 1)[0] in demo:
                return [demo[top.split("/", 1)[0]]]
        if not await self._probe(top):
            return []
        found: list[str] = []
        level = [top]
        for _ in range(depth):
            following: list[str] = []
            for folder in level:
                async for item in self.share.get_directory_client(folder).list_directories_and_files():
                    path = f"{folder}/{item['name']}"
                    if item.get("is_directory"):
                        following.append(path)
                    elif item["name"] == name:
                        found.append(folder)
            level = following
        return sorted(found)


def _placeholder_problems(root: Path, files: list[str]) -> list[Problem]:
    problems = []
    for relative in files:
        for placeholder in find_placeholders(root, relative):
            problems.append(Problem(relative, "", f"unfilled template placeholder {placeholder.written}: "
                                    f"{value_for(root, placeholder)}",
                                    line=placeholder.line, column=placeholder.column))
    return problems


def _offered(found: list[str], what: str) -> str:
    return f", or point the app at {what} the share has: {', '.join(found[:5])}" if found else ""


async def _paths_their_code_reads(root: Path, view: ShareView, files: list[str], cwd: str, mount: str,
                                  share_name: str) -> list[Problem]:
    problems = []
    for relative in files:
        for read in share_paths_read(root, relative, cwd, mount):
            if await view.exists(read.share_path):
                continue
            if read.share_path.startswith(MODELS + "/"):
                found = await view.found(MODELS, ADAPTER_CONFIG, 6)
                why = (f"the fine-tuning run has not written its adapter to {read.share_path} on share {share_name} "
                       f"yet: run fine-tuning first{_offered(found, 'an adapter')}")
            else:
                found = await view.found(MODEL_CACHE, BASE_MODEL_CONFIG, 3)
                why = (f"the base model is not at {read.share_path} on share {share_name}: the fine-tuning job "
                       f"caches it there when it runs: run fine-tuning first{_offered(found, 'a model')}")
            problems.append(Problem(relative, "", f"reads {read.written} from the share; {why}",
                                    line=read.line, column=read.column))
    return problems


def _under_mount(value: str, mount: str) -> str | None:
    path = posixpath.normpath(value)
    return path[len(mount) + 1:] if path.startswith(mount + "/") else ("" if path == mount else None)


async def _our_app_contract(context: OperationContext, view: ShareView, template: dict[str, Any], mount: str,
                            share_name: str) -> list[Problem]:
    """Our app finds its model files itself (inference/serving/model_files.py): a base model must be there."""
    variables = model_variables(template)
    where = "the app's environment (the bicep's environmentVariables)"
    problems = []
    for variable, marker in (("BASE_MODEL_PATH", BASE_MODEL_CONFIG), ("ADAPTER_PATH", ADAPTER_CONFIG)):
        value = variables.get(variable)
        inside = _under_mount(value, mount) if value else None
        if inside and not await view.exists(f"{inside}/{marker}"):
            problems.append(Problem(where, variable, f"the share {share_name} has no {inside}/{marker}: point "
                                    f"{variable} at the folder the fine-tuning job wrote", found=value))
    if "BASE_MODEL_PATH" in variables:
        return problems
    root = _under_mount(variables.get("MODEL_ROOT", mount), mount)
    if root is None:
        return problems  # models outside the share: nothing of ours to check
    cache = f"{root}/{MODEL_CACHE}".lstrip("/")
    if not await view.found(cache, BASE_MODEL_CONFIG, 3):
        demo = " or deploy with --demo-model (the offline demo model, local target)" \
            if context.target.kind == "local" else ""
        problems.append(Problem(f"share {share_name}", cache, f"no base model under {cache}/<org>/<model>/ "
                                f"({BASE_MODEL_CONFIG}), which the app loads at start: the fine-tuning job caches it "
                                f"there when it runs; run fine-tuning first, set BASE_MODEL_PATH{demo}"))
    return problems


async def deploy_preflight(context: OperationContext, template: dict[str, Any], share: ShareStore,
                           share_name: str) -> None:
    """Raises DeployRefused with every problem found; returns when the app's files and model files are in order."""
    root = context.root
    mount = mount_path(template)
    view = ShareView(share, context.seed_demo_model_if_missing)
    problems: list[Problem] = []
    ours = False
    for entry in entry_scripts(root, template):
        files = app_sources(root, entry)
        problems += _placeholder_problems(root, files)
        problems += await _paths_their_code_reads(root, view, files, entry.cwd, mount, share_name)
        folder = PurePosixPath(entry.script).parent
        ours = ours or str(folder / MODEL_FILES_MODULE) in files
    if ours:
        problems += await _our_app_contract(context, view, template, mount, share_name)
    if problems:
        placeholders = any("placeholder" in p.expected for p in problems)
        raise DeployRefused(problems, [MIGRATE_NOTE] if placeholders and not ours else [])
