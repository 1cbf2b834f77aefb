"""Editions: an ordered set of profiles with a cover, published in several formats.

``content/editions/<slug>.yaml`` names its profiles by slug. Every problem (an
unknown or repeated slug, a missing cover image, an unknown format) is reported at
once, with its line, before anything renders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .config import Workspace, check_lang
from .content import (
    FILE_SLUG,
    Profile,
    Text,
    check_image_field,
    full_date,
    inspect_profile,
    resource_roots,
    slug_from_path,
)
from .credits import ImageUse, Status
from .diagnostics import ContentError, Diagnostic, display_path
from .resources import read_source
from .validation import validate
from .yamlsource import LineMap, load_yaml


class Cover(BaseModel):
    model_config = ConfigDict(extra="ignore")

    src: str
    alt: str
    credit: str
    lines: list[str] = []
    status: Status | None = None  # final or fpo (for position only)


class ProfileEntry(BaseModel):
    """One of an edition's profiles: a slug, or ``{profile: slug, pages: 4}`` with a page
    budget that copyfitting works to (:mod:`pressroom.fitting`)."""

    model_config = ConfigDict(extra="ignore")

    profile: str
    pages: int | None = Field(default=None, ge=1, le=200)


def _entry(value: Any) -> Any:
    return {"profile": value} if isinstance(value, str) else value


class EditionFile(BaseModel):
    """The fields of an edition file."""

    model_config = ConfigDict(extra="ignore")

    title: str
    issue: int | str | None = None
    date: Annotated[dt.date, BeforeValidator(full_date)] | None = None
    lang: str | None = None
    cover: Cover | None = None
    profiles: list[Annotated[ProfileEntry, BeforeValidator(_entry)]]
    formats: list[str] | None = None
    variables: dict[str, Any] = {}  # layout variables for the whole edition
    # Per format, overriding the format's own setting: {screen: keep}, {print: drop}...
    blank_pages: dict[str, Literal["keep", "drop"]] = {}
    # FPO art is an error in print: true lets it through in every format, or name them.
    allow_fpo: bool | list[str] = False
    # The colophon's people and numbers, in the order given: {Editor: ..., ISSN: ...}.
    masthead: dict[str, Text] = {}
    # The credits page (every picture, its page): on the page a recto start leaves blank
    # (true, the default; at the end when there is none), always at the "end", or not at all.
    colophon: bool | Literal["end"] = True
    # The pages a recto start leaves over, after the colophon took the first: each holds a
    # full-page pull quote of the profile that opens on the facing page (false: blank).
    teasers: bool = True

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str | None) -> str | None:
        return None if value is None else check_lang(value)

    @field_validator("profiles")
    @classmethod
    def _some_profiles(cls, value: list[ProfileEntry]) -> list[ProfileEntry]:
        if not value:
            raise ValueError("an edition needs at least one profile")
        return value

    @property
    def slugs(self) -> list[str]:
        """The profiles' slugs, in the edition's order."""
        return [entry.profile for entry in self.profiles]

    @property
    def budgets(self) -> dict[str, int]:
        """Page budgets by profile slug, for the profiles that have one."""
        return {entry.profile: entry.pages for entry in self.profiles if entry.pages}


@dataclass
class Edition:
    source: Path
    meta: EditionFile
    workspace: Workspace
    cover_path: Path | None = None
    profile_paths: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    lines: LineMap = field(default_factory=LineMap)

    @property
    def slug(self) -> str:
        return self.source.name.removesuffix(".yaml")

    @property
    def lang(self) -> str:
        return self.meta.lang or self.workspace.config.lang

    def allows_fpo(self, format_name: str) -> bool:
        """Whether FPO art may go out in this format (``allow_fpo`` in the edition file)."""
        allowed = self.meta.allow_fpo
        return allowed if isinstance(allowed, bool) else format_name in allowed

    def image_uses(self) -> list[ImageUse]:
        """The edition's own pictures (its cover); the profiles' are their own."""
        cover = self.meta.cover
        if cover is None or self.cover_path is None:
            return []
        line = self.lines.line_of(("cover", "src"))
        return [ImageUse(self.cover_path, self.source, "cover", line, cover.credit, cover.status)]

    @property
    def format_names(self) -> list[str]:
        return self.meta.formats if self.meta.formats is not None else list(self.workspace.formats)


Inspected = list[tuple[Path, Profile | None, list[Diagnostic]]]


def inspect_profiles(workspace: Workspace) -> Inspected:
    """Every profile of the workspace, loaded once: (path, profile or None, problems).

    Two profiles with one slug would write one file: the second (in file order) is an
    error that names the first, and neither replaces the other silently.
    """
    inspected = [(path, *inspect_profile(path, workspace)) for path in workspace.profile_paths()]
    first: dict[str, Path] = {}
    checked: Inspected = []
    for path, profile, found in inspected:
        slug = profile.slug if profile else slug_from_path(path)
        if slug in first:
            line = profile.line_of(("slug",)) if profile and profile.meta.slug else 1
            message = (
                f"slug '{slug}' is already the slug of "
                f"{display_path(first[slug], workspace.root)}; give each profile its own"
            )
            checked.append((path, None, [*found, Diagnostic(path, line, "slug", message)]))
            continue
        first[slug] = path
        checked.append((path, profile, found))
    return checked


def profile_index(workspace: Workspace, inspected: Inspected | None = None) -> dict[str, Path]:
    """Slug -> profile file, for every profile in the workspace.

    A profile whose front matter is broken is still indexed under its file name,
    so an edition that lists it is told the profile is broken, not that it is missing.
    """
    if inspected is None:
        inspected = inspect_profiles(workspace)
    return {
        (profile.slug if profile else slug_from_path(path)): path for path, profile, _ in inspected
    }


def inspect_edition(
    path: Path, workspace: Workspace, profiles: dict[str, Path] | None = None
) -> tuple[Edition | None, list[Diagnostic]]:
    """The edition (None when it has errors) and every problem in it."""
    path = path.resolve()
    profiles = profile_index(workspace) if profiles is None else profiles
    if not FILE_SLUG.match(path.name.removesuffix(".yaml")):
        message = (
            f"the file name '{path.name}' is not an edition name (a name starting with a "
            "letter or digit, no spaces): its outputs would go elsewhere; rename the file"
        )
        return None, [Diagnostic(path, None, None, message)]
    try:
        text = read_source(path, [workspace.root], workspace.config.limits.source_bytes)
        data, lines = load_yaml(text, path, max_nodes=workspace.config.limits.yaml_nodes)
    except ContentError as error:
        return None, error.diagnostics
    meta, diagnostics = validate(EditionFile, data, path, lines)
    if isinstance(data, dict):
        diagnostics += _check_profiles(data.get("profiles"), profiles, path, lines)
        diagnostics += _check_formats(data.get("formats"), workspace, path, lines)
    roots = resource_roots(workspace)
    cover_path = check_image_field(
        data, ("cover", "src"), path, lines, roots, diagnostics, workspace.config.limits
    )
    diagnostics.sort(key=lambda d: d.line or 0)
    if meta is None or any(d.is_error for d in diagnostics):
        return None, diagnostics
    edition = Edition(path, meta, workspace, cover_path, [profiles[s] for s in meta.slugs])
    edition.warnings = diagnostics
    edition.lines = lines
    return edition, diagnostics


def load_edition(path: Path, workspace: Workspace) -> Edition:
    """Load an edition; raise :class:`ContentError` listing every problem."""
    edition, diagnostics = inspect_edition(path, workspace)
    if edition is None:
        raise ContentError(diagnostics)
    return edition


def _check_profiles(slugs, profiles: dict[str, Path], path: Path, lines: LineMap):
    if not isinstance(slugs, list):
        return []
    problems = []
    seen: dict[str, int] = {}
    for index, slug in enumerate(slugs):
        line = lines.line_of(("profiles", index))
        if isinstance(slug, dict):  # {profile: slug, pages: N}
            slug = slug.get("profile")
        if not isinstance(slug, str):
            continue
        if slug in seen:
            problems.append(
                Diagnostic(
                    path,
                    line,
                    f"profiles[{index}]",
                    f"'{slug}' is listed twice (first as profiles[{seen[slug]}])",
                )
            )
            continue
        seen[slug] = index
        if slug not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            problems.append(
                Diagnostic(
                    path, line, f"profiles[{index}]", f"no profile '{slug}'; profiles: {known}"
                )
            )
    return problems


def _check_formats(names, workspace: Workspace, path: Path, lines: LineMap):
    if not isinstance(names, list):
        return []
    known = workspace.formats
    return [
        Diagnostic(
            path,
            lines.line_of(("formats", index)),
            f"formats[{index}]",
            f"unknown format '{name}'; known formats: {', '.join(sorted(known))}",
        )
        for index, name in enumerate(names)
        if isinstance(name, str) and name not in known
    ]
