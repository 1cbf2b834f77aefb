"""The Python API: what the CLI wraps, one function per user action."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Workspace, workspace_for_file
from .content import Profile, inspect_profile, resource_roots
from .content import load_profile as _load_profile
from .diagnostics import ContentError, Diagnostic, PressroomError
from .layouts import find_layout, render_profile_html
from .output import write_atomic
from .render import RenderResult, render_document


def load_profile(path: str | Path, workspace: Workspace | None = None) -> Profile:
    """Load and validate a profile; raises :class:`ContentError` listing every problem."""
    return _load_profile(path, workspace)


def render(profile: Profile, layout: str | None = None) -> RenderResult:
    """Render a loaded profile with its layout (or ``layout``) to PDF bytes and a page count."""
    chosen = find_layout(layout or profile.layout, profile.workspace)
    document = render_profile_html(profile, chosen)
    return render_document(document, resource_roots(profile.workspace))


def render_pdf(profile: Profile | str | Path, layout: str | None = None) -> bytes:
    """Render a profile (loaded, or a path to one) and return the PDF bytes."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    return render(profile, layout).pdf


def render_to_file(
    profile: Profile | str | Path, output: str | Path, layout: str | None = None
) -> RenderResult:
    """Render a profile to ``output``, atomically: on failure the old file stays as it was."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    result = render(profile, layout)
    write_atomic(Path(output), result.pdf)
    return result


def check_workspace(workspace: Workspace) -> list[Diagnostic]:
    """Every problem in every profile of the workspace, rendering nothing."""
    diagnostics = list(workspace.warnings)
    profiles: list[Profile] = []
    for path in workspace.profile_paths():
        profile, found = inspect_profile(path, workspace)
        diagnostics.extend(found)
        if profile is not None:
            profiles.append(profile)
    diagnostics.extend(_unknown_related(profiles, workspace))
    return diagnostics


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


@dataclass
class BuildItem:
    """The outcome of one profile in a build."""

    source: Path
    output: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not any(d.is_error for d in self.diagnostics)


def build_workspace(
    workspace: Workspace,
    sources: list[Path] | None = None,
    layout: str | None = None,
    on_item=None,
) -> list[BuildItem]:
    """Render every profile (or ``sources``) into ``<output_dir>/<slug>.pdf``.

    Each profile fails alone: the others are still rendered, and every outcome is
    returned (and passed to ``on_item`` as it completes).
    """
    items: list[BuildItem] = []
    for source in sources if sources is not None else workspace.profile_paths():
        item = BuildItem(source=source)
        started = time.perf_counter()
        try:
            profile = load_profile(source, workspace)
            item.diagnostics = profile.warnings
            target = workspace.output_dir / f"{profile.slug}.pdf"
            result = render_to_file(profile, target, layout)
            item.output, item.pages = target, result.pages
            item.diagnostics += [
                Diagnostic(source, None, None, message, "warning") for message in result.warnings
            ]
        except ContentError as error:
            item.diagnostics = error.diagnostics
            item.error = "content errors"
        except PressroomError as error:
            item.error = str(error)
        except OSError as error:  # the output folder is not writable, the disk is full...
            item.error = f"cannot write the PDF: {error.strerror or error}"
        item.seconds = time.perf_counter() - started
        items.append(item)
        if on_item is not None:
            on_item(item)
    return items


__all__ = [
    "BuildItem",
    "build_workspace",
    "check_workspace",
    "load_profile",
    "render",
    "render_pdf",
    "render_to_file",
    "workspace_for_file",
]
