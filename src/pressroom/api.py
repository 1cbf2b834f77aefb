"""The Python API: what the CLI wraps, one function per user action."""

from __future__ import annotations

from pathlib import Path

from .config import Workspace, workspace_for_file
from .content import Profile, resource_roots
from .content import load_profile as _load_profile
from .credits import ledger_diagnostics
from .diagnostics import ContentError, Diagnostic, LayoutError, display_path
from .editions import Edition, inspect_edition, inspect_profiles, profile_index
from .engine import Engine
from .fitting import fit_profile
from .formats import OutputFormat
from .layouts import (
    DEFAULT_FORMAT,
    find_layout,
    render_profile_html,
    variable_diagnostics,
)
from .output import write_atomic
from .pieces import EditionPlan, load_profiles, render_piece
from .render import HtmlDocument, RenderResult, render_document


def load_profile(path: str | Path, workspace: Workspace | None = None) -> Profile:
    """Load and validate a profile; raises :class:`ContentError` listing every problem."""
    return _load_profile(path, workspace)


def output_format(workspace: Workspace, name: str | None) -> OutputFormat:
    """A format by name (default ``screen``); raise :class:`LayoutError` naming the known ones."""
    formats = workspace.formats
    name = name or DEFAULT_FORMAT
    if name not in formats:
        raise LayoutError(f"unknown format '{name}'; known formats: {', '.join(sorted(formats))}")
    return formats[name]


def render(
    profile: Profile,
    layout: str | None = None,
    format: str | None = None,
    engine: Engine | None = None,
) -> RenderResult:
    """Render a loaded profile with its layout (or ``layout``) in a format (default ``screen``),
    copyfitted as the layout says (a short last page pulled back: see :mod:`pressroom.fitting`).

    ``engine``: a render process started ahead (``pressroom render``), else this one.
    """
    chosen = find_layout(layout or profile.layout, profile.workspace)
    fmt = output_format(profile.workspace, format)
    notes = _variable_check(variable_diagnostics(chosen, profile.workspace, None, [profile]))
    roots, limits = resource_roots(profile.workspace), profile.workspace.config.limits
    lay_out = engine.render if engine is not None else render_document
    result = fit_profile(profile, chosen, fmt, lambda document: lay_out(document, roots, limits))
    result.warnings[:0] = notes
    return result


def profile_document(
    profile: Profile, layout: str | None = None, format: str | None = None
) -> tuple[HtmlDocument, list[str]]:
    """What :func:`render` hands to the engine: the HTML document, and warnings about it."""
    chosen = find_layout(layout or profile.layout, profile.workspace)
    fmt = output_format(profile.workspace, format)
    notes = _variable_check(variable_diagnostics(chosen, profile.workspace, None, [profile]))
    return render_profile_html(profile, chosen, fmt), notes


def _variable_check(diagnostics: list[Diagnostic]) -> list[str]:
    """Raise for unusable variable values; return the warnings as text."""
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise ContentError(errors)
    return [d.format() for d in diagnostics]


def render_pdf(
    profile: Profile | str | Path, layout: str | None = None, format: str | None = None
) -> bytes:
    """Render a profile (loaded, or a path to one) and return the PDF bytes."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    return render(profile, layout, format).pdf


def render_to_file(
    profile: Profile | str | Path,
    output: str | Path,
    layout: str | None = None,
    format: str | None = None,
) -> RenderResult:
    """Render a profile to ``output``, atomically: on failure the old file stays as it was."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    result = render(profile, layout, format)
    write_atomic(Path(output), result.pdf)
    return result


def render_edition(edition: Edition, format: str, layout: str | None = None) -> RenderResult:
    """Render a whole edition in one format; ``offprints`` holds each profile's own PDF.

    The edition is laid out piece by piece (front, then each profile) and assembled
    (see :mod:`pressroom.pieces`); ``pressroom build`` does the same on every core.

    Raises :class:`ContentError` naming any profile of the edition that has errors.
    """
    workspace = edition.workspace
    try:
        profiles = load_profiles(edition.profile_paths, workspace)
    except ContentError as error:
        problems = error.diagnostics
        broken = sorted({display_path(d.path, workspace.root) for d in problems if d.path})
        message = f"edition cannot be built: {', '.join(broken)} has errors"
        raise ContentError([Diagnostic(edition.source, None, None, message), *problems]) from None
    chosen = find_layout(layout or workspace.config.layout, workspace)
    fmt = output_format(workspace, format)
    notes = _variable_check(variable_diagnostics(chosen, workspace, edition, profiles))
    index = {profile.slug: profile.source for profile in profiles}
    related = {profile.slug: list(profile.meta.related) for profile in profiles}
    plan = EditionPlan(edition, fmt.name, layout, index, related, str, preflight=False)
    while not plan.done:  # pieces are laid out again only if their page numbers moved
        for spec in plan.wanted():
            plan.receive(spec, render_piece(workspace, spec))
    pdf, offprints, pages = plan.assemble()
    warnings, _ = plan.messages()
    warnings = [w for w in warnings if w not in notes]
    result = RenderResult(pdf, pages, notes + warnings)
    result.offprints = {
        slug: RenderResult(data, count) for slug, (data, count) in offprints.items()
    }
    return result


def check_workspace(workspace: Workspace) -> list[Diagnostic]:
    """Every problem in every profile of the workspace, rendering nothing."""
    diagnostics = list(workspace.warnings) + ledger_diagnostics(workspace.root)
    profiles: list[Profile] = []
    inspected = inspect_profiles(workspace)  # each profile is read once
    for _, profile, found in inspected:
        diagnostics.extend(found)
        if profile is not None:
            profiles.append(profile)
            diagnostics += _layout_diagnostics(profile.layout, workspace, None, [profile])
    diagnostics.extend(_unknown_related(profiles, workspace))
    index = profile_index(workspace, inspected)
    for path in workspace.edition_paths():
        edition, found = inspect_edition(path, workspace, index)
        diagnostics.extend(found)
        if edition is not None:
            diagnostics += _layout_diagnostics(workspace.config.layout, workspace, edition, [])
    return diagnostics


def _layout_diagnostics(name, workspace, edition, profiles) -> list[Diagnostic]:
    """Problems with the layout a document uses, and with its variables."""
    source = profiles[0].source if profiles else edition.source
    try:
        layout = find_layout(name, workspace)
    except (LayoutError, ContentError) as error:
        if isinstance(error, ContentError):
            return error.diagnostics
        line = profiles[0].line_of(("layout",)) if profiles else None
        return [Diagnostic(source, line, "layout", str(error))]
    return variable_diagnostics(layout, workspace, edition, profiles)


def _unknown_related(profiles: list[Profile], workspace: Workspace) -> list[Diagnostic]:
    """``related`` slugs that name no profile in the workspace (a warning: it may come later)."""
    slugs = {profile.slug for profile in profiles}
    slugs |= {path.name.removesuffix(".md") for path in workspace.profile_paths()}
    problems = []
    for profile in profiles:
        for index, slug in enumerate(profile.meta.related):
            if slug not in slugs:
                problems.append(
                    Diagnostic(
                        profile.source,
                        profile.line_of(("related", index)),
                        f"related[{index}]",
                        f"no profile with slug '{slug}' in this workspace",
                        "warning",
                    )
                )
    return problems


__all__ = [
    "check_workspace",
    "load_profile",
    "render",
    "render_edition",
    "render_pdf",
    "render_to_file",
    "workspace_for_file",
]
