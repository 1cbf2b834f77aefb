"""Jobs: what one render is (a profile or an edition, in one format), how a worker runs a
profile job, and how a job's outputs are written and reported."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import api
from ..config import Workspace
from ..content import Profile
from ..credits import ImageUse, credit_for, load_ledger
from ..diagnostics import ContentError, Message, PressroomError, display_path, warning
from ..output import write_if_changed
from ..paths import is_within


@dataclass
class Job:
    """One render: a profile or an edition, in one format, to its output files."""

    kind: str  # "profile" or "edition"
    item: str  # the profile's or the edition's slug
    source: Path
    format: str
    outputs: dict[str, Path]  # what -> where: the item's slug, and each offprint's slug
    layout: str | None = None
    key: str = ""
    strict: bool = False  # preflight warnings fail the job

    def __post_init__(self) -> None:
        self.key = job_key(self.kind, self.item, self.format)


def job_key(kind: str, item: str, format_name: str) -> str:
    """A job's key in the manifest and the schedule: ``profile:al-kadhimi:screen``."""
    return f"{kind}:{item}:{format_name}"


@dataclass
class Output:
    path: str
    pages: int
    bytes: int
    # With --validate: {"standard": "PDF/UA-1", "passed": bool, "failures": [...]} from
    # veraPDF, or {"standard": ..., "passed": None} where nothing could check it.
    validation: dict | None = None


@dataclass
class Outcome:
    """What happened to one job; the rows of the summary table and ``report.json``."""

    item: str
    kind: str
    format: str
    status: str  # "built", "cached" or "failed"
    outputs: list[Output] = field(default_factory=list)
    seconds: float = 0.0
    messages: list[Message] = field(default_factory=list)
    peak_mb: float = 0.0  # the peak memory of the process that rendered it
    pieces: dict[str, int] = field(default_factory=dict)  # editions: pieces rendered, cached
    fpo: list[str] = field(default_factory=list)  # FPO art in the outputs (workspace paths)
    # How the pages filled (render.copyfit): a profile's, or an edition's by profile slug.
    copyfit: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)  # slug -> (PDF, pages), until written

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def pages(self) -> int:
        return self.outputs[0].pages if self.outputs else 0

    @property
    def size(self) -> int:
        return self.outputs[0].bytes if self.outputs else 0


def failed_outcome(job: Job, message: str) -> Outcome:
    messages = [Message(message, "error", "build")] if message else []
    return Outcome(job.item, job.kind, job.format, "failed", messages=messages)


def execute(root: str, job: Job) -> Outcome:
    """Render one profile job and preflight it; its PDF travels back in ``outcome.payload``
    (written by the parent, so a remote worker needs no access to the build folder)."""
    started = time.perf_counter()
    outcome = Outcome(job.item, job.kind, job.format, "built")
    try:
        workspace = Workspace.load(Path(root))
        profile = api.load_profile(job.source, workspace)
        result = api.render(profile, job.layout, job.format)
        findings = _preflight(job, workspace, result, profile)
        outcome.messages = [warning(w) for w in result.warnings] + findings
        outcome.fpo = fpo_art(workspace, profile.image_uses())
        outcome.copyfit = result.copyfit
        if not refuse_on_findings(outcome, findings, job.strict):
            outcome.payload = {job.item: (result.pdf, result.pages)}
    except ContentError as error:
        outcome.status = "failed"
        outcome.messages = [
            Message(d.format(Path(root)), "error", "render")
            for d in error.diagnostics
            if d.is_error
        ]
    except PressroomError as error:
        outcome.status = "failed"
        outcome.messages = [Message(str(error), "error", "render")]
    except (MemoryError, RecursionError):
        raise  # the worker says so, and stops
    except Exception as error:
        outcome.status = "failed"
        outcome.messages = [Message(unexpected(error), "error", "render")]
    outcome.seconds = time.perf_counter() - started
    return outcome


def unexpected(error: BaseException) -> str:
    """A failure no check foresaw, as one line: what it was and where pressroom was."""
    import traceback

    package = Path(__file__).resolve().parent.parent  # pressroom's own files, wherever it is
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if is_within(Path(f.filename), package)
    ]
    where = f" (in {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"unexpected error{where}: {type(error).__name__}: {error}; please report it"


def write_outputs(outcome: Outcome, job: Job) -> None:
    """Write what a profile job rendered (atomically), or fail it saying why."""
    payload, outcome.payload = outcome.payload, {}
    if not outcome.ok or not payload:
        if outcome.ok:
            outcome.status = "failed"
        return
    write_parts(outcome, job, payload)


def write_parts(
    outcome: Outcome, job: Job, parts: dict[str, tuple[bytes | Path, int]], moved: str = ""
) -> None:
    """Write each output of a job (slug -> PDF and pages) atomically, or fail it saying why.

    A PDF may be a file (a piece in the cache: copied; the part ``moved``, written for
    this output: renamed into place)."""
    try:
        for slug, path in job.outputs.items():
            data, pages = parts[slug]
            size = data.stat().st_size if isinstance(data, Path) else len(data)
            write_if_changed(path, data, move=slug == moved)  # unchanged: not rewritten
            outcome.outputs.append(Output(str(path), pages, size))
    except OSError as error:
        outcome.status = "failed"
        outcome.messages = [
            Message(f"cannot write the PDF: {error.strerror or error}", "error", "build")
        ]


def _preflight(job: Job, workspace: Workspace, result, profile: Profile) -> list[Message]:
    """Preflight findings for a profile job's PDF and the profile's content, as messages."""
    from ..preflight import preflight_profile  # loads pypdf: only where a job is run

    checked = preflight_profile(result, profile, workspace.formats[job.format])
    return checked.messages(workspace.root)


def refuse_on_findings(outcome: Outcome, findings: list[Message], strict: bool) -> bool:
    """Preflight errors (or, with ``strict``, warnings) fail the job: nothing is written."""
    refused = [m for m in findings if m.is_error or (strict and m.severity == "warning")]
    if refused:
        outcome.status = "failed"
        text = "preflight failed: nothing written" + (" (--strict)" if strict else "")
        outcome.messages.append(Message(text, "error", "build"))
    return bool(refused)


def fpo_art(workspace: Workspace, uses: list[ImageUse]) -> list[str]:
    """The FPO pictures among ``uses``, as workspace paths, each once."""
    try:
        ledger = load_ledger(workspace.root)
    except ContentError:
        return []
    found = (use.path for use in uses if credit_for(use, ledger).fpo)
    return list(dict.fromkeys(display_path(path, workspace.root) for path in found))
