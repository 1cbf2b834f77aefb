"""Layouts: finding them, and turning a profile into HTML with their templates.

A layout is a folder holding ``layout.yaml`` (name, description, ``extends``,
stylesheets), Jinja templates and CSS. Lookup is an explicit search path: the
workspace's ``layouts/<name>``, then the layouts it extends, then the built-in
layouts shipped with pressroom.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .anchors import BACK, FRONT, INTERNAL_LINK
from .config import Workspace, builtin_root, check_layout_name
from .content import PartialDate, Profile
from .credits import ImageUse, credit_for, load_ledger
from .diagnostics import ContentError, Diagnostic, LayoutError, display_path
from .editions import Edition
from .formats import OutputFormat, cmyk_profile, format_css
from .markup import SLOTS, Block, FigureCredit, image_references, render_body, render_inline
from .resources import ResourceRefused, confine, read_source
from .validation import validate
from .variables import (
    Value,
    VariableSpec,
    css_value,
    inline_style,
    problems,
    resolve,
    root_css,
)
from .yamlsource import load_yaml

LAYOUT_FILE = "layout.yaml"
LAYOUT_FILE_BYTES = 2_000_000  # a layout's templates, stylesheets and layout.yaml
PROFILE_TEMPLATE = "profile.html.j2"
EDITION_TEMPLATE = "edition.html.j2"
DEFAULT_FORMAT = "screen"
_RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "sd", "ckb", "yi", "dv"}


class FitStep(BaseModel):
    """One copyfitting step of ``layout.yaml``: variables to set, and its name for reports."""

    model_config = ConfigDict(extra="ignore")

    name: str
    variables: dict[str, Value]
    # A change to what is shown (pull quotes dropped), not only to how: for budgets only.
    budget_only: bool = False


class FittingSpec(BaseModel):
    """``fitting:`` in ``layout.yaml``: see :mod:`pressroom.fitting`."""

    model_config = ConfigDict(extra="ignore")

    # A last page less full than this (percent) is pulled back when the steps can; 0: never.
    short_page: int = Field(default=0, ge=0, le=100)
    steps: list[FitStep] = []


class LayoutSpec(BaseModel):
    """The contents of ``layout.yaml``."""

    model_config = ConfigDict(extra="ignore")

    name: str
    description: str = ""
    extends: str | None = None
    stylesheets: list[str] = []
    variables: dict[str, VariableSpec] = {}
    labels: dict[str, dict[str, str]] = {}  # language -> key -> text, for fixed wording
    fitting: FittingSpec | None = None  # a child's replaces its parent's


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
        return [
            layout.folder / name
            for layout in reversed(self.chain)
            for name in layout.spec.stylesheets
        ]

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        merged: dict[str, dict[str, str]] = {}
        for layout in reversed(self.chain):
            for lang, texts in layout.spec.labels.items():
                merged.setdefault(lang, {}).update(texts)
        return merged

    def label(self, key: str, lang: str = "en") -> str:
        """A fixed wording ("At a glance") in a language, else in English."""
        labels = self.labels
        for candidate in (lang, lang.split("-")[0], "en"):
            if key in labels.get(candidate, {}):
                return labels[candidate][key]
        raise LayoutError(f"layout '{self.name}' has no label '{key}' (layout.yaml, labels)")

    @property
    def variables(self) -> dict[str, VariableSpec]:
        """Every variable of the layout and its parents (a child's declaration wins)."""
        declared: dict[str, VariableSpec] = {}
        for layout in reversed(self.chain):
            declared.update(layout.spec.variables)
        return declared

    @property
    def fitting(self) -> FittingSpec:
        """The copyfitting steps: the nearest layout's that declares any, else none."""
        return next(
            (layout.spec.fitting for layout in self.chain if layout.spec.fitting), FittingSpec()
        )


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
    """Resolve a layout by name, following ``extends``; raise :class:`LayoutError`.

    A layout that extends a layout of its own name (a workspace ``layouts/magazine``
    with ``extends: magazine``) extends the next one on the search path: the built-in.
    """
    return _find(name, workspace, layout_dirs(workspace), _seen)


def _find(name: str, workspace: Workspace, dirs: list[Path], seen: tuple[str, ...]) -> Layout:
    try:
        check_layout_name(name)
    except ValueError as error:
        raise LayoutError(str(error)) from None
    if name in seen and name != seen[-1]:
        cycle = " -> ".join((*seen, name))
        raise LayoutError(f"layout '{seen[0]}' extends itself: {cycle}")
    builtin = builtin_layouts_dir().resolve()
    for index, folder in enumerate(dirs):
        candidate = folder / name
        if not (candidate / LAYOUT_FILE).is_file():
            continue
        roots = _layout_roots(workspace)
        spec = _read_spec(candidate / LAYOUT_FILE, roots)
        _check_stylesheets(candidate, spec, roots)
        parent = None
        if spec.extends == name:
            # Same name: look further down the search path only.
            parent = _find(name, workspace, dirs[index + 1 :], (*seen, name))
        elif spec.extends:
            parent = _find(spec.extends, workspace, layout_dirs(workspace), (*seen, name))
        layout = Layout(name, candidate, spec, parent, candidate.resolve().parent == builtin)
        _check_fitting(layout, candidate / LAYOUT_FILE)
        return layout
    known = ", ".join(available_layouts(workspace)) or "none"
    raise LayoutError(f"layout '{name}' not found; available layouts: {known}")


def _check_fitting(layout: Layout, path: Path) -> None:
    """Each fitting step sets declared variables to values they accept."""
    declared = layout.variables
    for index, step in enumerate(layout.spec.fitting.steps if layout.spec.fitting else []):
        for problem in problems(declared, step.variables):
            raise LayoutError(
                f"{display_path(path)}: fitting.steps[{index}] ('{step.name}'): "
                f"variable '{problem.name}': {problem}"
            )


def _layout_roots(workspace: Workspace) -> list[Path]:
    """Where a layout's files may be: the workspace's own layouts, and the built-in ones."""
    roots = [builtin_layouts_dir()]
    if not workspace.is_standalone:
        roots.append(workspace.layouts_dir)
    return roots


def _read_spec(path: Path, roots: list[Path]) -> LayoutSpec:
    data, lines = load_yaml(read_source(path, roots, LAYOUT_FILE_BYTES), path)
    spec, diagnostics = validate(LayoutSpec, data, path, lines)
    if spec is None or any(d.is_error for d in diagnostics):
        raise ContentError(diagnostics)
    return spec


def _check_stylesheets(folder: Path, spec: LayoutSpec, roots: list[Path]) -> None:
    """Each stylesheet a layout names is a file of the layouts (no absolute path, no
    ``../`` out of them, no symlink elsewhere): WeasyPrint opens it directly."""
    for index, name in enumerate(spec.stylesheets):
        try:
            confine(folder / name, roots, LAYOUT_FILE_BYTES, name)
        except ResourceRefused as refused:
            raise LayoutError(
                f"{display_path(folder / LAYOUT_FILE)}: stylesheets[{index}]: {refused}"
            ) from None


@dataclass
class HtmlDocument:
    """What the renderer needs: HTML, its base URL, stylesheets, and how to write the PDF."""

    html: str
    base_url: str
    stylesheets: list[Path]
    extra_css: str = ""  # after the layout's stylesheets: variables, the format's rules
    metadata: dict[str, Any] = field(default_factory=dict)
    output_format: OutputFormat = field(default_factory=OutputFormat)
    attachments: list[Path] = field(default_factory=list)
    extra_roots: list[Path] = field(default_factory=list)  # declared files outside the workspace
    root: Path | None = None  # the workspace, for naming files in messages
    icc_profile: Path | None = None  # a CMYK format's output intent: print colour converts to it
    # Before the stylesheets: the page variables (size, margins), so a layout's @page wins.
    page_css: str = ""


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


END_MARK = '<span class="end-mark" aria-hidden="true">■</span>'


def with_end_mark(html: Markup) -> Markup:
    """The story's last block with the end mark after its last word, on the same line:
    a word joiner (U+2060) forbids a break before it, so it never overprints the last
    word nor sits alone on a line. A block with no paragraph (a table) gets the mark
    as a line of its own."""
    text = str(html)
    for closing in ("</p>", "</li>"):
        at = text.rfind(closing)
        if at >= 0:
            return Markup(text[:at] + "\u2060" + END_MARK + text[at:])
    return Markup(text + f'<p class="end-mark-line">{END_MARK}</p>')


def tie_last_words(text: str | None, link: bool = False) -> Markup:
    """Keep the last two words on one line (``<span class="tie">``, set ``nowrap`` by
    the layout), so a display line never ends with one word alone on it. The text
    itself is unchanged, for copying, searching and bookmarks.

    Inside a link (``link=True``) the text is left as it is: WeasyPrint gives every
    element inside a link an annotation of its own, and a screen reader would announce
    the link twice (PDF/UA 7.18.5). A no-break space is no way out either: veraPDF 1.28
    reports EB Garamond's no-break space glyph as .notdef."""
    words = str(text or "").split()
    if link or len(words) < 3 or len(words[-1]) > 12:
        return Markup.escape(" ".join(words))
    head = Markup.escape(" ".join(words[:-2]))
    tail = Markup.escape(" ".join(words[-2:]))
    return Markup(f'{head} <span class="tie">{tail}</span>')


_ENVIRONMENTS: dict[tuple, SandboxedEnvironment] = {}


def make_environment(layout: Layout) -> SandboxedEnvironment:
    """The layout's Jinja environment, kept for the life of the process.

    A worker renders many documents with the same layout: keeping the environment
    keeps its compiled templates (Jinja reloads a template whose file changed). It is
    made anew when a ``layout.yaml`` of the chain changes (labels come from there).
    """
    key = tuple((str(folder), _modified(folder / LAYOUT_FILE)) for folder in layout.template_dirs)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _new_environment(layout)
    return _ENVIRONMENTS[key]


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader under the one rule for files: a template (and anything it
    includes or extends) is a regular file inside the layouts, symlinks followed."""

    def __init__(self, searchpath: list[Path], roots: list[Path]) -> None:
        super().__init__([str(p) for p in searchpath])
        self.roots = roots

    def get_source(self, environment, template: str):
        from jinja2.loaders import split_template_path

        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = Path(folder, *pieces)
            if candidate.exists() or candidate.is_symlink():
                try:
                    confine(candidate, self.roots, LAYOUT_FILE_BYTES, template)
                except ResourceRefused as refused:
                    raise jinja2.TemplateError(f"template {refused}") from None
                break
        return super().get_source(environment, template)


def _new_environment(layout: Layout) -> SandboxedEnvironment:
    roots = [builtin_layouts_dir(), *{folder.parent for folder in layout.template_dirs}]
    # "builtin/<layout>/<template>" names a built-in template explicitly, so a
    # workspace template can extend the built-in one it replaces.
    builtin = jinja2.PrefixLoader({"builtin": ConfinedLoader([builtin_layouts_dir()], roots)})
    # The sandbox: layouts come from many hands, and a template must not reach
    # Python internals (``''.__class__.__mro__``...) or call unsafe methods.
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader([ConfinedLoader(layout.template_dirs, roots), builtin]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["format_date"] = format_any_date
    env.filters["inline"] = lambda text: Markup(render_inline(str(text)))
    env.filters["tie"] = tie_last_words
    env.globals["label"] = layout.label
    return env


def profile_view(
    profile: Profile,
    output_format: OutputFormat,
    anchor: str = "",
    see_also: list[dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    style: str = "",
    layout: Layout | None = None,
) -> dict[str, Any]:
    """What a template knows about one profile (the ``profile`` variable)."""
    meta = profile.meta
    lang = profile.lang
    values = values or {}
    ledger = load_ledger(profile.workspace.root)
    label = _labeller(layout, lang)
    # The body's figures in order, each with its credit (inline data: images have none).
    body_uses = iter(use for use in profile.image_uses() if use.field == "body")
    credits = []
    for image in image_references(profile.body):
        use = None if image.src.startswith("data:") else next(body_uses, None)
        if image.figure is not None:
            credits.append(credit_for(use, ledger, lang) if use else None)
    figure_credits = iter(credits)

    def figure_credit(src: str, title: str, options) -> FigureCredit:
        found = next(figure_credits, None)
        credit = (found.credit if found else title) or ""
        if (options.status or (found.status if found else "final")) != "fpo":
            return FigureCredit(credit)
        return FigureCredit(credit, label("fpo"), label("fpo_note"))

    body = render_body(
        profile.body,
        links=output_format.links,
        anchor_prefix=anchor,
        drop_cap=bool(values.get("drop_cap", True)),
        initial="word" if text_direction(lang) == "rtl" else "letter",
        quotes=quotes_for(lang),
        lang=lang,
        figure_credit=figure_credit,
        image_url=_image_urls(profile),
    )
    illustration = None
    uses = [use for use in profile.image_uses() if use.field == "illustration"]
    if uses and meta.illustration is not None:
        art = credit_for(uses[0], ledger, lang)
        illustration = {
            "url": uses[0].path.as_uri(),
            "alt": meta.illustration.alt,
            "credit": art.credit or "",
            "caption": meta.illustration.caption,
            "focus": meta.illustration.focus_css,
            "fpo": art.fpo,
            "creator": art.creator,
            "licence": art.licence,
        }
    blocks = place_boxes(
        body.blocks,
        [name for name, items in (("factbox", meta.facts), ("timeline", meta.timeline)) if items],
    )
    band = len(meta.timeline) >= int(values.get("timeline_band_from", 11) or 11)
    timeline_placed = any(b.slot == "timeline" for b in body.blocks)  # by the editor
    if values.get("timeline_place") == "story" and not band and not timeline_placed:
        blocks = _timeline_into_story(blocks)
    last_text = max((i for i, b in enumerate(blocks) if not b.slot), default=-1)
    block_html = [Markup(b.html) for b in blocks]
    if last_text >= 0:
        block_html[last_text] = with_end_mark(block_html[last_text])
    art_mm = length_mm(values.get("art_height"), 112)  # the sidebar stands beside it
    return {
        "title": meta.title,
        "dek": meta.dek,
        "kicker": meta.kicker,
        "byline": meta.byline,
        "date": meta.date,
        "lang": lang,
        "dir": text_direction(lang),
        "tags": meta.tags,
        "slug": profile.slug,
        "anchor": anchor or f"profile-{profile.slug}",
        "illustration": illustration,
        "facts": [{"label": f.label, "value": f.value} for f in meta.facts],
        "timeline": [{"date": e.date, "event": e.event} for e in meta.timeline],
        "related": meta.related,
        "see_also": see_also or [],
        "fictional": meta.fictional,
        "body": Markup(body.html),
        "factbox_in_story": any(b.slot == "factbox" for b in body.blocks),
        "timeline_in_story": any(b.slot == "timeline" for b in body.blocks),
        # Shapes a layout may answer with a different design (the magazine does):
        # beside the art (112 mm and its caption) or beside a headline block
        "factbox_long": factbox_height_mm(meta.facts, lang) > (art_mm + 14 if illustration else 85),
        "factbox_height": round(factbox_height_mm(meta.facts, lang)),  # mm, as a sidebar
        "factbox_after": _second_paragraph(blocks),
        "timeline_band": band,
        "timeline_columns": _timeline_columns(values.get("timeline_columns"), len(meta.timeline)),
        "blocks": [
            {"html": html, "slot": b.slot, "kind": b.kind}
            for html, b in zip(block_html, blocks, strict=True)
        ],
        "last_text_block": last_text,
        "headings": body.headings,
        "word_count": body.word_count,
        "vars": values,
        "style": style,
    }


def _timeline_columns(chosen: Any, events: int) -> int:
    """A timeline band's columns: the layout variable, or 3 from 18 events ("auto")."""
    return int(chosen) if chosen in (2, 3, "2", "3") else 3 if events >= 18 else 2


_UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def length_mm(value: Any, default: float) -> float:
    """A CSS length such as ``112mm`` or ``13.6pt`` in millimetres (``default`` when it is
    not an absolute length: a layout may use any CSS, pressroom only estimates with it)."""
    match = re.fullmatch(r"\s*(-?[\d.]+)\s*(mm|cm|in|pt|pc|px)\s*", str(value or ""))
    return float(match[1]) * _UNITS_MM[match[2]] if match else default


def _common_context(workspace: Workspace, output_format: OutputFormat) -> dict[str, Any]:
    return {
        "config": workspace.config.model_dump(),
        "publication": workspace.config.publication,
        "format": output_format.model_dump(),
        "pressroom": {"version": __version__},
    }


def profile_context(
    profile: Profile,
    output_format: OutputFormat,
    values: dict[str, Any] | None = None,
    layout: Layout | None = None,
) -> dict[str, Any]:
    """The variables a profile template sees."""
    view = profile_view(profile, output_format, values=values, layout=layout)
    document = {
        "title": view["title"],
        "author": view["byline"],
        "description": view["dek"],
        "keywords": view["tags"],
        "lang": view["lang"],
        "dir": view["dir"],
        "created": view["date"],
    }
    return {
        "profile": view,
        "document": document,
        "vars": view["vars"],
        **_common_context(profile.workspace, output_format),
    }


def factbox_height_mm(facts, lang: str = "en") -> float:
    """About how tall the fact box sets as a sidebar a third of the page wide: its title
    and padding, and per fact a label line and the value's lines (some 33 characters a
    line of 4.1 mm; Arabic lines are taller). An estimate, with a margin in the caller."""
    if not facts:
        return 0.0
    arabic = text_direction(lang) == "rtl"
    per_line, line_mm = (38, 4.9) if arabic else (33, 4.1)
    lines = sum(-(-len(str(fact.value)) // per_line) for fact in facts)
    return 12 + len(facts) * 6.1 + lines * line_mm


def _second_paragraph(blocks: list[Block]) -> int:
    """The index of the story's second paragraph (a box placed after it sits in the
    first column of the story, under the lede), or the last block."""
    paragraphs = [i for i, block in enumerate(blocks) if block.kind == "paragraph"]
    return paragraphs[1] if len(paragraphs) > 1 else len(blocks) - 1


def _timeline_into_story(blocks: list[Block]) -> list[Block]:
    """The timeline moved from the story's end to before its last third (a copyfitting
    step: the story's text then flows on after it instead of leaving it a page alone)."""
    at = next((i for i, b in enumerate(blocks) if b.slot == "timeline"), None)
    paragraphs = [i for i, b in enumerate(blocks) if b.kind == "paragraph"]
    if at is None or len(paragraphs) < 4:
        return blocks
    timeline = blocks[at]
    rest = blocks[:at] + blocks[at + 1 :]
    target = paragraphs[(2 * len(paragraphs)) // 3]  # unchanged by the removal: before `at`
    return [*rest[: target + 1], timeline, *rest[target + 1 :]]


def place_boxes(blocks: list[Block], boxes: list[str]) -> list[Block]:
    """Drop slots for boxes that have no content, and give the timeline a default place.

    The fact box, unless the editor placed it in the text, is the opener's sidebar
    (the template decides); the timeline closes the story, where a box that does
    not fit the column cannot leave a hole in the middle of the text.
    """
    placed = [block for block in blocks if block.slot not in SLOTS or block.slot in boxes]
    present = {block.slot for block in placed if block.slot}
    if "timeline" in boxes and "timeline" not in present:
        placed.append(Block("", "timeline"))
    return placed


def _run_template(layout: Layout, name: str, context: dict[str, Any]) -> str:
    env = make_environment(layout)
    try:
        text = env.get_template(name).render(context)
    except jinja2.TemplateError as error:
        raise LayoutError(_describe_template_error(error, layout)) from None
    except LayoutError:
        raise
    except RecursionError as error:  # a macro that calls itself
        raise LayoutError(_describe_template_error(error, layout, "recursion too deep")) from None
    except Exception as error:  # 1/0, [].pop(), range(10**9)...: the layout's fault, said so
        message = f"{type(error).__name__}: {error}"
        raise LayoutError(_describe_template_error(error, layout, message)) from None
    if context.get("vars", {}).get("digits") == "arabic-indic":
        text = localise_digits(text)
    return text


def _cmyk_profile(workspace: Workspace, output_format: OutputFormat) -> Path | None:
    if output_format.color != "cmyk":
        return None
    icc = cmyk_profile(output_format, workspace.root, builtin_root() / "assets")
    if not icc.is_file():
        raise LayoutError(
            f"format '{output_format.name}' prints in CMYK with the ICC profile "
            f"'{output_format.icc_profile}' (formats.{output_format.name}.icc_profile), "
            "which is not there"
        )
    return icc


def render_profile_html(
    profile: Profile,
    layout: Layout | None = None,
    output_format: OutputFormat | None = None,
    fitted: dict[str, Value] | None = None,
) -> HtmlDocument:
    """Run the layout's templates for a profile; raise :class:`LayoutError` on template errors.

    ``fitted``: variables set by copyfitting steps, over everything else.
    """
    workspace = profile.workspace
    layout = layout or find_layout(profile.layout, workspace)
    output_format = output_format or workspace.formats[DEFAULT_FORMAT]
    icc = _cmyk_profile(workspace, output_format)
    values = variable_values(layout, output_format, workspace, profile=profile, fitted=fitted)
    context = profile_context(profile, output_format, values, layout)
    text = _run_template(layout, PROFILE_TEMPLATE, context)
    return _html_document(
        text, profile.source, layout, output_format, icc, _pdf_metadata(profile), [profile], values
    )


def variable_values(
    layout: Layout,
    output_format: OutputFormat,
    workspace: Workspace,
    edition: Edition | None = None,
    profile: Profile | None = None,
    fitted: dict[str, Value] | None = None,
) -> dict[str, Any]:
    """The layout's variables, overridden by the workspace, the edition, the profile and
    copyfitting (``fitted``), in that order."""
    layers = [
        {"page_size": workspace.config.page_size},
        workspace.config.variables,
        edition.meta.variables if edition else {},
        profile.meta.variables if profile else {},
        fitted or {},
    ]
    return resolve(layout.variables, *layers, cmyk=output_format.color == "cmyk")


def variable_diagnostics(
    layout: Layout,
    workspace: Workspace,
    edition: Edition | None = None,
    profiles: list[Profile] = (),
) -> list[Diagnostic]:
    """Unknown variables (warnings) and unusable values (errors), where they were set."""
    declared = layout.variables
    places = []
    if workspace.config_path is not None:
        places.append((workspace.config.variables, workspace.config_path, workspace.config_lines))
    if edition is not None:
        places.append((edition.meta.variables, edition.source, edition.lines))
    places += [(p.meta.variables, p.source, p.lines) for p in profiles]
    found = []
    for overrides, source, lines in places:
        for problem in problems(declared, overrides):
            unknown = problem.args[0].startswith("unknown variable")
            found.append(
                Diagnostic(
                    source,
                    lines.line_of(("variables", problem.name)),
                    f"variables.{problem.name}",
                    f"{problem.args[0]} (layout '{layout.name}')" if unknown else problem.args[0],
                    "warning" if unknown else "error",
                )
            )
    return found


# Quotation marks (primary open/close, secondary open/close) from the CLDR's
# delimiters, which Babel does not expose; languages not listed get English marks.
QUOTES = {
    "ar": "”“’‘", "de": "„“‚‘", "es": "«»“”", "fa": "«»‹›", "fr": "«»“”", "he": "”“’‘",
    "it": "«»“”", "nl": "‘’“”", "pl": "„”«»", "pt": "“”‘’", "ru": "«»„“", "ur": "”“’‘",
}  # fmt: skip


def quotes_for(lang: str) -> str:
    """Primary and secondary quotation marks for a language (BCP 47 tag)."""
    return QUOTES.get(lang.split("-")[0].lower(), "“”‘’")


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def localise_digits(html_text: str) -> str:
    """Arabic-Indic digits in the text of the ``<body>`` (not in tags or attributes)."""
    start = html_text.find("<body")
    if start < 0:
        return html_text
    head, body = html_text[:start], html_text[start:]

    def text(match: re.Match) -> str:  # character references (&#39;) keep their digits
        parts = re.split(r"(&#?\w+;)", match[1])
        parts[::2] = [part.translate(_ARABIC_INDIC) for part in parts[::2]]
        return ">" + "".join(parts) + "<"

    body = re.sub(r">([^<]+)<", text, body)
    return head + body


def _labeller(layout: Layout | None, lang: str) -> Callable[[str], str]:
    """Fixed wording in ``lang`` from the layout (English words when there is none)."""
    defaults = {"fpo": "FPO", "fpo_note": "For position only; final art:"}

    def label(key: str) -> str:
        if layout is None:
            return defaults.get(key, key)
        try:
            return layout.label(key, lang)
        except LayoutError:
            return defaults.get(key, key)

    return label


def image_records(
    workspace: Workspace,
    profiles: list[Profile],
    edition: Edition | None = None,
    pages: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Every picture of a document (an edition's cover first), credited from the ledger
    where the writer left it out, with the page it is on when ``pages`` knows it: for
    the PDF's metadata and the colophon."""
    ledger = load_ledger(workspace.root)
    pages = pages or {}
    found: list[tuple[ImageUse, str, str, int | None]] = []  # use, title, lang, page
    if edition is not None:
        for use in edition.image_uses():
            found.append((use, edition.meta.title, edition.lang, 1))
    for profile in profiles:
        anchors = _picture_anchors(profile, f"profile-{profile.slug}")
        start = pages.get(profile.slug)
        for use, anchor in zip(profile.image_uses(), anchors, strict=True):
            page = pages.get(anchor, start) if anchor else start
            found.append((use, profile.meta.title, profile.lang, page))
    records = []
    for use, title, lang, page in found:
        credit = credit_for(use, ledger, lang)
        records.append(
            {
                "file": display_path(use.path, ledger.root),
                "field": use.field,
                "title": title,
                "lang": lang,
                "credit": credit.credit or "",
                "creator": credit.creator or "",
                "licence": credit.licence or "",
                "source": credit.source or "",
                "status": credit.status,
                "fpo": credit.fpo,
                "page": page,
            }
        )
    return records


def _image_urls(profile: Profile) -> Callable[[str], str]:
    """A body image's ``src`` -> the URL of the file it was resolved to, checked, when
    the profile loaded: relative to the profile, whatever document includes it."""
    resolved = iter(profile.image_paths)
    urls = {}
    for image in image_references(profile.body):
        if not image.src.startswith("data:"):
            path = next(resolved, None)
            if path is not None:
                urls[image.src] = path.as_uri()
    return lambda src: urls.get(src, src)


def _picture_anchors(profile: Profile, anchor: str) -> list[str | None]:
    """The element id of each of a profile's pictures (as ``image_uses`` lists them):
    the layout's ``<anchor>-art`` for the illustration, ``<anchor>-figure-N`` for body
    figures (None for a picture inside running text)."""
    anchors: list[str | None] = []
    if profile.meta.illustration is not None and profile.illustration_path is not None:
        anchors.append(f"{anchor}-art")
    figures = 0
    for image in image_references(profile.body):
        figures += image.figure is not None
        if not image.src.startswith("data:"):
            anchors.append(f"{anchor}-figure-{figures}" if image.figure else None)
    return anchors


def _pdf_metadata(profile: Profile) -> dict[str, Any]:
    meta = profile.meta
    return {
        "title": meta.title,
        "author": meta.byline,
        "subject": meta.dek,
        "keywords": meta.tags,
        "lang": profile.lang,
        "images": image_records(profile.workspace, [profile]),
    }


def _html_document(
    text: str,
    source: Path,
    layout: Layout,
    output_format: OutputFormat,
    icc: Path | None,
    metadata: dict[str, Any],
    profiles: list[Profile],
    values: dict[str, Any],
) -> HtmlDocument:
    attach = output_format.attach_sources
    declared = layout.variables
    page_rules = " ".join(
        f"{name.removeprefix('page_').replace('_', '-')}: {css_value(values[name])};"
        for name, spec in declared.items()
        if spec.target == "page" and values.get(name) not in (None, "")
    )
    extra_css = root_css(declared, values) + format_css(output_format, icc)
    return HtmlDocument(
        text,
        source.as_uri(),
        layout.stylesheets,
        extra_css,
        metadata,
        page_css=f"@page {{ {page_rules} }}\n" if page_rules else "",
        output_format=output_format,
        attachments=[p.source for p in profiles] if attach else [],
        extra_roots=[icc] if icc else [],
        root=profiles[0].workspace.root,
        icc_profile=icc,
    )


def render_edition_html(
    edition: Edition,
    profiles: list[Profile],
    output_format: OutputFormat,
    layout: Layout | None = None,
    part: str = FRONT,
    pages: dict[str, int] | None = None,
    fitted: dict[str, Value] | None = None,
    teaser: bool = False,
) -> HtmlDocument:
    """One piece of an edition as HTML: the front (cover and contents), or one profile
    (``fitted``: the variables copyfitting set for it; ``teaser``: only the page that
    faces its opener, a full-page pull quote).

    An edition is laid out piece by piece and assembled into one PDF (so a change to
    one profile re-renders only that piece). ``pages`` says on which page each profile
    opens: the contents, "see also" references and folios print those numbers.
    Links to another piece name ``INTERNAL_LINK`` + anchor; assembly resolves them.
    """
    workspace = edition.workspace
    layout = layout or find_layout(workspace.config.layout, workspace)
    icc = _cmyk_profile(workspace, output_format)
    pages = pages or {}
    in_edition = {p.slug: p for p in profiles}
    values = variable_values(layout, output_format, workspace, edition=edition)
    declared = layout.variables

    def entry(profile: Profile) -> dict[str, Any]:
        anchor = f"profile-{profile.slug}"
        page = pages.get(profile.slug)
        page_text = "" if page is None else str(page)
        if values.get("digits") == "arabic-indic":  # attributes are not localised with the text
            page_text = page_text.translate(_ARABIC_INDIC)
        return {
            "slug": profile.slug,
            "title": profile.meta.title,
            "dek": profile.meta.dek,
            "kicker": profile.meta.kicker,
            "lang": profile.lang,
            "anchor": anchor,
            "href": INTERNAL_LINK + anchor,
            "page": page,
            "page_text": page_text,
        }

    entries = [entry(profile) for profile in profiles]
    pictures = []
    if part == BACK:
        for record in image_records(workspace, profiles, edition, pages):
            page = record["page"]
            text = "" if page is None else str(page)
            if values.get("digits") == "arabic-indic":
                text = text.translate(_ARABIC_INDIC)
            pictures.append({**record, "page_text": text})
    articles = []
    if part not in (FRONT, BACK):
        if part not in in_edition:
            raise LayoutError(f"edition '{edition.slug}' has no profile '{part}'")
        profile = in_edition[part]
        see_also = [
            entry(in_edition[slug])
            for slug in profile.meta.related
            if slug in in_edition and slug != profile.slug
        ]
        # A profile's own overrides apply to its article (page-wide ones cannot).
        own = variable_values(layout, output_format, workspace, edition, profile, fitted)
        set_here = {**profile.meta.variables, **(fitted or {})}
        changed = {k: v for k, v in own.items() if k in set_here}
        style = inline_style(declared, changed)
        view = profile_view(
            profile, output_format, f"profile-{part}", see_also, own, style, layout=layout
        )
        articles.append({**view, "page": pages.get(part)})
    meta = edition.meta
    issue = meta.issue or ""
    if isinstance(meta.issue, int):
        issue = f"{layout.label('issue', edition.lang)} {meta.issue}"
    cover = None
    if meta.cover is not None and edition.cover_path is not None:
        (use,) = edition.image_uses()
        art = credit_for(use, load_ledger(workspace.root), edition.lang)
        cover = {
            "url": edition.cover_path.as_uri(),
            "alt": meta.cover.alt,
            "credit": art.credit or "",
            "lines": meta.cover.lines,
            "fpo": art.fpo,
        }
    lang = edition.lang
    title = f"{meta.title}, {issue}" if issue else meta.title
    keywords = sorted({tag for profile in profiles for tag in profile.meta.tags})
    context = {
        "edition": {
            "title": meta.title,
            "issue": issue,
            "date": meta.date,
            "lang": lang,
            "dir": text_direction(lang),
            "slug": edition.slug,
            "cover": cover,
            "part": part,
            "teaser": teaser,  # the articles' teaser page, not the articles
            "profiles": entries,
            "articles": articles,
            "pictures": pictures,  # the colophon's (edition.part == "back")
            "masthead": [{"role": k, "name": v} for k, v in meta.masthead.items()],
        },
        "vars": values,
        "document": {
            "title": title,
            "author": workspace.config.publication,
            "description": "; ".join(meta.cover.lines) if meta.cover else None,
            "keywords": keywords,
            "lang": lang,
            "dir": text_direction(lang),
            "created": meta.date,
        },
        **_common_context(workspace, output_format),
    }
    text = _run_template(layout, EDITION_TEMPLATE, context)
    attach = output_format.attach_sources
    if part in (FRONT, BACK):
        metadata = {
            "title": title,
            "author": workspace.config.publication,
            "subject": context["document"]["description"],
            "keywords": keywords,
            "lang": lang,
            "images": image_records(workspace, profiles, edition),  # the edition's XMP
        }
        attached = profiles if part == FRONT else []
    else:
        metadata, attached = _pdf_metadata(in_edition[part]), [in_edition[part]]
    document = _html_document(
        text, edition.source, layout, output_format, icc, metadata, profiles, values
    )
    document.attachments = [p.source for p in attached] if attach else []
    start = pages.get(part)
    if start and start > 1:  # the piece's first page carries the edition's page number
        document.extra_css += f"@page :first {{ counter-increment: page {start}; }}\n"
    return document


def _describe_template_error(
    error: BaseException | None, layout: Layout, message: str | None = None
) -> str:
    location = ""
    filename = getattr(error, "filename", None)
    lineno = getattr(error, "lineno", None)
    if filename is None and error is not None:
        # Runtime errors (undefined variables...) carry their location in the traceback.
        import traceback

        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith(".j2") or frame.filename.endswith(".html"):
                filename, lineno = frame.filename, frame.lineno
                break
    if filename:
        location = display_path(Path(filename)) + (f":{lineno}" if lineno else "") + ": "
    if message is None:
        message = html.unescape(str(getattr(error, "message", None) or error))
    if isinstance(error, SecurityError):
        message = f"refused by the template sandbox: {message}"
    return f"{location}layout '{layout.name}': {message}"
