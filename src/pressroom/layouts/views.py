"""The template context, built: a profile, with its boxes placed and its shape
measured, as a :class:`pressroom.context.ProfileView`; the pictures to credit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from .. import __version__, context
from ..config import Workspace
from ..content import Profile
from ..credits import ImageUse, credit_for, load_ledger
from ..diagnostics import display_path
from ..editions import Edition
from ..formats import OutputFormat
from ..markup import SLOTS, Block, FigureCredit, image_references, render_body
from .languages import labeller, quotes_for, text_direction
from .lookup import Layout

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


def profile_view(
    profile: Profile,
    output_format: OutputFormat,
    anchor: str = "",
    see_also: list[context.Entry] | None = None,
    values: dict[str, Any] | None = None,
    style: str = "",
    layout: Layout | None = None,
) -> context.ProfileView:
    """What a template knows about one profile (the ``profile`` variable)."""
    meta = profile.meta
    lang = profile.lang
    values = values or {}
    ledger = load_ledger(profile.workspace.root)
    label = labeller(layout, lang)
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
        illustration = context.Illustration(
            url=uses[0].path.as_uri(),
            alt=meta.illustration.alt,
            credit=art.credit or "",
            caption=meta.illustration.caption,
            focus=meta.illustration.focus_css,
            fpo=art.fpo,
            creator=art.creator,
            licence=art.licence,
        )
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
    return context.ProfileView(
        title=meta.title,
        dek=meta.dek,
        kicker=meta.kicker,
        byline=meta.byline,
        date=meta.date,
        lang=lang,
        dir=text_direction(lang),
        tags=meta.tags,
        slug=profile.slug,
        anchor=anchor or f"profile-{profile.slug}",
        illustration=illustration,
        facts=[context.Fact(f.label, f.value) for f in meta.facts],
        timeline=[context.Event(e.date, e.event) for e in meta.timeline],
        related=meta.related,
        see_also=see_also or [],
        fictional=meta.fictional,
        body=Markup(body.html),
        factbox_in_story=any(b.slot == "factbox" for b in body.blocks),
        timeline_in_story=any(b.slot == "timeline" for b in body.blocks),
        # Shapes a layout may answer with a different design (the magazine does):
        # beside the art (112 mm and its caption) or beside a headline block
        factbox_long=factbox_height_mm(meta.facts, lang) > (art_mm + 14 if illustration else 85),
        factbox_height=round(factbox_height_mm(meta.facts, lang)),  # mm, as a sidebar
        factbox_after=_second_paragraph(blocks),
        timeline_band=band,
        timeline_columns=_timeline_columns(values.get("timeline_columns"), len(meta.timeline)),
        blocks=[
            context.BodyBlock(html, b.slot, b.kind)
            for html, b in zip(block_html, blocks, strict=True)
        ],
        last_text_block=last_text,
        headings=body.headings,
        word_count=body.word_count,
        vars=context.Record("vars", values),
        style=style,
    )


def _timeline_columns(chosen: Any, events: int) -> int:
    """A timeline band's columns: the layout variable, or 3 from 18 events ("auto")."""
    return int(chosen) if chosen in (2, 3, "2", "3") else 3 if events >= 18 else 2


_UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def length_mm(value: Any, default: float) -> float:
    """A CSS length such as ``112mm`` or ``13.6pt`` in millimetres (``default`` when it is
    not an absolute length: a layout may use any CSS, pressroom only estimates with it)."""
    match = re.fullmatch(r"\s*(-?[\d.]+)\s*(mm|cm|in|pt|pc|px)\s*", str(value or ""))
    return float(match[1]) * _UNITS_MM[match[2]] if match else default


def common_context(workspace: Workspace, output_format: OutputFormat) -> dict[str, Any]:
    return {
        "config": context.Record("config", workspace.config.model_dump()),
        "publication": workspace.config.publication,
        "format": context.Record("format", output_format.model_dump()),
        "pressroom": context.PressroomInfo(__version__),
    }


def profile_context(
    profile: Profile,
    output_format: OutputFormat,
    values: dict[str, Any] | None = None,
    layout: Layout | None = None,
) -> dict[str, Any]:
    """The variables a profile template sees."""
    view = profile_view(profile, output_format, values=values, layout=layout)
    document = context.DocumentInfo(
        title=view.title,
        author=view.byline,
        description=view.dek,
        keywords=view.tags,
        lang=view.lang,
        dir=view.dir,
        created=view.date,
    )
    return {
        "profile": view,
        "document": document,
        "vars": view.vars,
        **common_context(profile.workspace, output_format),
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
