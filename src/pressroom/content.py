"""Profiles: Markdown files with YAML front matter, loaded and checked.

``load_profile`` returns a :class:`Profile` or raises :class:`ContentError` listing
every problem in the file (YAML syntax, missing or mistyped fields, unreadable
illustrations, images that point outside the workspace) with its line.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

from .config import (
    Limits,
    Workspace,
    builtin_root,
    check_lang,
    check_layout_name,
    workspace_for_file,
)
from .credits import ImageUse, Status, load_ledger
from .diagnostics import ContentError, Diagnostic
from .markup import image_references, parse_focus
from .resources import ResourceRefused, Roots, image_problem, read_source, resolve_local
from .validation import validate
from .yamlsource import LineMap, load_yaml

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# A file name that stands for a slug: a word, never a path or a hidden name ("..", ".x").
FILE_SLUG = re.compile(r"^[^\W_][\w.-]*$")


@functools.total_ordering
@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day: ``2016``, ``2016-06``, ``2016-06-14``.

    Sorted by what is known, a year before the months in it (2016 < 2016-06); whether one
    date certainly comes before another is :meth:`before`, at the precision both have.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def before(self, other: PartialDate) -> bool:
        """Certainly earlier: 2015 before 2016-06, but 2016 not before 2016-06, nor after."""
        known = min(self._precision(), other._precision())
        return self._key()[:known] < other._key()[:known]

    def _precision(self) -> int:
        return 1 if self.month is None else 2 if self.day is None else 3

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        text = str(value).strip() if isinstance(value, int | str) else ""
        match = _PARTIAL_DATE.match(text)
        if match:
            year, month, day = (int(g) if g else None for g in match.groups())
            try:
                dt.date(year, month or 1, day or 1)
            except ValueError:
                match = None
            else:
                return cls(year, month, day)
        raise ValueError(f"{value!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")


def _text(value: Any) -> Any:
    """Fact values like ``1967`` or ``3.5`` arrive from YAML as numbers; they are text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | dt.date):
        return str(value)
    return value


def full_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


Text = Annotated[str, BeforeValidator(_text)]


def _focus(value: Any) -> Any:
    return None if value is None else parse_focus(str(value))


Focus = Annotated[tuple[float, float], BeforeValidator(_focus)]


class Illustration(BaseModel):
    model_config = ConfigDict(extra="ignore")

    src: str
    alt: str
    credit: str | None = None  # may be left to the rights ledger (credits.yaml)
    caption: str | None = None
    status: Status | None = None  # final or fpo (for position only); None: the ledger's
    focus: Focus | None = None  # the point crops keep in frame: "70% 40%"

    @property
    def focus_css(self) -> str:
        return "" if self.focus is None else f"{self.focus[0]:g}% {self.focus[1]:g}%"


class Fact(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: Text
    value: Text


class TimelineEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)

    date: Annotated[PartialDate, BeforeValidator(PartialDate.parse)]
    event: str


class FrontMatter(BaseModel):
    """The fields of a profile's front matter (the content contract)."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)

    title: str
    dek: str | None = None
    kicker: str | None = None
    byline: str | None = None
    date: Annotated[dt.date, BeforeValidator(full_date)] | None = None
    lang: str | None = None
    tags: list[Text] = []
    slug: str | None = None
    layout: str | None = None
    illustration: Illustration | None = None
    facts: list[Fact] = []
    timeline: list[TimelineEvent] = []
    related: list[str] = []
    fictional: bool = False  # sample or invented subjects say so, and the layout shows it
    variables: dict[str, Any] = {}  # layout variables for this profile only

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str | None) -> str | None:
        return None if value is None else check_lang(value)

    @field_validator("layout")
    @classmethod
    def _layout(cls, value: str | None) -> str | None:
        return None if value is None else check_layout_name(value)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not _SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug; use lower-case letters, digits, '-', '.' and '_'"
            )
        return value


@dataclass
class Profile:
    """A loaded, validated profile, ready for a layout."""

    source: Path
    meta: FrontMatter
    body: str
    body_line: int
    workspace: Workspace
    illustration_path: Path | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    lines: LineMap = field(default_factory=LineMap)
    image_paths: list[Path] = field(default_factory=list)  # images of the body, resolved
    _uses: list[ImageUse] | None = field(default=None, repr=False, compare=False)

    def image_uses(self) -> list[ImageUse]:
        """Every image of the profile (illustration, then body figures) as the writer gave it."""
        if self._uses is None:
            self._uses = self._image_uses()
        return list(self._uses)

    def _image_uses(self) -> list[ImageUse]:
        uses = []
        art = self.meta.illustration
        if art is not None and self.illustration_path is not None:
            line = self.line_of(("illustration", "src"))
            uses.append(
                ImageUse(self.illustration_path, self.source, "illustration", line,
                         art.credit, art.status, art.caption)
            )  # fmt: skip
        resolved = iter(self.image_paths)
        for image in image_references(self.body, self.body_line):
            if image.src.startswith("data:"):
                continue
            path = next(resolved, None)
            if path is None:
                break
            status = image.figure.status if image.figure else None
            uses.append(
                ImageUse(path, self.source, "body", image.line, image.title or None, status,
                         image.caption or None)
            )  # fmt: skip
        return uses

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """The line in the source file of a front-matter field, such as ``("facts", 2)``."""
        return self.lines.line_of(path)

    @property
    def slug(self) -> str:
        return self.meta.slug or slug_from_path(self.source)

    @property
    def lang(self) -> str:
        return self.meta.lang or self.workspace.config.lang

    @property
    def layout(self) -> str:
        return self.meta.layout or self.workspace.config.layout


def slug_from_path(path: Path) -> str:
    return path.name.removesuffix(".md")


def resource_roots(workspace: Workspace) -> list[Path]:
    """Folders a document of this workspace may read from."""
    area = "the workspace"
    if workspace.is_standalone:  # a profile rendered on its own: its folder, and below
        area = (
            "the profile's folder (no pressroom.yaml above it makes a workspace: a profile "
            "on its own reads only the files in its folder)"
        )
    return Roots([workspace.root, builtin_root() / "layouts", builtin_root() / "assets"], area)


def load_profile(path: str | Path, workspace: Workspace | None = None) -> Profile:
    """Load and check a profile; raise :class:`ContentError` listing every error in it.

    Warnings (such as an unknown field) do not stop loading: they are kept in
    ``Profile.warnings``.
    """
    path = Path(path).absolute()  # resolved once read: a link must not choose the workspace
    if workspace is None:
        workspace = workspace_for_file(path)
    profile, diagnostics = _load(path, workspace)
    if profile is None or any(d.is_error for d in diagnostics):
        raise ContentError(diagnostics)
    profile.warnings = diagnostics
    return profile


def check_profile(path: str | Path, workspace: Workspace | None = None) -> list[Diagnostic]:
    """Every problem in a profile (errors and warnings), without raising."""
    return inspect_profile(path, workspace)[1]


def inspect_profile(
    path: str | Path, workspace: Workspace | None = None
) -> tuple[Profile | None, list[Diagnostic]]:
    """The profile (None if it has errors) and every problem in it, without raising."""
    path = Path(path).absolute()  # resolved once read: a link must not choose the workspace
    if workspace is None:
        workspace = workspace_for_file(path)
    try:
        profile, diagnostics = _load(path, workspace)
    except ContentError as error:
        return None, error.diagnostics
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    profile.warnings = diagnostics
    return profile, diagnostics


def _load(path: Path, workspace: Workspace) -> tuple[Profile | None, list[Diagnostic]]:
    limits = workspace.config.limits
    # Read by the one rule for every file: inside the workspace (symlinks followed), a
    # regular file (a FIFO or a device would hang the build), within limits.source_bytes.
    text = read_source(path, [workspace.root], limits.source_bytes)
    path = path.resolve()

    front, first_line, body, body_line = split_front_matter(text, path)
    if len(front.encode("utf-8")) > limits.front_matter_bytes:
        message = (
            f"{len(front.encode('utf-8')):,} bytes, over the limit of "
            f"{limits.front_matter_bytes:,} (limits.front_matter_bytes)"
        )
        raise ContentError([Diagnostic(path, 1, "front matter", message)])
    data, lines = load_yaml(front, path, first_line, limits.yaml_nodes)
    meta, diagnostics = validate(FrontMatter, data, path, lines)
    roots = resource_roots(workspace)
    illustration_path = check_image_field(
        data, ("illustration", "src"), path, lines, roots, diagnostics, workspace.config.limits
    )
    image_paths = []
    for image in image_references(body, body_line):
        if image.src.startswith("data:"):
            continue  # inline images are checked by the renderer's fetcher
        try:
            resolved = resolve_local(image.src, path.parent, roots, limits.resource_bytes)
        except ResourceRefused as refused:
            diagnostics.append(Diagnostic(path, image.line, "body", f"image {refused}"))
            continue
        problem = image_problem(resolved, limits.image_pixels)
        if problem:
            diagnostics.append(Diagnostic(path, image.line, "body", f"image {problem}"))
        image_paths.append(resolved)
    for image in image_references(body, body_line):
        for problem in image.figure.problems if image.figure else ():
            diagnostics.append(Diagnostic(path, image.figure_line or image.line, "figure", problem))
    diagnostics += _credit_problems(data, path, lines, workspace)
    if meta is not None and meta.slug is None and not FILE_SLUG.match(slug_from_path(path)):
        message = (
            f"the file name '{path.name}' is not a slug (a name starting with a letter or "
            "digit, no spaces); rename the file, or give the profile a slug:"
        )
        diagnostics.append(Diagnostic(path, 1, "slug", message))
    diagnostics.sort(key=lambda d: d.line or 0)
    if meta is None:
        return None, diagnostics
    profile = Profile(
        path, meta, body, body_line, workspace, illustration_path, lines=lines,
        image_paths=image_paths,
    )  # fmt: skip
    return profile, diagnostics


def _credit_problems(data: Any, path: Path, lines: LineMap, workspace) -> list[Diagnostic]:
    """An illustration needs a credit: written, or in the rights ledger. Checked from the
    raw data, so that it is reported with the illustration's other problems."""
    art = data.get("illustration") if isinstance(data, dict) else None
    if not isinstance(art, dict) or art.get("credit") is not None:
        return []  # no illustration, or a credit (one that is not text: the schema says so)
    try:
        ledger = load_ledger(workspace.root)
    except ContentError as error:
        return error.diagnostics
    src = art.get("src")
    if isinstance(src, str) and ledger.entry_for(path.parent / src) is not None:
        return []
    message = "required (or list the picture in credits.yaml, the rights ledger)"
    return [Diagnostic(path, lines.line_of(("illustration",)), "illustration.credit", message)]


def check_image_field(
    data: Any,
    field_path: tuple[str, str],
    path: Path,
    lines: LineMap,
    roots: list[Path],
    diagnostics: list[Diagnostic],
    limits: Limits | None = None,
) -> Path | None:
    """Resolve and check an image named in front matter or an edition (``cover.src``...).

    Checked from the raw data, even when other fields of the same mapping are wrong,
    so that every problem is reported in one go. Problems go to ``diagnostics``.
    """
    parent = data.get(field_path[0]) if isinstance(data, dict) else None
    src = parent.get(field_path[1]) if isinstance(parent, dict) else None
    if not isinstance(src, str):
        return None
    line = lines.line_of(field_path)
    name = ".".join(field_path)
    limits = limits or Limits()
    try:
        resolved = resolve_local(src, path.parent, roots, limits.resource_bytes)
    except ResourceRefused as refused:
        diagnostics.append(Diagnostic(path, line, name, str(refused)))
        return None
    problem = image_problem(resolved, limits.image_pixels)
    if problem:
        diagnostics.append(Diagnostic(path, line, name, problem))
        return None
    return resolved


def split_front_matter(text: str, path: Path) -> tuple[str, int, str, int]:
    """Split ``---``-fenced front matter from the body.

    Returns the YAML text, the line it starts on, the body, and the body's first line.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            [
                Diagnostic(
                    path,
                    1,
                    "front matter",
                    "missing; a profile starts with a '---' line, its fields, then another '---'",
                )
            ]
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), 2, "".join(lines[index + 1 :]), index + 2
    raise ContentError(
        [Diagnostic(path, 1, "front matter", "not closed; add a '---' line after the last field")]
    )
