"""An app that runs its code in place: a restart of its revision, or a new revision when the bicep changes its
container template."""

from __future__ import annotations

import pytest

from aca_inference.ops.deploy.restart import template_changes, update_or_restart
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.inprocess.builders import RELEASE_A, app, launcher_template, revision

IN_PLACE = launcher_template(launcher=False)


async def test_unchanged_settings_restart_the_latest_revision() -> None:
    current = app(template=IN_PLACE, latest_revision="app--r1")
    apps = FakeContainerAppGateway(current, [revision("r1", RELEASE_A, traffic=100)])
    assert await update_or_restart(apps, current, None) == ("restarted", "app--r1", [])
    assert apps.calls == [("restart", "app--r1")]


async def test_a_changed_image_makes_a_new_revision_and_says_what_changed() -> None:
    apps = FakeContainerAppGateway(app(template=IN_PLACE), [revision("r1", RELEASE_A, traffic=100)])
    wanted = launcher_template(launcher=False)
    wanted["containers"][0]["image"] = "python:3.13-slim"
    changes = template_changes(app(template=IN_PLACE), wanted)
    assert len(changes) == 1 and "python:3.13-slim" in changes[0]
    action, new, reported = await update_or_restart(apps, app(template=IN_PLACE), wanted)
    assert (action, reported) == ("updated", changes)
    assert apps.calls == [("update", new)] and apps.app.template["containers"][0]["image"] == "python:3.13-slim"


async def test_an_app_without_a_revision_cannot_restart() -> None:
    apps = FakeContainerAppGateway(app(template=IN_PLACE))
    with pytest.raises(LookupError, match="container app app has no revision yet"):
        await update_or_restart(apps, app(template=IN_PLACE), None)
