"""Batch builds: every edition and profile, in every format, in parallel, incrementally.

A build is planned as a list of jobs (one profile or one edition in one format),
run inline or in a pool of worker processes, each failing alone. Outputs are
written atomically. A job whose inputs have not changed since its outputs were
written is skipped (``force`` rebuilds anyway); what counts as an input is listed
in :func:`fingerprint`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from . import __version__, api
from .config import CONFIG_FILE, Limits, Workspace, builtin_root
from .content import Profile, inspect_profile, slug_from_path
from .diagnostics import ContentError, Diagnostic, PressroomError, display_path
from .editions import Edition, inspect_edition, inspect_profiles, profile_index
from .layouts import find_layout
from .output import write_atomic

MANIFEST = ".pressroom-manifest.json"
REPORT = "report.json"


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
        self.key = f"{self.kind}:{self.item}:{self.format}"


@dataclass
class Output:
    path: str
    pages: int
    bytes: int


@dataclass
class Outcome:
    """What happened to one job; the rows of the summary table and ``report.json``."""

    item: str
    kind: str
    format: str
    status: str  # "built", "cached" or "failed"
    outputs: list[Output] = field(default_factory=list)
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def pages(self) -> int:
        return self.outputs[0].pages if self.outputs else 0

    @property
    def size(self) -> int:
        return self.outputs[0].bytes if self.outputs else 0


@dataclass
class Plan:
    jobs: list[Job]
    refused: list[Outcome]  # items that cannot be built (content errors), already reported
    diagnostics: list[Diagnostic]
    index: dict[str, Path] = field(default_factory=dict)  # profile slug -> file
    profiles: dict[Path, Profile | None] = field(default_factory=dict)  # as loaded when planned


class UnknownTarget(PressroomError):
    """A build target names no edition or profile of the workspace."""


def plan_build(
    workspace: Workspace,
    targets: Iterable[str] = (),
    formats: Iterable[str] = (),
    layout: str | None = None,
) -> Plan:
    """Check everything that would be built, then list the jobs.

    Every problem is found here, before anything renders: a profile with errors
    fails alone, and so does each edition that includes it.
    """
    inspected = inspect_profiles(workspace)  # each profile is read once for the whole plan
    index = profile_index(workspace, inspected)
    editions = {path.name.removesuffix(".yaml"): path for path in workspace.edition_paths()}
    wanted_profiles, wanted_editions = _select(workspace, list(targets), index, editions)
    only = set(formats)
    unknown = only - set(workspace.formats)
    if unknown:
        known = ", ".join(sorted(workspace.formats))
        raise UnknownTarget(f"unknown format '{sorted(unknown)[0]}'; known formats: {known}")

    jobs: list[Job] = []
    refused: list[Outcome] = []
    diagnostics: list[Diagnostic] = list(workspace.warnings)
    broken: dict[str, str] = {}
    in_wanted_editions = {slug for path in wanted_editions.values() for slug in _listed(path)}
    for path, profile, found in sorted(inspected, key=lambda entry: entry[0]):
        slug = profile.slug if profile else slug_from_path(path)
        if slug in wanted_profiles or slug in in_wanted_editions:
            diagnostics += found
        if profile is None:
            broken[slug] = display_path(path, workspace.root)
    for slug in sorted(wanted_profiles):
        names = [f for f in workspace.config.profile_formats if not only or f in only]
        for name in names:
            if slug in broken:
                refused.append(
                    Outcome(slug, "profile", name, "failed", messages=["content errors"])
                )
                continue
            target = workspace.profile_output(slug, name)
            jobs.append(Job("profile", slug, index[slug], name, {slug: target}, layout))
    for slug, path in sorted(wanted_editions.items()):
        edition, found = inspect_edition(path, workspace, index)
        diagnostics += found
        names = edition.format_names if edition else _listed(path, "formats") or []
        names = [f for f in names if not only or f in only] or sorted(only)
        if edition is None:
            for name in names or ["-"]:
                refused.append(
                    Outcome(slug, "edition", name, "failed", messages=["edition errors"])
                )
            continue
        bad = [broken[s] for s in edition.meta.profiles if s in broken]
        for name in names:
            if bad:
                message = f"edition cannot be built: {', '.join(bad)} has errors"
                refused.append(Outcome(slug, "edition", name, "failed", messages=[message]))
                continue
            outputs = {slug: workspace.edition_output(slug, slug, name)}
            for profile_slug in edition.meta.profiles:
                outputs[profile_slug] = workspace.edition_output(slug, profile_slug, name)
            jobs.append(Job("edition", slug, path, name, outputs, layout))
    loaded = {path: profile for path, profile, _ in inspected}
    return Plan(jobs, refused, diagnostics, index, loaded)


def _listed(path: Path, key: str = "profiles") -> list[str]:
    """A list from an edition file, read leniently (for planning around broken files)."""
    from .yamlsource import load_yaml

    try:
        data, _ = load_yaml(path.read_text(encoding="utf-8"), path)
    except (ContentError, OSError, UnicodeDecodeError):
        return []
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _select(workspace: Workspace, targets: list[str], index: dict, editions: dict):
    if not targets:
        return set(index), dict(editions)
    profiles, chosen = set(), {}
    for target in targets:
        path = Path(target)
        name = path.name.removesuffix(".md").removesuffix(".yaml")
        by_path = {p.resolve(): s for s, p in index.items()}
        if path.suffix == ".md" and path.resolve() in by_path:
            profiles.add(by_path[path.resolve()])
        elif target in editions or (path.suffix == ".yaml" and name in editions):
            chosen[name] = editions[name]
        elif target in index:
            profiles.add(target)
        else:
            known = ", ".join(sorted(editions)) or "none"
            raise UnknownTarget(
                f"'{target}' is neither an edition nor a profile "
                f"(editions: {known}; profiles: {', '.join(sorted(index)) or 'none'})"
            )
    return profiles, chosen


def run_build(
    workspace: Workspace,
    plan: Plan,
    jobs: int | None = None,
    force: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
    strict: bool = False,
) -> list[Outcome]:
    """Run the plan's jobs (in ``jobs`` worker processes) and return every outcome.

    Each output is preflighted before it is written: preflight errors (and, with
    ``strict``, warnings) fail the job and leave the previous output in place.
    """
    for job in plan.jobs:
        job.strict = strict
    manifest_path = workspace.output_dir / MANIFEST
    manifest = {} if force else _read_manifest(manifest_path)
    outcomes: list[Outcome] = []
    todo: list[tuple[Job, str]] = []
    for job in plan.jobs:
        stamp = fingerprint(workspace, job, plan.index, plan.profiles)
        if (
            not force
            and manifest.get(job.key, {}).get("fingerprint") == stamp
            and all(path.is_file() for path in job.outputs.values())
        ):
            cached = Outcome(job.item, job.kind, job.format, "cached")
            cached.outputs = [Output(**o) for o in manifest[job.key]["outputs"]]
            outcomes.append(cached)
            if on_outcome:
                on_outcome(cached)
        else:
            todo.append((job, stamp))

    def finish(job: Job, stamp: str, outcome: Outcome) -> None:
        outcomes.append(outcome)
        if outcome.ok:
            manifest[job.key] = {
                "fingerprint": stamp,
                "outputs": [asdict(o) for o in outcome.outputs],
            }
        else:
            manifest.pop(job.key, None)
        if on_outcome:
            on_outcome(outcome)

    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    for job, stamp, outcome in _run_isolated(
        str(workspace.root), todo, workers, workspace.config.limits
    ):
        finish(job, stamp, outcome)
    outcomes += plan.refused
    if outcomes:
        write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
    order = {job.key: i for i, job in enumerate(plan.jobs)}
    outcomes.sort(key=lambda o: order.get(f"{o.kind}:{o.item}:{o.format}", len(order)))
    return outcomes


def build_workspace(
    workspace: Workspace,
    targets: Iterable[str] = (),
    formats: Iterable[str] = (),
    jobs: int | None = None,
    force: bool = False,
    layout: str | None = None,
    strict: bool = False,
) -> list[Outcome]:
    """Plan, run and report a build: what ``pressroom build`` does, as one call."""
    plan = plan_build(workspace, targets, formats, layout)
    outcomes = run_build(workspace, plan, jobs, force, strict=strict)
    write_report(workspace, outcomes)
    return outcomes


def _run_isolated(root: str, todo: list[tuple[Job, str]], workers: int, limits: Limits):
    """Run each job in its own process, at most ``workers`` at once, under the limits.

    A job that runs past ``limits.render_seconds`` is killed; each process may use at
    most ``limits.render_memory_mb``. Either way that job fails alone, with a message,
    and the others go on. Processes fork from a server that has already imported
    WeasyPrint, so a job starts in milliseconds, not a second.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pressroom.api", "weasyprint"])
    pending = list(todo)
    running: dict[int, tuple] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                job, stamp = pending.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_child, args=(root, job, sender, limits.render_memory_mb), daemon=True
                )
                process.start()
                sender.close()
                running[process.sentinel] = (process, receiver, job, stamp, time.monotonic())
            multiprocessing.connection.wait(list(running), timeout=0.25)
            for sentinel, (process, receiver, job, stamp, started) in list(running.items()):
                outcome = None
                if receiver.poll() or not process.is_alive():
                    try:
                        outcome = receiver.recv()
                    except (EOFError, OSError):  # it died before sending anything
                        process.join(5)
                        outcome = _failed(
                            job,
                            "the render process ended without a result (exit code "
                            f"{process.exitcode}); it may have run out of memory "
                            f"(limits.render_memory_mb = {limits.render_memory_mb})",
                        )
                    process.join(5)
                elif time.monotonic() - started > limits.render_seconds:
                    process.kill()
                    process.join(5)
                    outcome = _failed(
                        job,
                        f"stopped after {limits.render_seconds:g} s, the time limit for one "
                        "render (limits.render_seconds)",
                    )
                if outcome is not None:
                    receiver.close()
                    del running[sentinel]
                    if not outcome.seconds:
                        outcome.seconds = time.monotonic() - started
                    yield job, stamp, outcome
    finally:
        for process, *_ in running.values():  # Ctrl-C, or an error here: stop the renders
            process.kill()


def _child(root: str, job: Job, sender, memory_mb: int) -> None:
    """A render process: cap its memory, run the job, send back the outcome."""
    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # a smaller hard limit is already set: keep it
        pass
    try:
        outcome = execute(root, job)
    except MemoryError:
        outcome = _failed(job, f"ran out of memory (limits.render_memory_mb = {memory_mb})")
    sender.send(outcome)
    sender.close()


def _failed(job: Job, message: str) -> Outcome:
    return Outcome(job.item, job.kind, job.format, "failed", messages=[message])


def execute(root: str, job: Job) -> Outcome:
    """Render one job and write its outputs (runs in a worker process)."""
    started = time.perf_counter()
    outcome = Outcome(job.item, job.kind, job.format, "built")
    try:
        workspace = Workspace.load(Path(root))
        if job.kind == "profile":
            profile = api.load_profile(job.source, workspace)
            result = api.render(profile, job.layout, job.format)
            parts, sources = {job.item: result}, [job.source]
        else:
            edition = _load_edition(job.source, workspace)
            result = api.render_edition(edition, job.format, job.layout)
            parts, sources = {job.item: result, **result.offprints}, edition.profile_paths
        findings = _preflight(job, workspace, result, sources)
        outcome.messages = [f"warning: {w}" for w in result.warnings] + findings
        refused = [m for m in findings if ": error: " in m or (job.strict and ": warning: " in m)]
        if refused:
            outcome.status = "failed"
            outcome.messages.append(
                "preflight failed: nothing written" + (" (--strict)" if job.strict else "")
            )
            return outcome
        for slug, path in job.outputs.items():
            write_atomic(path, parts[slug].pdf)
            outcome.outputs.append(Output(str(path), parts[slug].pages, len(parts[slug].pdf)))
    except ContentError as error:
        outcome.status = "failed"
        outcome.messages = [d.format(Path(root)) for d in error.diagnostics if d.is_error]
    except PressroomError as error:
        outcome.status = "failed"
        outcome.messages = [str(error)]
    except OSError as error:
        outcome.status = "failed"
        outcome.messages = [f"cannot write the PDF: {error.strerror or error}"]
    outcome.seconds = time.perf_counter() - started
    return outcome


def _preflight(job: Job, workspace: Workspace, result, sources: list[Path]) -> list[str]:
    """Preflight findings for a job's main PDF and its profiles' content, as messages."""
    from .preflight import Finding, content_findings, pdf_findings

    found = [Finding(page, message, "error") for page, message in result.layout_problems]
    found += pdf_findings(result.pdf, workspace.formats[job.format])
    messages = [f.format() for f in found]
    for source in sources:
        profile, _ = inspect_profile(source, workspace)
        if profile is not None:
            messages += [
                "preflight: " + d.format(workspace.root) for d in content_findings(profile)
            ]
    return messages


def _load_edition(path: Path, workspace: Workspace) -> Edition:
    edition, diagnostics = inspect_edition(path, workspace)
    if edition is None:
        raise ContentError(diagnostics)
    return edition


def fingerprint(
    workspace: Workspace,
    job: Job,
    index: dict[str, Path] | None = None,
    loaded: dict[Path, Profile | None] | None = None,
) -> str:
    """A hash of everything that affects a job's outputs.

    The job itself (kind, item, format, layout, output paths), the versions of
    pressroom and WeasyPrint, ``pressroom.yaml``, ``SOURCE_DATE_EPOCH``, the sources
    and images of every profile involved (and the edition file and its cover), every
    file of the layouts they use and the layouts those extend, and the built-in fonts.
    ``index`` (slug -> profile file) and ``loaded`` (profiles already read, by file)
    spare reading every profile again for each job.
    """
    digest = hashlib.sha256()

    def add(text: str) -> None:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    def add_file(path: Path | None) -> None:
        if path is not None:
            add(f"{path}:{_file_digest(path)}")

    add(json.dumps([job.kind, job.item, job.format, job.layout, job.strict], sort_keys=True))
    add(json.dumps({k: str(v) for k, v in job.outputs.items()}, sort_keys=True))
    add(__version__)
    add(_weasyprint_version())
    add(os.environ.get("SOURCE_DATE_EPOCH", ""))
    add_file(workspace.root / CONFIG_FILE)
    add_file(job.source)
    sources = [job.source] if job.kind == "profile" else []
    layouts = {job.layout or workspace.config.layout}
    if job.kind == "edition":
        edition, _ = inspect_edition(job.source, workspace, index)
        if edition is not None:
            sources = edition.profile_paths
            add_file(edition.cover_path)
    loaded = loaded or {}
    for source in sources:
        add_file(source)
        profile = loaded[source] if source in loaded else inspect_profile(source, workspace)[0]
        if profile is not None:
            add_file(profile.illustration_path)
            if job.kind == "profile" and not job.layout:
                layouts = {profile.layout}  # a profile may choose its own layout
    folders = [builtin_root() / "assets" / "fonts"]
    for name in sorted(layouts):
        with contextlib.suppress(PressroomError, OSError):  # the render will report it
            folders += find_layout(name, workspace).template_dirs
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            add_file(path)
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)
def _cached_digest(path: str, modified: int, size: int) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _file_digest(path: Path) -> str:
    """A file's hash, read once per process while the file is unchanged (fonts and layout
    files are part of every job's fingerprint)."""
    try:
        info = path.stat()
        return _cached_digest(str(path), info.st_mtime_ns, info.st_size)
    except OSError:
        return "missing"


def _weasyprint_version() -> str:
    try:
        return metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        return "unknown"


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_report(workspace: Workspace, outcomes: list[Outcome]) -> Path:
    """``build/report.json``: the summary table's data, for pipelines."""
    data = {
        "pressroom": __version__,
        "ok": all(o.ok for o in outcomes),
        "items": [
            {
                **asdict(o),
                "pages": o.pages,
                "bytes": o.size,
                "outputs": [
                    {**asdict(out), "path": display_path(Path(out.path), workspace.root)}
                    for out in o.outputs
                ],
                "seconds": round(o.seconds, 3),
            }
            for o in outcomes
        ],
    }
    path = workspace.output_dir / REPORT
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path
