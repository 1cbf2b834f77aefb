"""The ``pressroom`` command: a thin layer over :mod:`pressroom.api`.

Exit codes: 0 success, 1 content or render errors, 2 usage errors.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from .config import Workspace

from . import __version__
from .diagnostics import ContentError, Diagnostic, PressroomError, display_path
from .output import write_atomic


def _echo_diagnostics(diagnostics: list[Diagnostic], root: Path | None) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(root), err=True)


def _require_workspace() -> Workspace:
    from .config import find_workspace

    try:
        workspace = find_workspace(Path.cwd())
    except ContentError as error:
        _echo_diagnostics(error.diagnostics, Path.cwd())
        sys.exit(1)
    if workspace is None:
        raise click.UsageError(
            "no pressroom.yaml in this folder or any parent; run this inside a workspace, "
            "or use `pressroom render FILE` for a single profile"
        )
    return workspace


class _Commands(click.Group):
    """pressroom's commands: Ctrl-C exits 130, and Click's own errors (usage, bad
    options) are written as pressroom writes every error, ``error: ...`` (not ``Error:``)."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as error:
            _fail(error)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C: the shell's convention, not a content error's 1
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except click.ClickException as error:
            _fail(error)


def _fail(error: click.ClickException) -> NoReturn:
    """Show a Click error in pressroom's words and exit with its code (2: usage)."""
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        click.echo(context.get_usage(), err=True)
        hint = f"Try '{context.command_path} {context.help_option_names[0]}' for help."
        click.echo(hint + "\n", err=True)
    click.echo(f"error: {error.format_message()}", err=True)
    raise click.exceptions.Exit(error.exit_code)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pressroom")
def main() -> None:
    """Publish profiles written in Markdown as magazine-style PDFs."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PDF (default: the workspace's build folder, or next to FILE).",
)
@click.option(
    "--layout", "layout", metavar="NAME", help="Use this layout instead of the profile's."
)
@click.option("--format", "format_name", metavar="NAME", help="Output format (default: screen).")
def render(file: Path, output: Path | None, layout: str | None, format_name: str | None) -> None:
    """Render one profile FILE to PDF (works outside any workspace too)."""
    if not file.exists():
        raise click.BadParameter(f"'{file}' does not exist", param_hint="FILE")
    started = time.perf_counter()
    from .engine import Engine

    engine = Engine()  # loads WeasyPrint on another core while the profile is read
    from . import api

    try:
        from .config import workspace_for_file

        workspace = workspace_for_file(file)
        if format_name is not None and format_name not in workspace.formats:
            known = ", ".join(sorted(workspace.formats))
            message = f"unknown format '{format_name}'; known formats: {known}"
            raise click.BadParameter(message, param_hint="'--format'")  # a usage error: 2
        profile = api.load_profile(file, workspace)
        _echo_diagnostics(profile.warnings, workspace.root)
        if output is None:
            output = (
                file.with_suffix(".pdf")
                if workspace.is_standalone
                else workspace.output_dir / f"{profile.slug}.pdf"
            )
        result = api.render(profile, layout, format_name, engine=engine)
        from .preflight import format_content_findings, preflight_profile

        # The same preflight as `build`: text off the page, fonts, FPO art... errors
        # mean nothing is written.
        checked = preflight_profile(result, profile, api.output_format(workspace, format_name))
        for finding in checked.findings:  # in the PDF: name the file
            click.echo(f"{display_path(file)}: {finding.format()}", err=True)
        for line in format_content_findings(checked.content, workspace.root):
            click.echo(line, err=True)
        if checked.failed:
            click.echo(f"{display_path(file)}: error: preflight failed: nothing written", err=True)
            sys.exit(1)
        write_atomic(output, result.pdf)
    except OSError as error:
        click.echo(f"{display_path(output)}: error: cannot write: {error.strerror}", err=True)
        sys.exit(1)
    except ContentError as error:
        _echo_diagnostics(error.diagnostics, Path.cwd())
        sys.exit(1)
    except PressroomError as error:
        click.echo(f"{display_path(file)}: error: {error}", err=True)
        sys.exit(1)
    finally:
        engine.close()
    for warning in result.warnings:
        click.echo(f"{display_path(file)}: warning: {warning}", err=True)
    seconds = time.perf_counter() - started
    click.echo(f"wrote {display_path(output)} ({result.pages} pages, {seconds:.1f} s)")


@main.command()
@click.argument("targets", nargs=-1, metavar="[EDITION|PROFILE]...")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="NAME",
    help="Build only these formats (repeatable).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Render in N worker processes (default: the number of CPUs).",
)
@click.option("--force", is_flag=True, help="Ignore what is cached and rebuild everything.")
@click.option("--layout", "layout", metavar="NAME", help="Use this layout for everything.")
@click.option("--strict", is_flag=True, help="Preflight warnings fail the item too.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Render on a Dask cluster (tcp://host:8786) instead of local processes.",
)
@click.option(
    "--validate",
    is_flag=True,
    help="Check each output with veraPDF against its format's standard (PDF/UA-1, PDF/A-3b).",
)
def build(
    targets: tuple[str, ...],
    formats: tuple[str, ...],
    jobs: int | None,
    force: bool,
    layout: str | None,
    strict: bool,
    scheduler: str | None,
    validate: bool,
) -> None:
    """Build every edition and profile of the workspace (or only TARGETS).

    Each edition is built in its formats (a PDF for the edition and one per
    profile); each profile on its own in the profile formats of pressroom.yaml.
    """
    from . import stamps

    options = stamps.build_options(targets, formats, layout, strict, bool(scheduler), validate)
    root = stamps.find_root(Path.cwd())
    output = stamps.output_folder(root) if root else None
    stamp = stamps.input_stamp(root, output, options) if output else None
    if stamp and not force:
        previous = stamps.up_to_date(output, stamp)
        if previous is not None:  # nothing changed since a build that succeeded
            _report_unchanged(output, previous, root)
            return
    if not scheduler:
        from .engine import start_workers_server

        start_workers_server()  # it loads the engine while the build is planned

    from .builds import UnknownTarget, plan_build, write_report

    workspace = _require_workspace()
    try:
        plan = plan_build(workspace, targets, formats, layout)
    except UnknownTarget as error:
        raise click.UsageError(str(error)) from None
    _echo_diagnostics(plan.diagnostics, workspace.root)
    if not plan.jobs and not plan.refused:
        click.echo("nothing to build", err=True)
        sys.exit(1)
    try:
        outcomes = _run_with_progress(workspace, plan, jobs, force, strict, scheduler)
    except PressroomError as error:
        raise click.ClickException(str(error)) from None
    notes = []
    if validate:
        from .builds import validate_outputs

        notes = validate_outputs(workspace, outcomes, strict)
        for outcome in outcomes:
            for out in outcome.outputs:
                verdict = out.validation or {}
                for failure in verdict.get("failures", []):
                    where = display_path(Path(out.path), workspace.root)
                    click.echo(f"{where}: not {verdict['standard']}: {failure}", err=True)
    _summary_table(workspace, outcomes)
    for note in notes:
        click.echo(note)
    _fpo_summary(outcomes)
    try:
        report = write_report(workspace, outcomes)
    except OSError as error:  # a full disk: the outputs written stay where they are
        message = f"cannot write the build report: {error.strerror or error}"
        raise click.ClickException(message) from None
    failed = sum(not o.ok for o in outcomes)
    built = sum(o.status == "built" for o in outcomes)
    cached = sum(o.status == "cached" for o in outcomes)
    click.echo(
        f"{built} built, {cached} up to date, {failed} failed; "
        f"report: {display_path(report, workspace.root)}"
    )
    if output == workspace.output_dir:
        written = [out.path for o in outcomes for out in o.outputs]
        stamps.settle(output, stamp, not failed, written, report)
    sys.exit(1 if failed else 0)


def _fpo_summary(outcomes) -> None:
    """Every FPO picture in what was written, and where: art to replace before release."""
    used: dict[str, list[str]] = {}
    for outcome in outcomes:
        if outcome.ok and outcome.outputs:
            for path in outcome.fpo:
                used.setdefault(path, []).append(f"{outcome.item} ({outcome.format})")
    if used:
        click.echo("FPO art (for position only), to replace with the final art:")
        for path, items in used.items():
            click.echo(f"  {path}: {', '.join(items)}")


def _report_unchanged(output: Path, report: dict, root: Path) -> None:
    """A no-op build: the last report again, every item up to date."""

    for item in report["items"]:
        item["status"], item["seconds"] = "cached", 0
    path = output / "report.json"
    write_atomic(path, (json.dumps(report, indent=2) + "\n").encode("utf-8"))
    count = len(report["items"])
    click.echo(f"0 built, {count} up to date, 0 failed; report: {display_path(path, root)}")


def _run_with_progress(
    workspace: Workspace, plan, jobs: int | None, force: bool, strict=False, scheduler=None
):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .builds import run_build

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rendering", total=len(plan.jobs))

        def advance(outcome) -> None:
            for message in outcome.messages:
                progress.console.print(
                    f"{outcome.item} ({outcome.format}): {message}", markup=False, highlight=False
                )
            progress.advance(task)

        return run_build(
            workspace, plan, jobs, force, on_outcome=advance, strict=strict, scheduler=scheduler
        )


def _fill(outcome) -> str:
    """How full the last page is: a profile's, or an edition's emptiest profile ending."""
    fit = outcome.copyfit
    if "last_page_fill" in fit:
        return f"{fit['last_page_fill']}%"
    fills = [(v["last_page_fill"], slug) for slug, v in fit.items() if isinstance(v, dict)]
    return f"{min(fills)[0]}% ({min(fills)[1]})" if fills else "-"


def _summary_table(workspace: Workspace, outcomes) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, box=None, header_style="bold", pad_edge=False)
    for name, justify in (
        ("item", "left"),
        ("format", "left"),
        ("pages", "right"),
        ("last page", "right"),
        ("size", "right"),
        ("time", "right"),
        ("status", "left"),
    ):
        table.add_column(name, justify=justify)
    for outcome in outcomes:
        size = f"{outcome.size / 1024:.0f} KB" if outcome.size else "-"
        seconds = f"{outcome.seconds:.1f} s" if outcome.status == "built" else "-"
        label = f"{outcome.item} ({outcome.kind})"
        status = {"built": "built", "cached": "up to date", "failed": "FAILED"}[outcome.status]
        table.add_row(
            label, outcome.format, str(outcome.pages or "-"), _fill(outcome), size, seconds, status
        )
    Console(width=100).print(table)
    for line in _fitting_lines(outcomes):
        click.echo(line)


FITTED_LINES = 12  # past this many, profiles that fitted are counted, not listed


def _fitting_lines(outcomes) -> list[str]:
    """What copyfitting did or could not do, a line per profile (and edition): every one
    that does not fit or has a page budget; those fitted to a short page, up to
    FITTED_LINES, then only their count. An edition's line that says what its profile's
    own PDF line says (the same fitting) is left out."""
    from .fitting import describe

    said: set[tuple[str, str, str]] = set()  # (slug, format, what)
    listed, fitted = [], []
    for outcome in sorted(outcomes, key=lambda o: o.kind != "profile"):  # own PDFs first
        fits = outcome.copyfit
        if "pages" in fits:  # a profile's own
            fits = {outcome.item: fits}
        for slug, fit in fits.items():
            if not (isinstance(fit, dict) and fit.get("fit")):
                continue
            what = describe(fit["fit"])
            if (slug, outcome.format, what) in said:
                continue
            said.add((slug, outcome.format, what))
            where = f"{slug} in {outcome.item}" if slug != outcome.item else slug
            line = f"copyfit: {where} ({outcome.format}): {what}"
            quiet = fit["fit"].get("fits") and not fit["fit"].get("budget")
            (fitted if quiet else listed).append(line)
    if len(fitted) > FITTED_LINES:
        fitted = [
            f"copyfit: {len(fitted)} profiles fitted by the layout's steps "
            "(build/report.json says how, under copyfit.fit)"
        ]
    return listed + fitted


@main.command()
@click.option(
    "--preflight",
    is_flag=True,
    help="Also render everything (nothing is written) and preflight each PDF.",
)
@click.option("--strict", is_flag=True, help="Warnings count as failures.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="With --preflight: render in N processes.",
)
@click.option(
    "--validate",
    is_flag=True,
    help="Render everything (as --preflight) and check each PDF with veraPDF.",
)
def check(preflight: bool, strict: bool, jobs: int | None, validate: bool) -> None:
    """Validate the configuration, every profile and every edition; render nothing.

    With --preflight, render every output in a scratch folder and report, per item and
    page, what a print shop's preflight would: missing glyphs, fonts not embedded or not
    the layout's, low-resolution or wrongly coloured images, text off the page, RGB in
    print, timelines out of order, images without credits. With --validate, also check
    every output with veraPDF against its format's standard (PDF/UA-1 for screen,
    PDF/A-3b for archive); a failed rule is an error.
    """
    from . import api

    workspace = _require_workspace()
    diagnostics = api.check_workspace(workspace)
    _echo_diagnostics(diagnostics, workspace.root)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if preflight or validate:
        found_errors, found_warnings = _preflight_all(workspace, jobs, validate)
        errors += found_errors
        warnings += found_warnings
    count = len(workspace.profile_paths())
    editions = len(workspace.edition_paths())
    checked = f"{count} profiles" + (f" and {editions} editions" if editions else "")
    click.echo(f"checked {checked}: {errors} errors, {warnings} warnings")
    sys.exit(1 if errors or (strict and warnings) else 0)


def _preflight_all(workspace: Workspace, jobs: int | None, validate: bool) -> tuple[int, int]:
    """Render every job into a scratch folder, print the preflight findings (and, with
    ``validate``, veraPDF's), count them."""
    import dataclasses
    import tempfile

    from .builds import plan_build, run_build, validate_outputs

    plan = plan_build(workspace)
    with tempfile.TemporaryDirectory(prefix="pressroom-preflight-") as scratch:
        for job in plan.jobs:  # the real outputs are never touched
            job.outputs = {
                k: Path(scratch) / job.key.replace(":", "-") / f"{k}.pdf" for k in job.outputs
            }
        scratch_space = dataclasses.replace(
            workspace, config=workspace.config.model_copy(update={"output_dir": scratch})
        )
        outcomes = run_build(scratch_space, plan, jobs, force=True)
        notes = validate_outputs(scratch_space, outcomes, strict=False) if validate else []
        failures = [
            (outcome, out.validation)
            for outcome in outcomes
            for out in outcome.outputs
            if out.validation and out.validation["failures"]
        ]
    errors = warnings = 0
    for outcome, verdict in failures:
        for failure in verdict["failures"]:
            click.echo(f"{outcome.item} ({outcome.format}): not {verdict['standard']}: {failure}")
        errors += 1
    for note in notes:
        click.echo(note, err=True)
    for outcome in outcomes:
        for message in outcome.messages:
            if message.origin != "preflight" and outcome.ok:
                continue
            click.echo(f"{outcome.item} ({outcome.format}): {message}", err=True)
            # What failed an item counts as an error, whatever it was when found.
            is_error = message.is_error or (not outcome.ok and message.origin != "preflight")
            errors += is_error
            warnings += not is_error and message.severity == "warning"
    return errors, warnings


@main.command("layouts")
def layouts_command() -> None:
    """List the layouts: where each comes from, what it extends, its variables."""
    from .layouts import available_layouts, find_layout

    workspace = _require_workspace()
    for name in available_layouts(workspace):
        try:
            layout = find_layout(name, workspace)
        except PressroomError as error:
            click.echo(f"{name}: error: {error}", err=True)
            continue
        origin = "built-in" if layout.builtin else display_path(layout.folder, workspace.root)
        parents = " -> ".join(
            entry.name + ("" if not entry.builtin else " (built-in)") for entry in layout.chain[1:]
        )
        click.echo(f"{name}  [{origin}]" + (f"  extends {parents}" if parents else ""))
        if layout.spec.description:
            click.echo(f"  {' '.join(layout.spec.description.split())}")
        for var, spec in layout.variables.items():
            default = "" if spec.default is None else f" = {spec.default}"
            click.echo(f"    {var}{default}  ({spec.target}) {spec.description}")


@main.group()
def new() -> None:
    """Scaffold a layout or a profile (never overwrites)."""


@new.command("layout")
@click.argument("name")
@click.option(
    "--from", "parent", default="magazine", show_default=True, help="The layout to extend."
)
def new_layout_command(name: str, parent: str) -> None:
    """Create layouts/NAME, a layout that extends another and renders at once."""
    from .scaffold import new_layout

    workspace = _require_workspace()
    try:
        written = new_layout(workspace, name, parent)
    except PressroomError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {display_path(path, workspace.root)}")


@new.command("profile")
@click.argument("slug")
def new_profile_command(slug: str) -> None:
    """Create content/profiles/SLUG.md with every field of the format shown."""
    import datetime as dt

    from .scaffold import new_profile

    workspace = _require_workspace()
    try:
        path = new_profile(workspace, slug, dt.date.today().isoformat())
    except PressroomError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"wrote {display_path(path, workspace.root)}")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", metavar="SLUG", help="The profile's slug (default: from the title).")
@click.option("--force", is_flag=True, help="Replace the profile and its images if they exist.")
def import_command(file: Path, slug: str | None, force: bool) -> None:
    """Import a .docx, .odt, .html or .md document as content/profiles/SLUG.md.

    Its images go to assets/SLUG/. The title, dek, byline, date, language, the first
    picture with its caption and credit, an "At a glance" table (the fact box) and a
    table of dates (the timeline) become front matter; the rest becomes the body.
    Comments and tracked changes are dropped (the text is taken as accepted), with a
    warning. Then the profile is checked: what is still missing is listed (exit 1).
    """
    if not file.exists():
        raise click.BadParameter(f"'{file}' does not exist", param_hint="FILE")
    workspace = _require_workspace()
    from .api import load_profile
    from .importer import import_document

    try:
        result = import_document(workspace, file, slug, force)
    except PressroomError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"{file.name}: warning: {warning}", err=True)
    for path in [result.profile, *result.images]:
        click.echo(f"wrote {display_path(path, workspace.root)}")
    try:
        profile = load_profile(result.profile, workspace)
    except ContentError as error:
        click.echo("still to do before it renders:", err=True)
        _echo_diagnostics(error.diagnostics, workspace.root)
        sys.exit(1)
    _echo_diagnostics(profile.warnings, workspace.root)
    for item in result.missing:  # body images' alt text and credits: checked by preflight
        click.echo(f"still to do: {item}", err=True)
    click.echo(f"check passes: pressroom render {display_path(result.profile, workspace.root)}")


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (the preview never listens on other addresses).",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="Render in N processes."
)
def serve(port: int, jobs: int | None) -> None:
    """Preview the workspace in a browser; saving a file rebuilds what depends on it.

    Builds exactly what `pressroom build` builds (into the same folder, with the same
    cache), shows every edition and profile as pages, and updates the open page by
    itself after each rebuild. A broken file shows its error instead of its pages.
    """
    workspace = _require_workspace()
    from .preview import serve as run_server

    run_server(workspace.root, port, jobs, echo=click.echo)


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="TARGET | --diff OLD NEW")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write (default: beside the PDF, as NAME-proof.png; with --diff, proof-diff/).",
)
@click.option("--format", "format_name", metavar="NAME", help="The format to proof.")
@click.option("--diff", is_flag=True, help="Compare two PDFs (or two build folders).")
@click.option(
    "--columns",
    type=click.IntRange(1, 8),
    default=3,
    show_default=True,
    help="Spreads (facing pages) per row of the contact sheet.",
)
def proof(
    targets: tuple[str, ...], output: Path | None, format_name: str | None, diff: bool, columns: int
) -> None:
    """Contact sheet of a profile's or edition's pages, or page differences.

    `pressroom proof TARGET -o SHEET.png`: TARGET is an edition, a profile (both are
    built first, as `pressroom build` would) or a PDF file.

    `pressroom proof --diff OLD NEW -o FOLDER`: OLD and NEW are PDFs, or build
    folders (every PDF they both hold is compared). Writes an image of each changed
    page (the new page, faded, changes in red) and lists the changed pages. Like
    diff, exits 0 when nothing changed, 1 when pages differ, 2 on trouble.
    """
    if diff:
        if len(targets) != 2:
            raise click.UsageError("--diff needs two PDFs or two build folders: OLD NEW")
        sys.exit(_proof_diff(Path(targets[0]), Path(targets[1]), output or Path("proof-diff")))
    if len(targets) != 1:
        raise click.UsageError("give one TARGET (an edition, a profile or a PDF)")
    from .proofs import contact_sheet

    pdf, title, rtl = _proof_source(targets[0], format_name)
    # Beside the PDF (in build/ for a built target), never loose in the working folder.
    destination = output or pdf.with_name(f"{pdf.stem}-proof.png")
    try:
        sheet = contact_sheet(pdf, columns=columns, rtl=rtl, title=title)
    except PressroomError as error:
        raise click.ClickException(f"{pdf}: {error}") from None
    from .proofs import png_bytes

    write_atomic(destination, png_bytes(sheet))
    click.echo(f"wrote {display_path(destination)} ({sheet.width} x {sheet.height} px)")


def _proof_source(target: str, format_name: str | None) -> tuple[Path, str, bool]:
    """The PDF to proof: a file as given, or a target built first."""
    path = Path(target)
    if path.suffix.lower() == ".pdf":
        if not path.is_file():
            raise click.ClickException(f"{target}: no such PDF")
        return path, path.name, False
    from .builds import UnknownTarget, build_workspace
    from .layouts import text_direction

    workspace = _require_workspace()
    try:
        outcomes = build_workspace(
            workspace, [target], [format_name] if format_name else [], jobs=None
        )
    except UnknownTarget as error:
        raise click.UsageError(str(error)) from None
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        for message in outcome.messages:
            click.echo(f"{outcome.item} ({outcome.format}): {message}", err=True)
    done = [o for o in outcomes if o.ok and o.outputs]
    if not done:
        raise click.ClickException(f"{target} could not be built")
    chosen = next((o for o in done if o.format == "screen"), done[0])
    lang = workspace.config.lang
    try:
        from .editions import inspect_edition

        edition_file = workspace.root / "content" / "editions" / f"{chosen.item}.yaml"
        if chosen.kind == "edition" and edition_file.is_file():
            edition, _ = inspect_edition(edition_file, workspace)
            lang = edition.lang if edition else lang
        elif chosen.kind == "profile":
            from .content import inspect_profile
            from .editions import profile_index

            profile, _ = inspect_profile(profile_index(workspace)[chosen.item], workspace)
            lang = profile.lang if profile else lang
    except (PressroomError, KeyError, OSError):
        pass
    title = f"{chosen.item} ({chosen.kind}, {chosen.format})"
    return Path(chosen.outputs[0].path), title, text_direction(lang) == "rtl"


def _proof_diff(old: Path, new: Path, folder: Path) -> int:
    from .proofs import differences, png_bytes

    if old.is_dir() and new.is_dir():
        pairs = [
            (old / relative, new / relative, relative)
            for relative in sorted(
                p.relative_to(old)
                for p in old.rglob("*.pdf")
                if (new / p.relative_to(old)).is_file()
            )
        ]
        if not pairs:
            raise click.ClickException(f"{old} and {new} hold no PDF in common")
    elif old.is_file() and new.is_file():
        pairs = [(old, new, Path(new.name))]
    else:
        raise click.UsageError("--diff compares two PDF files or two folders")
    changed_anywhere = False
    for before, after, relative in pairs:
        try:
            pages = differences(before, after)
        except PressroomError as error:  # like diff: 2 means trouble
            click.echo(f"error: {before} / {after}: {error}", err=True)
            return 2
        changed = [p for p in pages if p.changed]
        changed_anywhere |= bool(changed)
        label = str(relative)
        if not changed:
            click.echo(f"{label}: no page changed ({len(pages)} pages)")
            continue
        listed = ", ".join(str(p.page) for p in changed)
        click.echo(f"{label}: {len(changed)} of {len(pages)} pages changed: {listed}")
        for page in changed:
            target = folder / relative.with_suffix("") / f"page-{page.page:03d}.png"
            if page.image is not None:
                write_atomic(target, png_bytes(page.image))
            detail = page.note or f"{page.pixels:,} pixels differ"
            click.echo(f"  page {page.page}: {detail} -> {target}")
    return 1 if changed_anywhere else 0
