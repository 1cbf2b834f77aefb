"""The ``pressroom`` command: a thin layer over :mod:`pressroom.api`.

Exit codes: 0 success, 1 content or render errors, 2 usage errors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .config import Workspace, find_workspace, workspace_for_file
from .diagnostics import ContentError, Diagnostic, PressroomError, display_path


def _echo_diagnostics(diagnostics: list[Diagnostic], root: Path | None) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(root), err=True)


def _require_workspace() -> Workspace:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def render(file: Path, output: Path | None, layout: str | None) -> None:
    """Render one profile FILE to PDF (works outside any workspace too)."""
    from . import api

    if not file.exists():
        raise click.BadParameter(f"'{file}' does not exist", param_hint="FILE")
    started = time.perf_counter()
    try:
        workspace = workspace_for_file(file)
        profile = api.load_profile(file, workspace)
        _echo_diagnostics(profile.warnings, workspace.root)
        if output is None:
            output = (
                file.with_suffix(".pdf")
                if workspace.is_standalone
                else workspace.output_dir / f"{profile.slug}.pdf"
            )
        result = api.render_to_file(profile, output, layout)
    except ContentError as error:
        _echo_diagnostics(error.diagnostics, Path.cwd())
        sys.exit(1)
    except PressroomError as error:
        click.echo(f"{display_path(file)}: error: {error}", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"{display_path(file)}: warning: {warning}", err=True)
    seconds = time.perf_counter() - started
    click.echo(f"wrote {display_path(output)} ({result.pages} pages, {seconds:.1f} s)")


@main.command()
@click.argument("profiles", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layout", "layout", metavar="NAME", help="Use this layout for every profile.")
def build(profiles: tuple[Path, ...], layout: str | None) -> None:
    """Render every profile of the workspace (or only PROFILES) into the build folder."""
    from . import api

    workspace = _require_workspace()
    _echo_diagnostics(workspace.warnings, workspace.root)
    sources = [p.resolve() for p in profiles] or None
    if sources is None and not workspace.profile_paths():
        click.echo(f"no profiles in {display_path(workspace.profiles_dir)}", err=True)
        sys.exit(1)

    def report(item: api.BuildItem) -> None:
        _echo_diagnostics(item.diagnostics, workspace.root)
        name = display_path(item.source, workspace.root)
        if item.ok:
            out = display_path(item.output, workspace.root)
            click.echo(f"  ok    {name} -> {out} ({item.pages} pages, {item.seconds:.1f} s)")
        else:
            detail = f": {item.error}" if item.error and item.error != "content errors" else ""
            click.echo(f"  FAIL  {name}{detail}", err=True)

    items = api.build_workspace(workspace, sources, layout, on_item=report)
    failed = [item for item in items if not item.ok]
    click.echo(f"{len(items) - len(failed)} built, {len(failed)} failed")
    sys.exit(1 if failed else 0)


@main.command()
def check() -> None:
    """Validate every profile and the configuration; render nothing."""
    from . import api

    workspace = _require_workspace()
    diagnostics = api.check_workspace(workspace)
    _echo_diagnostics(diagnostics, workspace.root)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    count = len(workspace.profile_paths())
    click.echo(f"checked {count} profiles: {errors} errors, {warnings} warnings")
    sys.exit(1 if errors else 0)
