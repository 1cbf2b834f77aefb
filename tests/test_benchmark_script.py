"""The benchmark script keeps working (it is not run with the tests, so it can rot
unseen): its workspace builds, and the documents it hands plain WeasyPrint are made."""

from __future__ import annotations

import json

import pytest

from pressroom import build_workspace
from pressroom.config import Workspace

from .benchmarks.run import dump_documents, make_workspace

pytestmark = pytest.mark.slow


def test_the_benchmark_workspace_builds_and_its_documents_dump(tmp_path):
    root = tmp_path / "ws"
    make_workspace(root, 2)
    outcomes = build_workspace(Workspace.load(root), jobs=2)
    assert [o.status for o in outcomes] == ["built"] * 3, [o.messages for o in outcomes]
    paths = dump_documents(root, tmp_path)
    assert len(paths) == 2 + 3  # each profile alone; the edition's front and two profiles
    spec = json.loads(paths[-1].read_text())
    assert "profile-subject-01" in spec["html"] and spec["stylesheets"]
    assert json.loads((root / "build" / "report.json").read_text())["peak_main_mb"] > 10


def test_the_benchmark_script_runs_and_prints_its_ratios():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parent / "benchmarks" / "run.py"
    done = subprocess.run(
        [sys.executable, str(script), "--profiles", "2", "--runs", "1", "--lean"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for line in (
        "no-op rebuild",
        "peak memory of the main process",
        "title / render one",
        "font programs",
    ):
        assert line in done.stdout
