"""The deploy side's calls to the app (ops/deploy/app_admin.py), against the real app process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from aca_inference.ops.deploy import app_admin

from .conftest import API_KEY, AppProcess

pytestmark = pytest.mark.slow


def test_the_minted_link_signs_in_once_and_lands_on_the_clean_page(app: AppProcess) -> None:
    link = asyncio.run(app_admin.mint_sign_in_link(app.url, API_KEY))
    assert link.startswith(f"{app.url}/auth/redeem?ticket=t1.")
    first = httpx.get(link, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "../"  # the app root, behind any path prefix
    assert "aca_inference_session=" in first.headers["set-cookie"]
    assert httpx.get(link, follow_redirects=False).status_code == 401


def test_a_wrong_key_is_an_error_naming_the_apps_code(app: AppProcess) -> None:
    with pytest.raises(app_admin.AppAdminError) as caught:
        asyncio.run(app_admin.mint_sign_in_link(app.url, "wrong"))
    assert (caught.value.status, caught.value.code) == (401, "invalid_api_key")


def test_reload_and_the_startup_report(app: AppProcess) -> None:
    result = asyncio.run(app_admin.reload_adapters(app.url, API_KEY))
    assert (result.added, result.removed, result.unchanged) == ([], [], ["qlora"])
    assert result.models == ["qlora", "tiny-phi-3-demo"] and result.seconds >= 0
    report = asyncio.run(app_admin.startup_report(app.url))
    assert report.status == "ready" and report.models == result.models
    assert report.total_seconds and "weights_to_device" in report.phases
    line = app_admin.describe_startup(report)
    assert line.startswith(f"ready in {report.total_seconds:.1f} s: ") and "weights to device" in line


def test_an_unreachable_app_is_an_error_not_a_hang() -> None:
    with pytest.raises(app_admin.AppAdminError, match="failed"):
        asyncio.run(app_admin.startup_report("http://127.0.0.1:9"))


def test_links_are_built_on_the_public_endpoint() -> None:
    assert app_admin.sign_in_url("myapp.westus3.azurecontainerapps.io/", "t1.2.a+b") == \
        "https://myapp.westus3.azurecontainerapps.io/auth/redeem?ticket=t1.2.a%2Bb"
