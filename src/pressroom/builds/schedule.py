"""Scheduling: feed a task pool with profile jobs as they are and editions piece by piece,
round by round, until every piece agrees on the page numbers; then assemble."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..anchors import BACK, FRONT
from ..config import Workspace
from ..content import Profile
from ..diagnostics import ContentError, Message, warning
from ..pieces import EditionPlan, PieceSpec
from .jobs import (
    Job,
    Outcome,
    failed_outcome,
    fpo_art,
    refuse_on_findings,
    write_outputs,
    write_parts,
)
from .keys import piece_keys
from .planning import Plan
from .pool import Failure, Task, TaskPool


def run_tasks(workspace, plan: Plan, todo, pool: TaskPool, cache, hints, finish) -> None:
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
        return
    if run.failed is not None:
        outcome = failed_outcome(run.job, "")
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
    failed: list[Message] | None = None
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
            outcome = failed_outcome(run.job, "")
            outcome.messages = [Message(d.format(), d.severity, "plan") for d in error.diagnostics]
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
        outcome.messages = [warning(w) for w in warnings] + findings
        if not refuse_on_findings(outcome, findings, run.job.strict):
            write_parts(outcome, run.job, {run.job.item: (pdf, pages), **offprints})
    except Exception as error:  # a broken piece must fail this edition, not the build
        outcome.status = "failed"
        text = f"cannot assemble the edition: {type(error).__name__}: {error}"
        outcome.messages = [Message(text, "error", "build")]
    outcome.seconds = time.monotonic() - run.started
    finish(run.job, run.inputs_hash, outcome, run.keys)


PART_NAMES = {FRONT: "front (cover and contents)", BACK: "colophon (credits page)"}


def _prepare(plan: EditionPlan, part: str) -> tuple[PieceSpec, str] | None:
    if part != FRONT and FRONT in plan.unhinted and FRONT not in plan.known:
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
    return EditionPlan(edition, job.format, job.layout, plan.index, related, keys, hints)
