"""The README's first command on the local target: from nothing to an endpoint that streams an answer."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.runs_for(85)
@pytest.mark.slow
def test_main_job_brings_up_an_endpoint_that_streams_answers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "ACA_INFERENCE_HOME": str(home)}
    workspace = tmp_path / "workspace"
    try:
        run = subprocess.run(["bash", "scripts/up-local.sh", str(workspace)], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=900, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        found = re.search(r"Inference endpoint is ready: (http://127\.0\.0\.1:\d+)", run.stdout)
        assert found, run.stdout
        endpoint = found.group(1)
        key = subprocess.run([str(REPO / ".venv/bin/aca-inference"), "status", "--workspace", str(workspace),
                              "--show-api-key"], env=env, capture_output=True, text=True, timeout=120,
                             check=True).stdout.strip().splitlines()[-1]
        assert key not in run.stdout + run.stderr

        from openai import OpenAI

        client = OpenAI(base_url=f"{endpoint}/v1", api_key=key)
        chunks = list(client.chat.completions.create(model=client.models.list().data[0].id, stream=True,
                                                     max_tokens=12, messages=[{"role": "user", "content": "Hi"}]))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert len(chunks) > 3 and text.strip()
        import urllib.request

        with urllib.request.urlopen(endpoint + "/", timeout=30) as page:
            assert page.status == 200 and b"gradio" in page.read().lower()
    finally:
        subprocess.run([str(REPO / ".venv/bin/aca-inference"), "emulator", "stop"], env=env, timeout=120)
