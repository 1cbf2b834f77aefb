"""Profile bodies: CommonMark (plus footnotes and pull quotes) to HTML for print.

Raw HTML in the Markdown is escaped, never passed to the renderer. Footnotes are
turned into inline ``<span class="footnote">`` elements that the layout floats to
the page foot (CSS ``float: footnote``); the first paragraph gets an explicit
drop-cap element, since a floated ``::first-letter`` inside columns crashes
WeasyPrint 70.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

PULL_QUOTE = "pullquote"
# "::: figure size=full focus="70% 40%" status=fpo", an image and its caption, ":::".
FIGURE = "figure"
FIGURE_SIZES = ("column", "full", "margin")
_FIGURE_OPTION = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|(\S+))')
# Empty containers an editor can use to place the front matter's boxes in the text:
# "::: factbox" / ":::" puts the fact box there. Unplaced boxes go where the layout says.
SLOTS = ("factbox", "timeline")

LEAD_IN_WORDS = 5  # the opening words set in small caps after the drop cap
# Opening punctuation that travels with the drop cap ("“Kadhimi" -> “K).
_LEADING_PUNCTUATION = "\"'“‘«„¿¡(["


@dataclass(frozen=True)
class FigureOptions:
    """How a body figure is placed: its size, focal point and art status."""

    size: str = "column"
    focus: tuple[float, float] | None = None  # percentages across and down
    status: str | None = None  # final or fpo; None: as the ledger says
    problems: tuple[str, ...] = ()  # options that could not be read

    @property
    def focus_css(self) -> str:
        return "" if self.focus is None else f"{self.focus[0]:g}% {self.focus[1]:g}%"


def parse_focus(text: str) -> tuple[float, float]:
    """``"70% 40%"`` -> (70.0, 40.0); raise ValueError for anything else."""
    parts = str(text).replace(",", " ").split()
    try:
        if len(parts) != 2 or not all(p.endswith("%") for p in parts):
            raise ValueError
        x, y = (float(p[:-1]) for p in parts)
    except ValueError:
        raise ValueError(
            f"focus {text!r} is not a point; write two percentages, across then down: "
            "focus: 70% 40%"
        ) from None
    if not (0 <= x <= 100 and 0 <= y <= 100):
        raise ValueError(f"focus {text!r} is outside the picture; use 0% to 100%")
    return x, y


def parse_figure_options(info: str) -> FigureOptions:
    """The options after ``::: figure``; problems are collected, not raised."""
    text = info.strip().removeprefix(FIGURE).strip()
    size, focus, status, problems = "column", None, None, []
    for match in _FIGURE_OPTION.finditer(text):
        key, value = match[1], match[2] if match[2] is not None else match[3]
        if key == "size":
            if value in FIGURE_SIZES:
                size = value
            else:
                problems.append(f"size {value!r}; use one of {', '.join(FIGURE_SIZES)}")
        elif key == "focus":
            try:
                focus = parse_focus(value)
            except ValueError as error:
                problems.append(str(error))
        elif key == "status":
            if value in ("final", "fpo"):
                status = value
            else:
                problems.append(f"status {value!r}; use final or fpo")
        else:
            problems.append(f"unknown figure option {key!r}; use size, focus or status")
    leftover = _FIGURE_OPTION.sub("", text).strip()
    if leftover:
        problems.append(f"cannot read {leftover!r}; write options as key=value")
    return FigureOptions(size, focus, status, tuple(problems))


@dataclass(frozen=True)
class ImageReference:
    """An image the Markdown body points at, with its 1-based line in the file."""

    src: str
    line: int
    title: str = ""  # ![alt](src "title"): where a body image's credit goes
    alt: str = ""
    figure: FigureOptions | None = None  # None: an image inside running text
    caption: str = ""  # a figure's caption, as Markdown
    figure_line: int = 0  # the line of its "::: figure" options, when it has them


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Block:
    """One top-level piece of the body: HTML, or a slot for a box such as the fact box."""

    html: str
    slot: str | None = None
    kind: str = ""  # the token type that opened it: paragraph, heading, ...


@dataclass
class Body:
    """A converted body: HTML ready for a layout, and what the layout may want to know."""

    html: str
    blocks: list[Block] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    word_count: int = 0
    pull_quotes: int = 0
    footnotes: int = 0


def _markdown(quotes: str = "“”‘’") -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": quotes})
    md.enable(["replacements", "smartquotes", "table"])  # GFM tables: what import writes
    md.use(footnote_plugin)
    md.use(container_plugin, PULL_QUOTE, render=_render_pull_quote)
    md.use(container_plugin, FIGURE)
    for slot in SLOTS:
        md.use(container_plugin, slot, render=lambda *args: "")
    return md


@dataclass(frozen=True)
class FigureCredit:
    """A figure's credit line as printed, and the FPO tag and note when it is FPO art."""

    credit: str
    fpo_tag: str = ""  # empty for final art
    fpo_note: str = ""


def _figure_html(md, env, part, options: FigureOptions, anchor: str, credit_of, url_of) -> str:
    """A body figure: the framed image (cropped about its focal point), then a caption
    and the credit."""
    inline = next(t for t in part if t.type == "inline" and _lone_image(t) is not None)
    image = _lone_image(inline)
    src, title = str(image.attrGet("src") or ""), str(image.attrGet("title") or "")
    alt = image.content
    credit = credit_of(src, title, options) if credit_of else FigureCredit(title)
    focus = options.focus_css
    style = f' style="object-position: {focus}" data-focus="{focus}"' if focus else ""
    classes = f"figure figure-{options.size}" + (" fpo" if credit.fpo_tag else "")
    caption = "".join(
        md.renderer.renderInline(t.children or [], md.options, env) for t in _caption_inlines(part)
    )
    parts = [
        f'<figure class="{classes}" id="{escape(anchor)}">',
        '<div class="frame">',
        f'<img src="{escape(url_of(src) if url_of else src)}" alt="{escape(alt)}"{style}>',
    ]
    if credit.fpo_tag:
        parts.append(f'<span class="fpo-tag" aria-hidden="true">{escape(credit.fpo_tag)}</span>')
    parts.append("</div>")
    if caption or credit.credit:
        parts.append("<figcaption>")
        if caption:
            parts.append(f'<span class="caption">{caption}</span> ')
        if credit.credit:
            note = (
                f'<span class="fpo-note">{escape(credit.fpo_note)}</span> '
                if credit.fpo_note
                else ""
            )
            parts.append(f'<span class="credit">{note}{escape(credit.credit)}</span>')
        parts.append("</figcaption>")
    parts.append("</figure>\n")
    return "".join(parts)


def _render_pull_quote(renderer, tokens, idx, options, env) -> str:
    if tokens[idx].nesting == 1:
        return '<aside class="pullquote" role="note">\n'
    return "</aside>\n"


def image_references(text: str, first_line: int = 1) -> list[ImageReference]:
    """Every image source in a Markdown body, for checking before anything renders."""
    return list(_image_references(text, first_line))


@functools.lru_cache(maxsize=1024)
def _image_references(text: str, first_line: int) -> tuple[ImageReference, ...]:
    # Loading, preflight, credits and the layout all ask: the body is parsed once. The
    # front of an edition asks for every profile, three times: room for large editions
    # (at 64, an edition of 150 parsed each body three times: 0.8 s of its front).
    found: list[ImageReference] = []
    for part, slot, kind in _top_level(_markdown().parse(text, {})):
        figure = _figure_of(part, slot, kind)
        opened = first_line + (part[0].map[0] if part[0].map else 0)
        for token in part:
            if token.type != "inline" or not token.children:
                continue
            line = first_line + (token.map[0] if token.map else 0)
            for child in _walk(token.children):
                if child.type == "image":
                    found.append(_reference(child, line, figure, part, opened))
                    figure = None  # a figure has one image; more are inline
    return tuple(found)


def _reference(image: Token, line: int, figure, part: list[Token], opened: int):
    src, title = str(image.attrGet("src") or ""), str(image.attrGet("title") or "")
    if figure is None:
        return ImageReference(src, line, title, image.content)
    caption = " ".join(t.content for t in _caption_inlines(part))
    return ImageReference(src, line, title, image.content, figure, caption, opened)


def _figure_of(part: list[Token], slot: str | None, kind: str) -> FigureOptions | None:
    """A block's figure options: a ``::: figure`` container, or a paragraph that is
    nothing but an image (a figure the size of a column)."""
    if slot == FIGURE:
        return parse_figure_options(part[0].info)
    if kind == "paragraph" and len(part) == 3 and _lone_image(part[1]) is not None:
        return FigureOptions()
    return None


def _lone_image(inline: Token) -> Token | None:
    children = [
        c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
    ]
    if len(children) == 1 and children[0].type == "image":
        return children[0]
    return None


def _caption_inlines(part: list[Token]) -> list[Token]:
    """The inline tokens of a figure that are not its image: the caption."""
    inlines = [t for t in part if t.type == "inline"]
    return [t for t in inlines if _lone_image(t) is None]


def _walk(tokens: list[Token]):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def render_body(
    text: str,
    *,
    drop_cap: bool = True,
    quotes: str = "“”‘’",
    links: bool = True,
    anchor_prefix: str = "",
    initial: str = "letter",
    lang: str = "",
    figure_credit: Callable[[str, str, FigureOptions], FigureCredit] | None = None,
    image_url: Callable[[str], str] | None = None,
) -> Body:
    """Convert a Markdown body to HTML for a print layout.

    ``links=False`` keeps link text but drops the links (for print PDFs);
    ``anchor_prefix`` keeps heading anchors unique when several bodies share a document.
    ``initial="word"`` marks the opening word instead of a drop-cap letter (Arabic script,
    whose joined letters cannot be split off). ``lang`` is the body's language: runs in
    another script (Arabic in a Latin-script text, Latin in an Arabic one) are marked
    with their own ``lang``, which the tagged PDF carries for screen readers.
    ``figure_credit(src, title, options)`` says how a figure's credit reads (the
    layout completes it from the rights ledger); by default it is the image's title.
    ``image_url(src)`` is where an image is really read from (the layout gives each one
    as its file, so a profile's pictures stay its own inside an edition).
    """
    md = _markdown(quotes)
    if not links:
        md.add_render_rule("link_open", lambda self, t, i, o, e: '<span class="link">')
        md.add_render_rule("link_close", lambda self, t, i, o, e: "</span>")
    env: dict = {}
    tokens = md.parse(text, env)
    tokens, notes = _extract_footnotes(md, tokens, env)
    headings = _anchor_headings(tokens, anchor_prefix)
    if drop_cap:
        _mark_drop_cap(tokens, initial)
    _keep_together(tokens, lang)

    def footnote_ref(renderer, tokens, idx, options, env) -> str:
        note = notes.get(tokens[idx].meta["id"], "")
        return f'<span class="footnote">{note}</span>'

    md.add_render_rule("footnote_ref", footnote_ref)
    if image_url is not None:
        default_image = md.renderer.rules["image"]

        def image(renderer, tokens, idx, options, env) -> str:
            token = tokens[idx]
            token.attrSet("src", image_url(str(token.attrGet("src") or "")))
            return default_image(tokens, idx, options, env)

        md.add_render_rule("image", image)
    md.add_render_rule("drop_cap", lambda self, t, i, o, e: t[i].content)
    blocks = []
    figures = 0
    for part, slot, kind in _top_level(tokens):
        figure = _figure_of(part, slot, kind)
        if figure is not None:
            figures += 1
            anchor = f"{anchor_prefix or 'story'}-figure-{figures}"
            html = _figure_html(md, env, part, figure, anchor, figure_credit, image_url)
            blocks.append(Block(mark_languages(html, lang) if lang else html, FIGURE, "figure"))
            continue
        if slot == PULL_QUOTE:  # the layout's pull-quote partial wraps the quote itself
            part = part[1:-1]
        html = md.renderer.render(part, md.options, env)
        blocks.append(Block(mark_languages(html, lang) if lang else html, slot, kind))
    html = "".join(
        f'<aside class="pullquote" role="note">\n{b.html}</aside>\n'
        if b.slot == PULL_QUOTE
        else b.html
        for b in blocks
    )
    words = len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", html)))
    pull_quotes = sum(1 for t in tokens if t.type == f"container_{PULL_QUOTE}_open")
    return Body(html, blocks, headings, words, pull_quotes, len(notes))


_ARABIC_LETTERS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC_RUN = re.compile(
    rf"[{_ARABIC_LETTERS}](?:[{_ARABIC_LETTERS}\s\d\u0660-\u0669،؛؟]*[{_ARABIC_LETTERS}])?"
)
_LATIN_RUN = re.compile(
    r"[A-Za-z\u00c0-\u024f](?:[A-Za-z\u00c0-\u024f\s'’.-]*[A-Za-z\u00c0-\u024f])?"
)
_ARABIC_SCRIPT_LANGUAGES = {"ar", "fa", "ur", "ps", "ku", "sd"}
_TAGS_AND_ENTITIES = re.compile(r"(<[^>]*>|&#?\w+;)")


def mark_languages(html: str, lang: str, latin: str = "en") -> str:
    """Wrap runs of the other script in ``<span lang>``: Arabic inside a Latin-script
    text (``ar``), Latin inside an Arabic-script one (``latin``, English unless told).
    Tags and character references are left alone; text inside them is never touched."""
    if lang.split("-")[0].lower() in _ARABIC_SCRIPT_LANGUAGES:
        pattern, other = _LATIN_RUN, latin
    else:
        pattern, other = _ARABIC_RUN, "ar"
    parts = _TAGS_AND_ENTITIES.split(html)
    for index in range(0, len(parts), 2):  # even places hold text, odd ones tags
        parts[index] = pattern.sub(
            lambda m: f'<span lang="{other}">{m.group(0)}</span>', parts[index]
        )
    return "".join(parts)


def render_inline(text: str, quotes: str = "“”‘’") -> str:
    """Inline Markdown (emphasis, links, code) for short fields such as fact values."""
    return _markdown(quotes).renderInline(text)


def _top_level(tokens: list[Token]):
    """Split the token stream into top-level blocks: (tokens, slot name, kind)."""
    start = 0
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting <= 0:
            part = tokens[start : index + 1]
            opener = part[0].type
            slot = next(
                (s for s in (*SLOTS, PULL_QUOTE, FIGURE) if opener == f"container_{s}_open"), None
            )
            yield part, slot, opener.removesuffix("_open")
            start = index + 1


def _extract_footnotes(md: MarkdownIt, tokens: list[Token], env: dict):
    """Take the footnote definitions out of the flow, keyed by id, as inline HTML."""
    notes: dict[int, str] = {}
    kept: list[Token] = []
    current: int | None = None
    parts: list[str] = []
    in_block = False
    for token in tokens:
        if token.type == "footnote_block_open":
            in_block = True
        elif token.type == "footnote_block_close":
            in_block = False
        elif token.type == "footnote_open":
            current, parts = token.meta["id"], []
        elif token.type == "footnote_close":
            notes[current] = " ".join(parts)
            current = None
        elif in_block and token.type == "inline" and token.children is not None:
            children = [c for c in token.children if c.type != "footnote_anchor"]
            parts.append(md.renderer.renderInline(children, md.options, env).strip())
        elif not in_block:
            kept.append(token)
    return kept, notes


def _anchor_headings(tokens: list[Token], prefix: str = "") -> list[Heading]:
    headings: list[Heading] = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = tokens[index + 1].content
        anchor = base = "-".join(filter(None, (prefix, slugify(text) or "section")))
        counter = 2
        while anchor in used:
            anchor, counter = f"{base}-{counter}", counter + 1
        used.add(anchor)
        token.attrSet("id", anchor)
        headings.append(Heading(int(token.tag[1]), text, anchor))
    return headings


@functools.lru_cache(maxsize=32)
def date_pattern(lang: str) -> re.Pattern:
    """Dates written out in ``lang`` ("14 October 2021", "October 2021", "Oct. 14"): the
    month names from the CLDR (Babel), in English when the language has none."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(lang or "en", sep="-")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    names = {
        name
        for width in ("wide", "abbreviated")
        for name in locale.months["format"][width].values()
        if len(name) > 2
    }
    months = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(
        rf"(?<!\w)(?:\d{{1,2}}\s+)?(?:{months})(?:\s+\d{{1,2}}(?!\d),?)?(?:\s+\d{{4}})?(?!\w)"
    )


def tie_dates(html: str, lang: str) -> str:
    """Keep written-out dates on one line (``<span class="tie">``, nowrap in the layout):
    never "Octo-ber 2021", nor a month at a line's end and its year on the next.
    Only text is touched, never tags or character references."""
    pattern = date_pattern(lang)

    def tie(match: re.Match) -> str:
        text = match.group(0)
        return f'<span class="tie">{text}</span>' if re.search(r"\s", text) else text

    parts = _TAGS_AND_ENTITIES.split(html)
    parts[::2] = [pattern.sub(tie, part) for part in parts[::2]]
    return "".join(parts)


def _keep_together(tokens: list[Token], lang: str) -> None:
    """Ties in the body's paragraphs: dates on one line (:func:`tie_dates`), and each
    paragraph's last word never hyphenated (``<span class="last-word">``), so a last line
    never holds the tail of a broken word alone."""
    for index, token in enumerate(tokens):
        opener = tokens[index - 1] if index else None
        if token.type != "inline" or opener is None or opener.type != "paragraph_open":
            continue
        if opener.level:  # the story's own paragraphs; quotes and captions are not hyphenated
            continue
        texts = [c for c in token.children or [] if c.type == "text" and c.content.strip()]
        for child in texts:
            html = tie_dates(escape(child.content, quote=False), lang)
            body = html.rstrip()
            if child is texts[-1] and not body.endswith("</span>"):
                head, space, last = body.rpartition(" ")
                if len(re.sub(r"\W", "", last)) >= 6:  # shorter words never hyphenate
                    html = f'{head}{space}<span class="last-word">{last}</span>{html[len(body) :]}'
            child.type, child.content = "html_inline", html


def _mark_drop_cap(tokens: list[Token], initial: str = "letter") -> None:
    """Wrap the first letter (or word) of the first paragraph in ``<span class="initial">``
    (or ``<span class="lead-word">``)."""
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            inline = tokens[index + 1]
            break
    else:
        return
    token.attrJoin("class", "lede")
    first = inline.children[0] if inline.children else None
    if first is None or first.type != "text" or not first.content:
        return
    text = first.content
    if initial == "word":
        word, _, rest = text.partition(" ")
        lead = Token("drop_cap", "", 0)
        lead.content = f'<span class="lead-word">{escape(word)}</span>' + (" " if rest else "")
        first.content = rest
        inline.children.insert(0, lead)
        return
    split = 0
    while split < len(text) and text[split] in _LEADING_PUNCTUATION:
        split += 1
    if split >= len(text) or not text[split].isalnum():
        return
    split += 1
    initial = Token("drop_cap", "", 0)
    # The first words after the initial, set in small caps by the layout: a span, not
    # ::first-line, which WeasyPrint 70 applies again where the paragraph continues in
    # the next column.
    rest = text[split:]
    words = rest.split(" ")
    lead, after = " ".join(words[:LEAD_IN_WORDS]), " ".join(words[LEAD_IN_WORDS:])
    initial.content = (
        f'<span class="initial">{escape(text[:split])}</span>'
        f'<span class="lead-in">{escape(lead)}</span>' + (" " if after else "")
    )
    first.content = after
    inline.children.insert(0, initial)


def slugify(text: str) -> str:
    """A stable, ASCII-friendly anchor or file slug."""
    text = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    return re.sub(r"[\s_-]+", "-", text).strip("-")
