"""Scheduling: feed a task pool with profile jobs as they are and editions piece by piece,
round by round, until every piece agrees on the page numbers; then assemble."""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..anchors import BACK, FRONT
from ..config import Workspace
from ..content import Profile
from ..diagnostics import ContentError, Message, warning
from ..fitting import decision
from ..output import scratch_file
from ..pieces import EditionPlan, PieceSpec
from .jobs import (
    Job,
    Outcome,
    failed_outcome,
    fpo_art,
    job_key,
    refuse_on_findings,
    write_outputs,
    write_parts,
)
from .keys import piece_keys
from .planning import Plan
from .pool import Failure, Task, TaskPool, run_apart

# The order tasks start in, of those that can (Task.rank). An edition's front first (its
# length moves every page number after it) and its colophon (it waits for all the rest);
# then profiles' own PDFs, each of which decides its piece's fitting; the pieces last.
# Pieces after own PDFs, not each after its own: at the end of a build both workers
# share the pieces left, where one of them used to lay out the last own PDF, then its
# piece, alone (and a piece prepared later guesses its page numbers better).
RANKS = {"front or colophon": 0, "profile": 1, "piece": 2}


def run_tasks(workspace, plan: Plan, todo, pool: TaskPool, cache, hints, finish, fits=None) -> None:
    """Feed the pool: profile jobs as they are, editions piece by piece, round by round.

    ``fits``: by profile job key, the fitting decided for an own PDF that is up to date
    (a piece fitted as its own PDF takes it instead of deciding again)."""
    editions: dict[str, EditionRun] = {}
    running = {job.key for job, _ in todo}
    build = uuid.uuid4().hex  # workers keep stylesheets and fonts warm for this build
    for job, inputs_hash in todo:  # editions first: their fronts set every page number
        if job.kind == "edition":
            edition_plan = _edition_plan(workspace, plan, job, hints)
            for slug in edition_plan.shared:
                key = job_key("profile", slug, job.format)
                if key in running:  # its pieces wait for the own PDF's decision
                    edition_plan.awaiting.add(slug)
                elif (fits or {}).get(key) is not None:
                    edition_plan.own_fits[slug] = json.dumps(fits[key])
            run = EditionRun(job, inputs_hash, edition_plan, plan.profiles, build=build)
            editions[job.key] = run
            _advance(run, pool, cache, hints, finish)
    for job, _ in todo:
        if job.kind == "profile":
            pool.submit(Task(job, build=build, rank=RANKS["profile"]))
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
    for run in editions.values():  # its fitting, for the pieces set as it is
        if run.job.format == task.job.format and task.job.item in run.plan.awaiting:
            run.plan.awaiting.discard(task.job.item)
            if isinstance(result, Outcome) and result.copyfit:
                run.plan.own_fits[task.job.item] = json.dumps(decision(result.copyfit.get("fit")))
    outcome = result if isinstance(result, Outcome) else failed_outcome(task.job, "")
    if isinstance(result, Failure):
        outcome.messages = result.messages
    write_outputs(outcome, task.job)
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
        run.failed = [Message(f"{where}: {m}", m.severity, m.origin) for m in result.messages]
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
            _colophon_early(run, pool, cache)
    if run.pending:
        return
    if run.failed is not None:
        outcome = failed_outcome(run.job, "")
        outcome.messages = run.failed
        outcome.seconds = time.monotonic() - run.started
        finish(run.job, run.inputs_hash, outcome)
    else:
        _advance(run, pool, cache, hints, finish)


def _colophon_early(run: EditionRun, pool: TaskPool, cache) -> None:
    """The colophon, as soon as it can go (EditionPlan.early_colophon): beside the front,
    not after it (at 300 profiles each takes seconds; a title edit needs both)."""
    spec = run.plan.early_colophon()
    if spec is not None:
        _take_or_send(run, pool, cache, [spec])


def _take_or_send(run: EditionRun, pool: TaskPool, cache, specs: list[PieceSpec]) -> int:
    """Pieces the cache has go to the plan; the others to the pool (each prepared when a
    worker is free: its page numbers as then known). How many were sent."""
    missing = []
    for spec in specs:
        cached = cache.load(run.plan.key(spec))
        if cached is None:
            missing.append(spec)
        else:
            run.plan.receive(spec, cached)
            run.cached += 1
    for spec in missing:
        prepare = functools.partial(_prepare, run.plan, spec.part)
        rank = RANKS["front or colophon" if spec.part in (FRONT, BACK) else "piece"]
        pool.submit(Task(run.job, build=run.build, prepare=prepare, rank=rank))
    run.pending += len(missing)
    run.rendered += len(missing)
    return len(missing)


@dataclass
class EditionRun:
    job: Job
    inputs_hash: str
    plan: EditionPlan
    loaded: dict[Path, Profile | None] = field(default_factory=dict)  # as the build planned
    pending: int = 0
    failed: list[Message] | None = None
    keys: set[str] = field(default_factory=set)
    peak_mb: float = 0.0
    rendered: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)
    build: str = ""  # the build's name for its tasks (Task.build)


def _advance(run: EditionRun, pool: TaskPool, cache, hints, finish) -> None:
    """Take the pieces the edition needs from the cache or send them to the pool;
    once every piece agrees on the page numbers, assemble and write the edition."""
    plan = run.plan
    while True:
        try:
            specs = plan.wanted()
        except ContentError as error:
            outcome = failed_outcome(run.job, "")
            outcome.messages = [Message(d.format(), d.severity, "plan") for d in error.diagnostics]
            finish(run.job, run.inputs_hash, outcome)
            return
        if not specs:
            break
        if _take_or_send(run, pool, cache, specs):
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
        # Written beside the output as it is assembled, then moved into place (unless
        # preflight refuses it, or it is the same as the output already there).
        with scratch_file(run.job.outputs[run.job.item]) as edition_pdf:
            apart = functools.partial(_assemble_apart, run, edition.workspace.config.limits)
            segments = cache.segments(run.job.key)
            _, offprints, pages = plan.assemble(edition_pdf, apart, segments)
            warnings, findings = plan.messages()
            outcome.messages = [warning(w) for w in warnings] + findings
            if not refuse_on_findings(outcome, findings, run.job.strict):
                parts = {run.job.item: (edition_pdf, pages), **offprints}
                write_parts(outcome, run.job, parts, moved=run.job.item)
    except Exception as error:  # a broken piece must fail this edition, not the build
        outcome.status = "failed"
        text = f"cannot assemble the edition: {type(error).__name__}: {error}"
        outcome.messages = [Message(text, "error", "build")]
    outcome.peak_mb = run.peak_mb  # the assembly's too
    outcome.seconds = time.monotonic() - run.started
    finish(run.job, run.inputs_hash, outcome, run.keys)


def _assemble_apart(run: EditionRun, limits, function, *args):
    """The assembly in a process of its own (its memory grows with the edition)."""
    value, peak_mb = run_apart(limits, function, *args)
    run.peak_mb = max(run.peak_mb, peak_mb)
    return value


PART_NAMES = {FRONT: "front (cover and contents)", BACK: "colophon (credits page)"}


def _prepare(plan: EditionPlan, part: str) -> tuple[PieceSpec, str] | None:
    if part != FRONT and FRONT in plan.unhinted and FRONT not in plan.known:
        return None
    if part in plan.awaiting:  # its own PDF, being laid out, decides its fitting
        return None
    spec = plan.spec(part)
    return spec, plan.key(spec)


def _edition_plan(workspace: Workspace, plan: Plan, job: Job, hints) -> EditionPlan:
    edition = plan.editions[job.source]
    related = {
        slug: list(profile.meta.related)
        for slug, path in plan.index.items()
        if (profile := plan.profiles.get(path)) is not None
    }
    keys = piece_keys(workspace, job, edition, plan.index, plan.profiles, plan.layouts)
    layout = job.layout or workspace.config.layout
    shared = [  # profiles whose own PDF this build makes in this format and layout
        other.item
        for other in plan.jobs
        if other.kind == "profile"
        and other.format == job.format
        and (profile := plan.profiles.get(other.source)) is not None
        and (other.layout or profile.layout) == layout
    ]
    return EditionPlan(
        edition, job.format, job.layout, plan.index, related, keys, hints, shared=shared
    )
