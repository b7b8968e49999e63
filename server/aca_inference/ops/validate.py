"""Validate workspace: report every problem in infra/ (output panel / stderr) and a one-line summary."""

from __future__ import annotations

from pathlib import Path

from ..workspace.validate import validate_workspace
from .reporter import Reporter
from .results import ValidateResult


async def validate(root: Path, reporter: Reporter) -> ValidateResult:
    problems = validate_workspace(root)
    if not problems:
        from ..workspace.template import load_template

        for warning in load_template(root).warnings:  # e.g. a parameters file with a template's $schema
            reporter.log(warning, "warning")
    for problem in problems:
        reporter.log(str(problem), "error")
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        summary = f"The inference workspace has {len(problems)} {noun}; see the output for each one."
        await reporter.notify(summary, level="error")
    else:
        reporter.log(f"Workspace {root} is valid.")
        summary = "The inference workspace is valid."
        await reporter.notify(summary)
    return ValidateResult(summary=summary, valid=not problems, problems=[str(p) for p in problems])
