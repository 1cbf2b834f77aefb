"""What a build leaves for the next one and for pipelines: the manifest (the input key of
each output, the page counts seen) and ``report.json``."""

from __future__ import annotations

import json
import resource
from dataclasses import asdict
from pathlib import Path

from .. import __version__
from ..config import Workspace
from ..diagnostics import Message, display_path
from ..output import write_atomic
from .jobs import Outcome, Output

MANIFEST = ".pressroom-manifest.json"


REPORT = "report.json"


PAGE_HINTS = "page-hints"  # manifest key: page counts of pieces seen before


def read_manifest(path: Path) -> dict:
    """The manifest of the last build, keeping only entries of the shape it writes (a
    damaged or hand-edited manifest costs a rebuild, never a traceback)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    manifest: dict = {}
    hints = data.get(PAGE_HINTS)
    if isinstance(hints, dict):
        manifest[PAGE_HINTS] = {
            k: v for k, v in hints.items() if isinstance(v, int) and not isinstance(v, bool)
        }
    for key, entry in data.items():
        if key != PAGE_HINTS and _manifest_entry_ok(entry):
            manifest[key] = entry
    return manifest


def _manifest_entry_ok(entry: object) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
        return False
    outputs, pieces = entry.get("outputs"), entry.get("pieces")
    if not isinstance(outputs, list) or not isinstance(pieces, list):
        return False
    if not all(isinstance(piece, str) for piece in pieces):
        return False
    try:
        [Output(**o) for o in outputs]
    except TypeError:
        return False
    return all(isinstance(o.get("path"), str) for o in outputs)


def write_report(workspace: Workspace, outcomes: list[Outcome]) -> Path:
    """``build/report.json``: the summary table's data, for pipelines."""
    data = {
        "pressroom": __version__,
        "ok": all(o.ok for o in outcomes),
        "peak_worker_mb": round(max((o.peak_mb for o in outcomes), default=0.0), 1),
        # This process (the build's own, which plans, feeds the workers and writes): so far.
        "peak_main_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "items": [
            {
                **{k: v for k, v in asdict(o).items() if k != "payload"},
                "pages": o.pages,
                "bytes": o.size,
                "outputs": [
                    {**asdict(out), "path": display_path(Path(out.path), workspace.root)}
                    for out in o.outputs
                ],
                "seconds": round(o.seconds, 3),
                "messages": [m.as_dict() for m in o.messages],
            }
            for o in outcomes
        ],
    }
    path = workspace.output_dir / REPORT
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path


def cached_outcome(item: dict, root: Path) -> Outcome:
    """An outcome of the last build, from its report: up to date, nothing done."""
    outputs = [
        Output(str(root / out["path"]), out["pages"], out["bytes"], out.get("validation"))
        for out in item.get("outputs", [])
    ]
    return Outcome(
        item["item"],
        item["kind"],
        item["format"],
        "cached",
        outputs,
        messages=[_recorded_message(m) for m in item.get("messages", [])],
        fpo=list(item.get("fpo", [])),
        copyfit=dict(item.get("copyfit", {})),
    )


def _recorded_message(recorded: object) -> Message:
    """A message as ``report.json`` keeps it. The stamp is only kept for a build that
    succeeded, so a message of an older report's shape (text alone) was not an error."""
    if isinstance(recorded, dict) and recorded.get("severity") in ("error", "warning"):
        return Message(
            str(recorded.get("text", "")),
            recorded["severity"],
            str(recorded.get("origin", "build")),
        )
    return Message(str(recorded), "warning", "build")
