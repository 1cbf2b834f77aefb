"""Running a build: skip what is up to date, schedule the rest on a pool, keep the
manifest, validate and report. :func:`build_workspace` is ``pressroom build`` as one call."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

from .. import stamps
from ..config import Workspace
from ..conformance import HOW_TO_GET_IT, ValidatorError, find_verapdf, standard_of, validate
from ..diagnostics import Message, display_path, warning
from ..distributed import DaskPool
from ..fitting import decision
from ..output import write_atomic
from .cache import CACHE, PieceCache
from .jobs import Job, Outcome, Output, job_key
from .keys import fingerprint
from .planning import Plan, plan_build
from .pool import LocalPool, TaskPool
from .records import MANIFEST, PAGE_HINTS, cached_outcome, read_manifest, write_report
from .schedule import run_tasks


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
    manifest = read_manifest(manifest_path)
    hints: dict[str, int] = manifest.get(PAGE_HINTS, {})  # kept by --force: only guesses
    if force:
        manifest = {PAGE_HINTS: hints}
    cache = PieceCache(workspace.output_dir / CACHE, read=not force)
    outcomes, todo, fits = _up_to_date(workspace, plan, manifest, force)
    if on_outcome:
        for cached in outcomes:
            on_outcome(cached)

    def finish(job: Job, inputs_hash: str, outcome: Outcome, pieces: list[str] = ()) -> None:
        outcomes.append(outcome)
        # An input edited while the job ran (and maybe edited back) makes the output
        # uncertain: it is written, but not recorded as up to date; the next build redoes it.
        current = (
            outcome.ok
            and fingerprint(workspace, job, plan.index, plan.profiles, plan.layouts) == inputs_hash
        )
        if current:
            manifest[job.key] = {
                "fingerprint": inputs_hash,
                "outputs": [asdict(o) for o in outcome.outputs],
                "pieces": sorted(pieces),
            }
            if job.kind == "profile" and outcome.copyfit:  # for the pieces set as it is
                manifest[job.key]["fit"] = decision(outcome.copyfit.get("fit"))
        else:
            manifest.pop(job.key, None)
        if on_outcome:
            on_outcome(outcome)

    if todo and pool is not None:
        run_tasks(workspace, plan, todo, pool, cache, hints, finish, fits)
        manifest[PAGE_HINTS] = hints
    elif todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) * 8))
        limits = workspace.config.limits
        if scheduler:
            pool = DaskPool(scheduler, str(workspace.root), limits)
        else:
            pool = LocalPool(str(workspace.root), workers, limits)
        with pool:
            run_tasks(workspace, plan, todo, pool, cache, hints, finish, fits)
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
        editions = {k for k in manifest if k != PAGE_HINTS and k.startswith("edition:")}
        cache.prune(pieces, editions)
    for note in notes:  # said once, with the first item
        outcomes[0].messages.append(warning(note, "build"))
    order = {job.key: i for i, job in enumerate(plan.jobs)}
    outcomes.sort(key=lambda o: order.get(job_key(o.kind, o.item, o.format), len(order)))
    return outcomes


def _up_to_date(workspace: Workspace, plan: Plan, manifest: dict, force: bool):
    """The jobs whose outputs are up to date (as outcomes), the others (with their input
    hash) to run, and the fitting the up-to-date own PDFs took, by job key."""
    outcomes: list[Outcome] = []
    todo: list[tuple[Job, str]] = []
    fits: dict[str, dict] = {}
    for job in plan.jobs:
        inputs_hash = fingerprint(workspace, job, plan.index, plan.profiles, plan.layouts)
        entry = manifest.get(job.key, {})
        if (
            not force
            and entry.get("fingerprint") == inputs_hash
            and all(path.is_file() for path in job.outputs.values())
        ):
            cached = Outcome(job.item, job.kind, job.format, "cached")
            cached.outputs = [Output(**o) for o in entry["outputs"]]
            if isinstance(entry.get("fit"), dict):
                fits[job.key] = entry["fit"]
            outcomes.append(cached)
        else:
            todo.append((job, inputs_hash))
    return outcomes, todo, fits


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


def validate_outputs(workspace: Workspace, outcomes: list[Outcome], strict: bool) -> list[str]:
    """Check every output with veraPDF against the standard its format claims; record the
    verdicts on the outputs (``report.json``) and, for a failure, a message on the item,
    which fails with ``strict``. Returns the lines for the end of the summary."""
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
            text = f"{where}: {level}: not {verdict.standard}: {failure}"
            outcome.messages.append(Message(text, level, "validation"))
        if not verdict.passed and strict:
            outcome.status = "failed"
    passed = sum(v.passed for v in verdicts)
    standards = ", ".join(sorted({v.standard for v in verdicts}))
    line = f"validated with veraPDF ({standards}): {passed} of {len(verdicts)} outputs pass"
    return [line, *note]
