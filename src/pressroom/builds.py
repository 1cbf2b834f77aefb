"""Batch builds: every edition and profile, in every format, in parallel, incrementally.

A build is planned as a list of jobs (one profile or one edition in one format),
run inline or in a pool of worker processes, each failing alone. Outputs are
written atomically. A job whose inputs have not changed since its outputs were
written is skipped (``force`` rebuilds anyway); what counts as an input is listed
in :func:`fingerprint`.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
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
from .credits import LEDGER_FILE, ImageUse, credit_for, load_ledger
from .diagnostics import ContentError, Diagnostic, PressroomError, display_path
from .editions import Edition, inspect_edition, inspect_profiles, profile_index
from .engine import start_workers_server
from .layouts import BACK, FRONT, find_layout
from .output import write_atomic
from .pieces import EditionPlan, PieceResult, PieceSpec, render_piece
from .stamps import STAMP_FILE

MANIFEST = ".pressroom-manifest.json"
REPORT = "report.json"
CACHE = ".pressroom-cache"  # pieces of editions, by cache key
# What a piece may hold besides its PDF: its offprint, a blank page, a teaser page.
PIECE_PARTS = ("offprint", "blank", "teaser")
PIECE = ".piece.pdf-part"  # PDFs, but not outputs: globbing the build folder for *.pdf skips them
PAGE_HINTS = "page-hints"  # manifest key: page counts of pieces seen before


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
    messages: list[str] = field(default_factory=list)
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


@dataclass
class Plan:
    jobs: list[Job]
    refused: list[Outcome]  # items that cannot be built (content errors), already reported
    diagnostics: list[Diagnostic]
    index: dict[str, Path] = field(default_factory=dict)  # profile slug -> file
    profiles: dict[Path, Profile | None] = field(default_factory=dict)  # as loaded when planned
    editions: dict[Path, Edition] = field(default_factory=dict)  # by file, as checked


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
    targets = list(targets)
    wanted_profiles, wanted_editions = _select(workspace, targets, index, editions)
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
            job = Job("profile", slug, index[slug], name, {slug: target}, layout)
            _append_inside(workspace, job, jobs, refused)
    checked = {}
    for slug, path in sorted(wanted_editions.items()):
        edition, found = inspect_edition(path, workspace, index)
        diagnostics += found
        if edition is not None:
            checked[path] = edition
        names = _edition_formats(edition, path, only, slug in targets, diagnostics)
        if edition is None:
            for name in names or sorted(only) or ["-"]:
                refused.append(
                    Outcome(slug, "edition", name, "failed", messages=["edition errors"])
                )
            continue
        bad = [broken[s] for s in edition.meta.slugs if s in broken]
        for name in names:
            if bad:
                message = f"edition cannot be built: {', '.join(bad)} has errors"
                refused.append(Outcome(slug, "edition", name, "failed", messages=[message]))
                continue
            outputs = {slug: workspace.edition_output(slug, slug, name)}
            for profile_slug in edition.meta.slugs:
                outputs[profile_slug] = workspace.edition_output(slug, profile_slug, name)
            _append_inside(
                workspace, Job("edition", slug, path, name, outputs, layout), jobs, refused
            )
    loaded = {path: profile for path, profile, _ in inspected}
    return Plan(jobs, refused, diagnostics, index, loaded, checked)


def _edition_formats(edition, path: Path, only: set[str], named: bool, diagnostics) -> list[str]:
    """The formats to build an edition in: its own, narrowed by ``--format`` (which never
    adds one its file leaves out; a warning says so when the edition was named)."""
    published = edition.format_names if edition else _listed(path, "formats") or []
    names = [f for f in published if not only or f in only]
    if edition is not None and not names and named:
        message = (
            f"not built in {', '.join(sorted(only))}: the edition is published only in "
            f"{', '.join(published)}"
        )
        line = edition.lines.line_of(("formats",))
        diagnostics.append(Diagnostic(path, line, "formats", message, "warning"))
    return names


def _append_inside(workspace: Workspace, job: Job, jobs: list, refused: list) -> None:
    """Plan ``job``, unless one of its outputs would land outside the output folder or in
    pressroom's own files there (a pattern or a name that makes a path of it)."""
    output = workspace.output_dir.resolve()
    for path in job.outputs.values():
        resolved = path.resolve()
        inside = resolved.is_relative_to(output) and resolved != output
        own_files = (CACHE, MANIFEST, REPORT, STAMP_FILE)
        own = inside and resolved.relative_to(output).parts[0] in own_files
        if not inside or own:
            where = display_path(path, workspace.root)
            message = f"refused: its output '{where}' would be outside the output folder"
            if own:
                message = f"refused: its output '{where}' would overwrite pressroom's own files"
            refused.append(Outcome(job.item, job.kind, job.format, "failed", messages=[message]))
            return
    jobs.append(job)


def _listed(path: Path, key: str = "profiles") -> list[str]:
    """A list from an edition file, read leniently (for planning around broken files)."""
    from .yamlsource import load_yaml

    try:
        data, _ = load_yaml(path.read_text(encoding="utf-8"), path)
    except (ContentError, OSError, UnicodeDecodeError):
        return []
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    # A profile may be listed as {profile: slug, pages: N}.
    value = [v.get("profile") if isinstance(v, dict) else v for v in value]
    return [v for v in value if isinstance(v, str)]


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
    scheduler: str | None = None,
    pool: TaskPool | None = None,
) -> list[Outcome]:
    """Run the plan's jobs (in ``jobs`` worker processes) and return every outcome.

    Each output is preflighted before it is written: preflight errors (and, with
    ``strict``, warnings) fail the job and leave the previous output in place.
    An edition is rendered as pieces (see :mod:`pressroom.pieces`): each piece is a
    task of its own, cached under ``output_dir/.pressroom-cache`` by everything it
    depends on, so an edit re-renders only the pieces it touches. ``scheduler``, the
    address of a Dask scheduler, runs the renders on that cluster instead; ``pool``, a
    pool the caller keeps between builds (the preview does), runs them there.
    """
    for job in plan.jobs:
        job.strict = strict
    manifest_path = workspace.output_dir / MANIFEST
    manifest = _read_manifest(manifest_path)
    hints: dict[str, int] = manifest.get(PAGE_HINTS, {})  # kept by --force: only guesses
    if force:
        manifest = {PAGE_HINTS: hints}
    cache = PieceCache(workspace.output_dir / CACHE, enabled=not force)
    outcomes: list[Outcome] = []
    todo: list[tuple[Job, str]] = []
    for job in plan.jobs:
        inputs_hash = fingerprint(workspace, job, plan.index, plan.profiles)
        if (
            not force
            and manifest.get(job.key, {}).get("fingerprint") == inputs_hash
            and all(path.is_file() for path in job.outputs.values())
        ):
            cached = Outcome(job.item, job.kind, job.format, "cached")
            cached.outputs = [Output(**o) for o in manifest[job.key]["outputs"]]
            outcomes.append(cached)
            if on_outcome:
                on_outcome(cached)
        else:
            todo.append((job, inputs_hash))

    def finish(job: Job, inputs_hash: str, outcome: Outcome, pieces: list[str] = ()) -> None:
        outcomes.append(outcome)
        # An input edited while the job ran (and maybe edited back) makes the output
        # uncertain: it is written, but not recorded as up to date; the next build redoes it.
        current = (
            outcome.ok and fingerprint(workspace, job, plan.index, plan.profiles) == inputs_hash
        )
        if current:
            manifest[job.key] = {
                "fingerprint": inputs_hash,
                "outputs": [asdict(o) for o in outcome.outputs],
                "pieces": sorted(pieces),
            }
        else:
            manifest.pop(job.key, None)
        if on_outcome:
            on_outcome(outcome)

    if todo and pool is not None:
        _run_tasks(workspace, plan, todo, pool, cache, hints, finish)
        manifest[PAGE_HINTS] = hints
    elif todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) * 8))
        limits = workspace.config.limits
        if scheduler:
            from .distributed import DaskPool

            pool = DaskPool(scheduler, str(workspace.root), limits)
        else:
            pool = LocalPool(str(workspace.root), workers, limits)
        with pool:
            _run_tasks(workspace, plan, todo, pool, cache, hints, finish)
        manifest[PAGE_HINTS] = hints
    outcomes += plan.refused
    notes = [cache.problem] if cache.problem else []
    if outcomes:
        try:
            write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
        except OSError as error:  # a full disk: the outputs written stay; the next build redoes
            notes.append(
                f"cannot write {display_path(manifest_path, workspace.root)} "
                f"({error.strerror or error}): the next build renders everything again"
            )
        pieces = {
            key for k, entry in manifest.items() if k != PAGE_HINTS for key in entry["pieces"]
        }
        cache.prune(pieces)
    for note in notes:  # said once, with the first item
        outcomes[0].messages.append(f"warning: {note}")
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
    scheduler: str | None = None,
    validate: bool = False,
) -> list[Outcome]:
    """Plan, run and report a build: what ``pressroom build`` does, as one call.

    Like the command, it is a no-op when nothing it read changed since a build with the
    same request succeeded (see :mod:`pressroom.stamps`): the outcomes are then that
    build's, each ``cached``."""
    from . import stamps

    targets, formats = list(targets), list(formats)
    options = stamps.build_options(targets, formats, layout, strict, bool(scheduler), validate)
    output = workspace.output_dir
    stamp = None if workspace.is_standalone else stamps.input_stamp(workspace.root, output, options)
    if stamp and not force and (previous := stamps.up_to_date(output, stamp)) is not None:
        outcomes = [cached_outcome(item, workspace.root) for item in previous["items"]]
        write_report(workspace, outcomes)  # as the command does: every item up to date
        return outcomes
    plan = plan_build(workspace, targets, formats, layout)
    outcomes = run_build(workspace, plan, jobs, force, strict=strict, scheduler=scheduler)
    if validate:
        validate_outputs(workspace, outcomes, strict)
    report = write_report(workspace, outcomes)
    written = [out.path for o in outcomes for out in o.outputs]
    stamps.settle(output, stamp, all(o.ok for o in outcomes), written, report)
    return outcomes


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
        messages=list(item.get("messages", [])),
        fpo=list(item.get("fpo", [])),
        copyfit=dict(item.get("copyfit", {})),
    )


def validate_outputs(workspace: Workspace, outcomes: list[Outcome], strict: bool) -> list[str]:
    """Check every output with veraPDF against the standard its format claims; record the
    verdicts on the outputs (``report.json``) and, for a failure, a message on the item,
    which fails with ``strict``. Returns the lines for the end of the summary."""
    from .conformance import HOW_TO_GET_IT, ValidatorError, find_verapdf, standard_of, validate

    variants = {name: fmt.pdf_variant for name, fmt in workspace.formats.items()}
    checked = [
        (out, outcome)
        for outcome in outcomes
        if outcome.ok
        for out in outcome.outputs
        if standard_of(variants[outcome.format])
    ]
    uncovered = sorted({o.format for o in outcomes if o.ok and not standard_of(variants[o.format])})
    note = [f"not covered by veraPDF: {', '.join(uncovered)} (PDF/X has no open validator)"]
    note = note if uncovered else []
    command = find_verapdf()
    if command is None:
        return [HOW_TO_GET_IT, *note]
    owner = {out.path: (out, outcome) for out, outcome in checked}
    try:
        verdicts = validate(
            [(Path(out.path), variants[outcome.format]) for out, outcome in checked], command
        )
    except ValidatorError as error:
        return [f"validation: {error}", *note]
    for verdict in verdicts:
        out, outcome = owner[str(verdict.path)]
        out.validation = {
            "standard": verdict.standard,
            "passed": verdict.passed,
            "failures": verdict.failures,
        }
        where = display_path(verdict.path, workspace.root)
        for failure in verdict.failures:
            level = "error" if strict else "warning"
            outcome.messages.append(f"{where}: {level}: not {verdict.standard}: {failure}")
        if not verdict.passed and strict:
            outcome.status = "failed"
    passed = sum(v.passed for v in verdicts)
    standards = ", ".join(sorted({v.standard for v in verdicts}))
    line = f"validated with veraPDF ({standards}): {passed} of {len(verdicts)} outputs pass"
    return [line, *note]


@dataclass
class Task:
    """What a worker runs: a profile job, or one piece of an edition job."""

    job: Job
    spec: PieceSpec | None = None
    key: str = ""  # a piece's cache key
    # The build's SOURCE_DATE_EPOCH travels with the task: a worker's own environment
    # is the one its server started with (or another machine's).
    source_date: str | None = field(default_factory=lambda: os.environ.get("SOURCE_DATE_EPOCH"))
    # Fills in spec and key when the task starts, with the page counts known by then
    # (a guess made later is more often right: fewer pieces are laid out twice).
    # It returns None while a guess would be poor (the edition's front, whose length
    # moves every page number, is still being laid out): other tasks go first.
    prepare: Callable[[], tuple[PieceSpec, str] | None] | None = field(default=None, repr=False)

    def ready(self) -> bool:
        if self.prepare is not None:
            prepared = self.prepare()
            if prepared is None:
                return False
            self.spec, self.key = prepared
            self.prepare = None
        return True


@dataclass
class Failure:
    """A task that did not produce its result, and why."""

    messages: list[str]
    peak_mb: float = 0.0
    fatal: bool = False  # the worker that ran it must not run another


class TaskPool(abc.ABC):
    """Runs tasks somewhere and hands back their results, in the order they finish
    (:class:`LocalPool` here, ``distributed.DaskPool`` on a cluster)."""

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @abc.abstractmethod
    def submit(self, task: Task) -> None: ...

    @abc.abstractmethod
    def completed(self) -> Iterable[tuple[Task, object]]:
        """Wait for at least one task to finish; yield (task, result) for each that did."""

    @property
    @abc.abstractmethod
    def busy(self) -> bool: ...

    @abc.abstractmethod
    def close(self) -> None: ...


def _run_tasks(workspace, plan: Plan, todo, pool: TaskPool, cache, hints, finish) -> None:
    """Feed the pool: profile jobs as they are, editions piece by piece, round by round."""
    editions: dict[str, EditionRun] = {}
    for job, inputs_hash in todo:  # editions first: their fronts set every page number
        if job.kind == "edition":
            run = EditionRun(
                job, inputs_hash, _edition_plan(workspace, plan, job, hints), plan.profiles
            )
            editions[job.key] = run
            _advance(run, pool, cache, hints, finish)
    for job, _ in todo:
        if job.kind == "profile":
            pool.submit(Task(job))
    hashes = {job.key: inputs_hash for job, inputs_hash in todo}
    while pool.busy:
        for task, result in pool.completed():
            if task.job.kind == "profile":
                _profile_done(task, result, editions, hashes, finish)
            else:
                _piece_done(task, result, editions, pool, cache, hints, finish)


def _profile_done(task: Task, result, editions: dict, hashes: dict, finish) -> None:
    """A profile job is back: write it, report it, and tell editions its page count."""
    if isinstance(result, Outcome) and result.ok:
        for run in editions.values():  # a profile alone: a hint for its piece
            run.plan.suggest(task.job.item, result.pages)
    outcome = result if isinstance(result, Outcome) else _failed(task.job, "")
    if isinstance(result, Failure):
        outcome.messages = result.messages
    _write_outputs(outcome, task.job)
    finish(task.job, hashes[task.job.key], outcome)


def _piece_done(task: Task, result, editions: dict, pool, cache, hints, finish) -> None:
    """A piece of an edition is back: keep it, and once the round is in, go on (or fail)."""
    run = editions[task.job.key]
    run.pending -= 1
    if run.failed is not None:
        pass
    elif isinstance(result, Failure):
        part = task.spec.part
        where = PART_NAMES.get(part, f"profile {part}")
        run.failed = [f"{where}: {m}" for m in result.messages]
    else:
        if run.plan.unchanged(part := task.spec.part):  # else its key would lie
            cache.store(task.key, result)
        else:
            run.plan.content_keys[part] = run.plan.content_key(part)
        run.plan.receive(task.spec, result)
        for other in editions.values():  # the same piece in another format
            if other.job.source == run.job.source:
                other.plan.suggest(task.spec.part, result.pages)
        run.peak_mb = max(run.peak_mb, result.peak_mb)
    if run.pending:
        return
    if run.failed is not None:
        outcome = _failed(run.job, "")
        outcome.messages = run.failed
        outcome.seconds = time.monotonic() - run.started
        finish(run.job, run.inputs_hash, outcome)
    else:
        _advance(run, pool, cache, hints, finish)


@dataclass
class EditionRun:
    job: Job
    inputs_hash: str
    plan: EditionPlan
    loaded: dict[Path, Profile | None] = field(default_factory=dict)  # as the build planned
    pending: int = 0
    failed: list[str] | None = None
    keys: set[str] = field(default_factory=set)
    peak_mb: float = 0.0
    rendered: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)


def _advance(run: EditionRun, pool: TaskPool, cache, hints, finish) -> None:
    """Take the pieces the edition needs from the cache or send them to the pool;
    once every piece agrees on the page numbers, assemble and write the edition."""
    plan = run.plan
    while True:
        try:
            specs = plan.wanted()
        except ContentError as error:
            outcome = _failed(run.job, "")
            outcome.messages = [d.format() for d in error.diagnostics]
            finish(run.job, run.inputs_hash, outcome)
            return
        if not specs:
            break
        missing = []
        for spec in specs:
            key = plan.key(spec)
            cached = cache.load(key)
            if cached is None:
                missing.append((spec, key))
            else:
                plan.receive(spec, cached)
                run.cached += 1
        if missing:
            for spec, _ in missing:
                pool.submit(Task(run.job, prepare=functools.partial(_prepare, plan, spec.part)))
            run.pending = len(missing)
            run.rendered += len(missing)
            return
    hints.update(plan.page_counts)
    run.keys = {plan.key(spec) for spec, _ in plan.results.values()}  # what the edition uses
    outcome = Outcome(run.job.item, "edition", run.job.format, "built", peak_mb=run.peak_mb)
    outcome.pieces = {"rendered": run.rendered, "cached": run.cached}
    edition = plan.edition
    uses = edition.image_uses()
    for path in edition.profile_paths:  # the profiles as planned: not read again
        profile = run.loaded.get(path)
        uses += profile.image_uses() if profile else []
    outcome.fpo = fpo_art(edition.workspace, uses)
    outcome.copyfit = {
        slug: spec_result[1].copyfit
        for slug, spec_result in plan.results.items()
        if slug in plan.order and spec_result[1].copyfit
    }
    try:
        pdf, offprints, pages = plan.assemble()
        warnings, findings = plan.messages()
        outcome.messages = [f"warning: {w}" for w in warnings] + findings
        if not _refused(outcome, findings, run.job.strict):
            _write_parts(outcome, run.job, {run.job.item: (pdf, pages), **offprints})
    except Exception as error:  # a broken piece must fail this edition, not the build
        outcome.status = "failed"
        outcome.messages = [f"cannot assemble the edition: {type(error).__name__}: {error}"]
    outcome.seconds = time.monotonic() - run.started
    finish(run.job, run.inputs_hash, outcome, run.keys)


PART_NAMES = {FRONT: "front (cover and contents)", BACK: "colophon (credits page)"}


def _prepare(plan: EditionPlan, part: str) -> tuple[PieceSpec, str] | None:
    if part != FRONT and FRONT in plan.unhinted and FRONT not in plan.known:
        return None
    spec = plan.spec(part)
    return spec, plan.key(spec)


def _refused(outcome: Outcome, findings: list[str], strict: bool) -> bool:
    """Preflight errors (or, with ``strict``, warnings) fail the job: nothing is written."""
    refused = [m for m in findings if ": error: " in m or (strict and ": warning: " in m)]
    if refused:
        outcome.status = "failed"
        outcome.messages.append(
            "preflight failed: nothing written" + (" (--strict)" if strict else "")
        )
    return bool(refused)


def _edition_plan(workspace: Workspace, plan: Plan, job: Job, hints) -> EditionPlan:
    edition = plan.editions[job.source]
    related = {
        slug: list(profile.meta.related)
        for slug, path in plan.index.items()
        if (profile := plan.profiles.get(path)) is not None
    }
    keys = piece_keys(workspace, job, edition, plan.index, plan.profiles)
    return EditionPlan(edition, job.format, job.layout, plan.index, related, keys, hints)


class PieceCache:
    """Rendered pieces of editions, by cache key, in the build folder."""

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled
        self.problem: str | None = None  # why the cache was given up, if it was

    def load(self, key: str) -> PieceResult | None:
        """The piece stored under ``key``, or None: a piece whose description is not the
        shape written, names another key, or whose PDF is not the one stored (files
        swapped, truncated, edited) is not used, and is rendered again."""
        if not self.enabled:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            pdf = (self.folder / f"{key}{PIECE}").read_bytes()
            if not _piece_description_ok(data, key) or _digest(pdf) != data["digest"]:
                return None
            result = PieceResult(pdf, data["pages"])
            for name in PIECE_PARTS:
                if data[name] == "same":  # the offprint of a piece without links
                    setattr(result, name, result.pdf)
                elif data[name]:
                    part = (self.folder / f"{key}-{name}{PIECE}").read_bytes()
                    if _digest(part) != data[name]:
                        return None
                    setattr(result, name, part)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        result.warnings = data["warnings"]
        result.findings = [tuple(f) for f in data["findings"]]
        result.notes = data["notes"]
        result.anchors = data["anchors"]
        result.copyfit = data.get("copyfit") if isinstance(data.get("copyfit"), dict) else {}
        return result

    def store(self, key: str, result: PieceResult) -> None:
        """Keep a piece; a cache that cannot be written (a full disk, the folder replaced
        by a file) is given up for this build, which goes on without it."""
        if not self.enabled:
            return
        try:
            write_atomic(self.folder / f"{key}{PIECE}", result.pdf)
            stored = {}
            for name in PIECE_PARTS:
                data = getattr(result, name)
                stored[name] = "same" if data == result.pdf else _digest(data) if data else ""
                if data and data != result.pdf:
                    write_atomic(self.folder / f"{key}-{name}{PIECE}", data)
            info = {
                "key": key,
                "digest": _digest(result.pdf),
                "pages": result.pages,
                **stored,
                "warnings": result.warnings,
                "findings": result.findings,
                "notes": result.notes,
                "anchors": result.anchors,
                "copyfit": result.copyfit,
            }
            # The description goes last: a piece counts as cached only once it is complete.
            write_atomic(self.folder / f"{key}.json", json.dumps(info).encode())
        except OSError as error:
            self.enabled = False
            self.problem = f"the piece cache is off for this build: {error.strerror or error}"

    def prune(self, keep: set[str]) -> None:
        """Remove pieces no output depends on any more."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.split(".")[0].split("-")[0] not in keep:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _piece_description_ok(data: object, key: str) -> bool:
    """Whether a cached piece's description is what :meth:`PieceCache.store` writes."""
    if not isinstance(data, dict) or data.get("key") != key:
        return False
    texts = all(
        isinstance(data.get(name), list) and all(isinstance(x, str) for x in data[name])
        for name in ("warnings", "notes")
    )
    findings = isinstance(data.get("findings"), list) and all(
        isinstance(f, list)
        and len(f) == 3
        and (f[0] is None or isinstance(f[0], int))
        and isinstance(f[1], str)
        and isinstance(f[2], str)
        for f in data["findings"]
    )
    anchors = isinstance(data.get("anchors"), dict) and all(
        isinstance(k, str) and isinstance(v, int) for k, v in data["anchors"].items()
    )
    return (
        texts
        and findings
        and anchors
        and isinstance(data.get("pages"), int)
        and data["pages"] >= 0
        and isinstance(data.get("digest"), str)
        and all(isinstance(data.get(name), str) for name in PIECE_PARTS)
    )


class LocalPool(TaskPool):
    """Worker processes on this machine, at most ``workers`` at once, under the limits.

    Workers live for the whole build and take task after task, so what they learn
    stays warm: compiled templates, parsed stylesheets, loaded fonts, font coverage.
    They fork from a server that has already imported WeasyPrint, so one starts in
    milliseconds. A task that runs past ``limits.render_seconds`` is killed with its
    worker; each worker may use at most ``limits.render_memory_mb``. Either way that
    task fails alone, with a message, a fresh worker replaces the lost one, and the
    others go on.
    """

    def __init__(self, root: str, workers: int, limits: Limits) -> None:
        self.root = root
        self.workers = workers
        self.limits = limits
        self.context = start_workers_server()
        self.pending: list[Task] = []
        self.idle: list[tuple] = []  # (process, connection)
        self.running: dict = {}  # connection -> (process, task, started)

    def submit(self, task: Task) -> None:
        self.pending.append(task)

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.running)

    def _spawn(self) -> tuple:
        here, there = self.context.Pipe()
        process = self.context.Process(
            target=_worker, args=(self.root, there, self.limits.render_memory_mb), daemon=True
        )
        process.start()
        there.close()
        return process, here

    def _start(self) -> None:
        while len(self.running) < self.workers:
            task = next((t for t in self.pending if t.ready()), None)
            if task is None:
                return
            self.pending.remove(task)
            process, connection = self.idle.pop() if self.idle else self._spawn()
            try:
                connection.send(task)
            except OSError:  # the idle worker is gone: give the task to a fresh one
                process.kill()
                process, connection = self._spawn()
                connection.send(task)
            self.running[connection] = (process, task, time.monotonic())

    def completed(self) -> Iterable[tuple[Task, object]]:
        self._start()
        limits = self.limits
        multiprocessing.connection.wait(list(self.running), timeout=0.25)
        for connection, (process, task, started) in list(self.running.items()):
            result, reusable = None, False
            if connection.poll():
                try:
                    result, reusable = connection.recv(), True
                except (EOFError, OSError):  # it died before sending anything
                    process.join(5)
                    code = process.exitcode
                    why = (
                        "it was killed (by the system, often for memory: "
                        f"limits.render_memory_mb = {limits.render_memory_mb})"
                        if code is not None and code < 0
                        else "it crashed"
                    )
                    result = Failure(
                        [f"the render process ended without a result (exit code {code}); {why}"]
                    )
            elif time.monotonic() - started > limits.render_seconds:
                process.kill()
                process.join(5)
                result = Failure(
                    [
                        f"stopped after {limits.render_seconds:g} s, the time limit for one "
                        "render (limits.render_seconds)"
                    ]
                )
            if result is None:
                continue
            del self.running[connection]
            if reusable and process.is_alive() and not getattr(result, "fatal", False):
                self.idle.append((process, connection))
            else:
                process.kill()
                connection.close()
            if isinstance(result, Outcome) and not result.seconds:
                result.seconds = time.monotonic() - started
            yield task, result
        self._start()

    def close(self) -> None:
        for _, connection in self.idle:
            with contextlib.suppress(OSError):
                connection.send(None)  # done: exit
            connection.close()
        for connection, (process, *_) in self.running.items():  # Ctrl-C, or an error here
            process.kill()
            connection.close()
        for process, _ in self.idle:
            process.join(2)
            if process.is_alive():
                process.kill()
        self.idle.clear()
        self.running.clear()


def _worker(root: str, connection, memory_mb: int) -> None:
    """A render process: cap its memory, then run tasks until told to stop."""
    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # a smaller hard limit is already set: keep it
        pass
    from . import render

    render.REUSE_STYLESHEETS = True  # this process lives for one build: inputs stay put
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = run_task(root, task)
        except MemoryError:
            result = Failure([f"ran out of memory (limits.render_memory_mb = {memory_mb})"])
            result.fatal = True  # memory may be left fragmented: this worker stops
        except RecursionError:
            result = Failure(["the document is nested too deeply to render"])
            result.fatal = True
        except Exception as error:  # a failure nobody foresaw: said as it is, this item only
            result = Failure([unexpected(error)])
        connection.send(result)
        if getattr(result, "fatal", False):
            return


def run_task(root: str, task: Task) -> Outcome | PieceResult | Failure:
    """Run one task where it is (a local worker process, or a Dask worker)."""
    if task.source_date is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = task.source_date
    if task.spec is None:
        result = execute(root, task.job)
    else:
        try:
            result = render_piece(Workspace.load(Path(root)), task.spec)
        except ContentError as error:
            result = Failure([d.format(Path(root)) for d in error.diagnostics if d.is_error])
        except PressroomError as error:
            result = Failure([str(error)])
    result.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _failed(job: Job, message: str) -> Outcome:
    return Outcome(job.item, job.kind, job.format, "failed", messages=[message] if message else [])


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
        outcome.messages = [f"warning: {w}" for w in result.warnings] + findings
        outcome.fpo = fpo_art(workspace, profile.image_uses())
        outcome.copyfit = result.copyfit
        if not _refused(outcome, findings, job.strict):
            outcome.payload = {job.item: (result.pdf, result.pages)}
    except ContentError as error:
        outcome.status = "failed"
        outcome.messages = [d.format(Path(root)) for d in error.diagnostics if d.is_error]
    except PressroomError as error:
        outcome.status = "failed"
        outcome.messages = [str(error)]
    except (MemoryError, RecursionError):
        raise  # the worker says so, and stops
    except Exception as error:
        outcome.status = "failed"
        outcome.messages = [unexpected(error)]
    outcome.seconds = time.perf_counter() - started
    return outcome


def unexpected(error: BaseException) -> str:
    """A failure no check foresaw, as one line: what it was and where pressroom was."""
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if "pressroom" in f.filename]
    where = f" (in {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"unexpected error{where}: {type(error).__name__}: {error}; please report it"


def _write_outputs(outcome: Outcome, job: Job) -> None:
    """Write what a profile job rendered (atomically), or fail it saying why."""
    payload, outcome.payload = outcome.payload, {}
    if not outcome.ok or not payload:
        if outcome.ok:
            outcome.status = "failed"
        return
    _write_parts(outcome, job, payload)


def _write_parts(outcome: Outcome, job: Job, parts: dict[str, tuple[bytes, int]]) -> None:
    """Write each output of a job (slug -> PDF and pages) atomically, or fail it saying why."""
    try:
        for slug, path in job.outputs.items():
            data, pages = parts[slug]
            write_atomic(path, data)
            outcome.outputs.append(Output(str(path), pages, len(data)))
    except OSError as error:
        outcome.status = "failed"
        outcome.messages = [f"cannot write the PDF: {error.strerror or error}"]


def _preflight(job: Job, workspace: Workspace, result, profile: Profile) -> list[str]:
    """Preflight findings for a profile job's PDF and the profile's content, as messages."""
    from .preflight import preflight_profile

    checked = preflight_profile(result, profile, workspace.formats[job.format])
    return checked.messages(workspace.root)


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
    add(_ledger_state(workspace))
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


def piece_keys(
    workspace: Workspace,
    job: Job,
    edition: Edition,
    index: dict[str, Path],
    loaded: dict[Path, Profile | None],
) -> Callable[[str], str]:
    """For each piece of an edition job, a hash of what it depends on, page numbers aside.

    Every piece: the versions, ``pressroom.yaml``, ``SOURCE_DATE_EPOCH``, the format
    and layout (every file of it and of the layouts it extends, and the built-in fonts)
    and the edition's own fields (not its list of profiles). The front: the cover and
    what the contents show of each profile (its whole file when sources are attached).
    A profile: its file, its images, and the titles of the profiles it refers to.
    """
    common = hashlib.sha256()

    def add(digest, text: str) -> None:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    add(common, json.dumps([job.format, job.layout, str(edition.source)]))
    add(common, edition.meta.model_dump_json(exclude={"profiles"}))
    add(common, __version__ + _weasyprint_version() + os.environ.get("SOURCE_DATE_EPOCH", ""))
    add(common, _file_digest(workspace.root / CONFIG_FILE))
    add(common, _ledger_state(workspace))
    folders = [builtin_root() / "assets" / "fonts"]
    with contextlib.suppress(PressroomError, OSError):  # the render will report it
        folders += find_layout(job.layout or workspace.config.layout, workspace).template_dirs
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            add(common, f"{path}:{_file_digest(path)}")
    attach = workspace.formats[job.format].attach_sources
    profiles = {slug: loaded.get(index[slug]) for slug in edition.meta.slugs}

    def key(part: str) -> str:
        digest = common.copy()
        if part == BACK:  # the colophon: what it shows of each picture (pages aside)
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                uses = [
                    (str(u.path), u.field, u.credit, u.status)
                    for u in (profile.image_uses() if profile else [])
                ]
                add(digest, json.dumps([slug, meta and (meta.title, meta.lang), uses]))
            return digest.hexdigest()
        if part == FRONT:
            add(digest, f"cover:{edition.cover_path}:{_file_digest(edition.cover_path)}")
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                shown = [slug, meta and (meta.title, meta.dek, meta.kicker, meta.lang, meta.tags)]
                add(digest, json.dumps(shown, default=str))
                if attach:
                    add(digest, _file_digest(index[slug]))
            return digest.hexdigest()
        profile = profiles[part]
        files = [index[part]]
        add(digest, f"budget:{edition.meta.budgets.get(part)}")  # copyfitting works to it
        if profile is not None:
            files += [profile.illustration_path, *profile.image_paths]
            for slug in profile.meta.related:
                other = profiles.get(slug)
                add(digest, json.dumps([slug, other.meta.title if other else None]))
        for path in files:
            add(digest, f"{path}:{_file_digest(path) if path else ''}")
        return digest.hexdigest()

    return key


def fpo_art(workspace: Workspace, uses: list[ImageUse]) -> list[str]:
    """The FPO pictures among ``uses``, as workspace paths, each once."""
    try:
        ledger = load_ledger(workspace.root)
    except ContentError:
        return []
    found = (use.path for use in uses if credit_for(use, ledger).fpo)
    return list(dict.fromkeys(display_path(path, workspace.root) for path in found))


def _ledger_state(workspace: Workspace) -> str:
    """The rights ledger as outputs depend on it: its file, and today's date when a
    clearance in it expires (an output built yesterday may not be allowed today)."""
    state = f"ledger:{_file_digest(workspace.root / LEDGER_FILE)}"
    with contextlib.suppress(ContentError):  # a broken ledger fails the jobs themselves
        if load_ledger(workspace.root).has_expiries:
            state += f":{dt.date.today().isoformat()}"
    return state


@functools.lru_cache(maxsize=4096)
def _cached_digest(path: str, modified: int, size: int) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _file_digest(path: Path | None) -> str:
    """A file's hash, read once per process while the file is unchanged (fonts and layout
    files are part of every job's fingerprint)."""
    if path is None:
        return "none"
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
            }
            for o in outcomes
        ],
    }
    path = workspace.output_dir / REPORT
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path
