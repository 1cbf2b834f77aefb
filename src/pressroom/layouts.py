"""Layouts: finding them, and turning a profile into HTML with their templates.

A layout is a folder holding ``layout.yaml`` (name, description, ``extends``,
stylesheets), Jinja templates and CSS. Lookup is an explicit search path: the
workspace's ``layouts/<name>``, then the layouts it extends, then the built-in
layouts shipped with pressroom.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from . import __version__
from .config import Workspace, builtin_root
from .content import PartialDate, Profile
from .diagnostics import ContentError, LayoutError, display_path
from .markup import Block, render_body, render_inline
from .validation import validate
from .yamlsource import load_yaml

LAYOUT_FILE = "layout.yaml"
PROFILE_TEMPLATE = "profile.html.j2"
_RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "sd", "ckb", "yi", "dv"}


class LayoutSpec(BaseModel):
    """The contents of ``layout.yaml``."""

    model_config = ConfigDict(extra="ignore")

    name: str
    description: str = ""
    extends: str | None = None
    stylesheets: list[str] = []


@dataclass
class Layout:
    """A resolved layout and the chain of layouts it extends."""

    name: str
    folder: Path
    spec: LayoutSpec
    parent: Layout | None = None
    builtin: bool = False

    @property
    def chain(self) -> list[Layout]:
        """This layout first, then its parents."""
        layouts: list[Layout] = []
        current: Layout | None = self
        while current is not None:
            layouts.append(current)
            current = current.parent
        return layouts

    @property
    def template_dirs(self) -> list[Path]:
        return [layout.folder for layout in self.chain]

    @property
    def stylesheets(self) -> list[Path]:
        """Parents' stylesheets first, so a child's rules win the cascade."""
        sheets: list[Path] = []
        for layout in reversed(self.chain):
            sheets.extend(layout.folder / name for name in layout.spec.stylesheets)
        return sheets


def builtin_layouts_dir() -> Path:
    return builtin_root() / "layouts"


def layout_dirs(workspace: Workspace) -> list[Path]:
    """Where layouts are looked for, in order."""
    dirs = [workspace.layouts_dir] if not workspace.is_standalone else []
    builtin = builtin_layouts_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return dirs


def available_layouts(workspace: Workspace) -> list[str]:
    names = {
        child.name
        for folder in layout_dirs(workspace)
        if folder.is_dir()
        for child in folder.iterdir()
        if (child / LAYOUT_FILE).is_file()
    }
    return sorted(names)


def find_layout(name: str, workspace: Workspace, _seen: tuple[str, ...] = ()) -> Layout:
    """Resolve a layout by name, following ``extends``; raise :class:`LayoutError`."""
    if name in _seen:
        cycle = " -> ".join((*_seen, name))
        raise LayoutError(f"layout '{name}' extends itself: {cycle}")
    builtin = builtin_layouts_dir().resolve()
    for folder in layout_dirs(workspace):
        candidate = folder / name
        if (candidate / LAYOUT_FILE).is_file():
            spec = _read_spec(candidate / LAYOUT_FILE)
            parent = find_layout(spec.extends, workspace, (*_seen, name)) if spec.extends else None
            is_builtin = candidate.resolve().parent == builtin
            return Layout(name, candidate, spec, parent, is_builtin)
    known = ", ".join(available_layouts(workspace)) or "none"
    raise LayoutError(f"layout '{name}' not found; available layouts: {known}")


def _read_spec(path: Path) -> LayoutSpec:
    data, lines = load_yaml(path.read_text(encoding="utf-8"), path)
    spec, diagnostics = validate(LayoutSpec, data, path, lines)
    if spec is None:
        raise ContentError(diagnostics)
    return spec


@dataclass
class HtmlDocument:
    """What the renderer needs: HTML, its base URL, and the stylesheets to apply."""

    html: str
    base_url: str
    stylesheets: list[Path]
    extra_css: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def locale_for(lang: str) -> Locale:
    try:
        return Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def text_direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0].lower() in _RTL_LANGUAGES else "ltr"


def format_any_date(value: PartialDate | dt.date | None, lang: str = "en") -> str:
    """A date as readers of ``lang`` write it; year-only and year-month dates stay partial."""
    if value is None:
        return ""
    locale = locale_for(lang)
    if isinstance(value, dt.date):
        return format_date(value, "long", locale=locale)
    if value.day:
        return format_date(dt.date(value.year, value.month, value.day), "long", locale=locale)
    if value.month:
        return format_skeleton("yMMMM", dt.date(value.year, value.month, 1), locale=locale)
    return str(value.year)


def make_environment(layout: Layout) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in layout.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["format_date"] = format_any_date
    env.filters["inline"] = lambda text: Markup(render_inline(str(text)))
    return env


def profile_context(profile: Profile) -> dict[str, Any]:
    """The variables a profile template sees (``profile``, ``config``, ``pressroom``)."""
    meta = profile.meta
    lang = profile.lang
    body = render_body(profile.body)
    illustration = None
    if meta.illustration is not None and profile.illustration_path is not None:
        illustration = {
            "url": profile.illustration_path.as_uri(),
            "alt": meta.illustration.alt,
            "credit": meta.illustration.credit,
            "caption": meta.illustration.caption,
        }
    blocks = place_boxes(
        body.blocks,
        [name for name, items in (("factbox", meta.facts), ("timeline", meta.timeline)) if items],
    )
    last_text = max((i for i, b in enumerate(blocks) if not b.slot), default=-1)
    return {
        "profile": {
            "title": meta.title,
            "dek": meta.dek,
            "kicker": meta.kicker,
            "byline": meta.byline,
            "date": meta.date,
            "lang": lang,
            "dir": text_direction(lang),
            "tags": meta.tags,
            "slug": profile.slug,
            "illustration": illustration,
            "facts": [{"label": f.label, "value": f.value} for f in meta.facts],
            "timeline": [{"date": e.date, "event": e.event} for e in meta.timeline],
            "related": meta.related,
            "body": Markup(body.html),
            "factbox_in_story": any(b.slot == "factbox" for b in body.blocks),
            "blocks": [{"html": Markup(b.html), "slot": b.slot, "kind": b.kind} for b in blocks],
            "last_text_block": last_text,
            "headings": body.headings,
            "word_count": body.word_count,
        },
        "config": profile.workspace.config.model_dump(),
        "publication": profile.workspace.config.publication,
        "pressroom": {"version": __version__},
    }


def place_boxes(blocks: list[Block], boxes: list[str]) -> list[Block]:
    """Drop slots for boxes that have no content, and give the timeline a default place.

    The fact box, unless the editor placed it in the text, is the opener's sidebar
    (the template decides); the timeline closes the story, where a box that does
    not fit the column cannot leave a hole in the middle of the text.
    """
    placed = [block for block in blocks if not block.slot or block.slot in boxes]
    present = {block.slot for block in placed if block.slot}
    if "timeline" in boxes and "timeline" not in present:
        placed.append(Block("", "timeline"))
    return placed


def render_profile_html(profile: Profile, layout: Layout | None = None) -> HtmlDocument:
    """Run the layout's templates for a profile; raise :class:`LayoutError` on template errors."""
    workspace = profile.workspace
    layout = layout or find_layout(profile.layout, workspace)
    env = make_environment(layout)
    context = profile_context(profile)
    try:
        template = env.get_template(PROFILE_TEMPLATE)
        text = template.render(context)
    except jinja2.TemplateError as error:
        raise LayoutError(_describe_template_error(error, layout)) from None
    page_css = f"@page {{ size: {workspace.config.page_size}; }}\n"
    meta = profile.meta
    metadata = {
        "title": meta.title,
        "author": meta.byline,
        "subject": meta.dek,
        "keywords": meta.tags,
        "lang": profile.lang,
    }
    return HtmlDocument(text, profile.source.as_uri(), layout.stylesheets, page_css, metadata)


def _describe_template_error(error: jinja2.TemplateError, layout: Layout) -> str:
    location = ""
    filename = getattr(error, "filename", None)
    lineno = getattr(error, "lineno", None)
    if filename is None:
        # Runtime errors (undefined variables...) carry their location in the traceback.
        import traceback

        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith(".j2") or frame.filename.endswith(".html"):
                filename, lineno = frame.filename, frame.lineno
                break
    if filename:
        location = display_path(Path(filename)) + (f":{lineno}" if lineno else "") + ": "
    message = html.unescape(str(error.message or error))
    return f"{location}layout '{layout.name}': {message}"
