"""The template context: what a layout's templates see, as typed objects.

This is pressroom's public API for layout authors. Each object lists its attributes
here, with what they mean; the README's "template context" section is generated
from these classes (``python -m pressroom.context``) and a test keeps the two the
same. A template that asks an object for an attribute it does not have fails, naming
the object and the closest attribute ("profile has no attribute 'titel'; did you mean
'title'?"), instead of Jinja's "'dict object' has no attribute".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

from markupsafe import Markup

from .content import PartialDate
from .markup import Heading


def _doc(text: str, **kwargs: Any) -> Any:
    """A field with its line of documentation (shown in the README's reference)."""
    return dataclasses.field(metadata={"doc": text}, **kwargs)


class Record(dict):
    """Settings shown as attributes (``config``, ``format``, ``vars``): their keys are
    the user's (``pressroom.yaml``, the format, the layout's variables), not pressroom's."""

    def __init__(self, name: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.context_name = name


@dataclass(frozen=True)
class Illustration:
    context_name: ClassVar[str] = "profile.illustration"

    url: str = _doc("the picture's file, as a URL")
    alt: str = _doc("its alternative text")
    credit: str = _doc("its credit line, from the profile or the rights ledger")
    caption: str | None = _doc("its caption, if any")
    focus: str | None = _doc("the CSS `object-position` of its focal point, if set")
    fpo: bool = _doc("true for art that is for position only")
    creator: str | None = _doc("who made it (ledger)")
    licence: str | None = _doc("its licence (ledger)")


@dataclass(frozen=True)
class Fact:
    context_name: ClassVar[str] = "profile.facts[]"

    label: str = _doc("the fact's label")
    value: str = _doc("its value (inline Markdown; use the `inline` filter)")


@dataclass(frozen=True)
class Event:
    context_name: ClassVar[str] = "profile.timeline[]"

    date: PartialDate = _doc("a year, year-month or full date (`format_date` filter)")
    event: str = _doc("what happened (inline Markdown)")


@dataclass(frozen=True)
class BodyBlock:
    context_name: ClassVar[str] = "profile.blocks[]"

    html: Markup = _doc("the block's HTML (empty for a slot)")
    slot: str | None = _doc("`factbox`, `timeline`, `pullquote` or `figure` where a box goes")
    kind: str = _doc("`paragraph`, `heading`, `list`, `figure`... (what the block is)")


@dataclass(frozen=True)
class Entry:
    """another profile as a list shows it: the contents, "see also\""""

    context_name: ClassVar[str] = "edition.profiles[], profile.see_also[]"

    slug: str = _doc("the profile's slug")
    title: str = _doc("its headline")
    dek: str | None = _doc("its dek")
    kicker: str | None = _doc("its kicker")
    lang: str = _doc("its language")
    anchor: str = _doc("the id of its opener in the edition")
    href: str = _doc("a link to its opener (resolved when the edition is assembled)")
    page: int | None = _doc("the page it opens on, once known")
    page_text: str = _doc("that page number as printed (localised digits), or empty")


@dataclass(frozen=True)
class ProfileView:
    """one profile: `profile` in a profile's template, each of `edition.articles`"""

    context_name: ClassVar[str] = "profile"

    title: str = _doc("the headline")
    dek: str | None = _doc("the dek (standfirst)")
    kicker: str | None = _doc("the kicker above the headline")
    byline: str = _doc("the byline")
    date: dt.date | None = _doc("the publication date")
    lang: str = _doc("the language (BCP 47)")
    dir: str = _doc("`ltr` or `rtl`")
    tags: list[str] = _doc("the tags")
    slug: str = _doc("the slug (file name)")
    anchor: str = _doc("the id its opener carries")
    illustration: Illustration | None = _doc("the illustration, or none")
    facts: list[Fact] = _doc("the fact box's rows")
    timeline: list[Event] = _doc("the timeline's events")
    related: list[str] = _doc("slugs of related profiles")
    see_also: list[Entry] = _doc("related profiles in the same edition")
    fictional: bool = _doc("true for a fictional subject (a sample)")
    body: Markup = _doc("the whole story as HTML")
    blocks: list[BodyBlock] = _doc("the story block by block, with the boxes' slots")
    factbox_in_story: bool = _doc("the editor placed the fact box in the story")
    timeline_in_story: bool = _doc("the timeline is set in the story")
    factbox_long: bool = _doc("the fact box is taller than the art beside it")
    factbox_height: int = _doc("the fact box's estimated height as a sidebar, in mm")
    factbox_after: int = _doc("the block after which a flowing fact box goes")
    timeline_band: bool = _doc("the timeline is long enough for a band of its own")
    timeline_columns: int = _doc("the band's columns (2 or 3)")
    last_text_block: int = _doc("index of the last text block (it carries the end mark)")
    headings: list[Heading] = _doc("the story's subheads (level, text, anchor)")
    word_count: int = _doc("the story's words")
    vars: Record = _doc("the variables resolved for this profile")
    style: str = _doc("inline CSS for the variables the profile overrides")
    page: int | None = _doc("in an edition: the page it opens on", default=None)


@dataclass(frozen=True)
class Cover:
    context_name: ClassVar[str] = "edition.cover"

    url: str = _doc("the cover art, as a URL")
    alt: str = _doc("its alternative text")
    credit: str = _doc("its credit line")
    lines: list[str] = _doc("the cover lines")
    fpo: bool = _doc("true for art that is for position only")


@dataclass(frozen=True)
class Picture:
    """a picture of the edition, as the colophon credits it"""

    context_name: ClassVar[str] = "edition.pictures[]"

    title: str = _doc("the title of the profile (or edition) it belongs to")
    credit: str = _doc("its credit line")
    licence: str = _doc("its licence")
    creator: str = _doc("who made it")
    source: str = _doc("where it came from")
    status: str = _doc("its rights status (`final`, `fpo`...)")
    fpo: bool = _doc("true for art that is for position only")
    page: int | None = _doc("the page it is on")
    page_text: str = _doc("that page as printed")
    field: str = _doc("where it is used (`illustration`, `body`, `cover`)")
    file: str = _doc("its file, in the workspace")
    lang: str = _doc("the language of what it belongs to")


@dataclass(frozen=True)
class MastheadEntry:
    context_name: ClassVar[str] = "edition.masthead[]"

    role: str = _doc('a role ("Editor")')
    name: str = _doc("who holds it")


@dataclass(frozen=True)
class EditionView:
    """`edition` in `edition.html.j2`, which lays it out one piece at a time"""

    context_name: ClassVar[str] = "edition"

    title: str = _doc("the edition's title")
    issue: str = _doc('the issue as printed ("Issue 3")')
    date: dt.date | None = _doc("its date")
    lang: str = _doc("its language")
    dir: str = _doc("`ltr` or `rtl`")
    slug: str = _doc("its slug (file name)")
    cover: Cover | None = _doc("the cover, or none")
    part: str = _doc("the piece being laid out: `front`, `back` (colophon) or a profile's slug")
    teaser: bool = _doc("the piece is only the page facing that profile's opener")
    profiles: list[Entry] = _doc("every profile, in order (the contents)")
    articles: list[ProfileView] = _doc("the profile this piece holds (none for front, back)")
    pictures: list[Picture] = _doc("every picture, credited (on the colophon only)")
    masthead: list[MastheadEntry] = _doc("the masthead")


@dataclass(frozen=True)
class DocumentInfo:
    """what the PDF says about itself: its metadata"""

    context_name: ClassVar[str] = "document"

    title: str = _doc("the PDF's title")
    author: str | None = _doc("its author")
    description: str | None = _doc("its subject")
    keywords: list[str] = _doc("its keywords")
    lang: str = _doc("its language")
    dir: str = _doc("`ltr` or `rtl`")
    created: Any = _doc("its date")


@dataclass(frozen=True)
class PressroomInfo:
    context_name: ClassVar[str] = "pressroom"

    version: str = _doc("pressroom's version")


# The objects a template's top-level names hold (the rest are Records or text).
TOP_LEVEL = {
    "profile": ProfileView,
    "edition": EditionView,
    "document": DocumentInfo,
    "pressroom": PressroomInfo,
}
OBJECTS = (
    ProfileView,
    Illustration,
    Fact,
    Event,
    BodyBlock,
    Entry,
    EditionView,
    Cover,
    Picture,
    MastheadEntry,
    DocumentInfo,
    PressroomInfo,
)
# Variables a partial expects from the template that includes it, and attributes of
# the HTML that pressroom reads back: part of the API as much as the objects are.
PARTIAL_PARAMETERS = {
    "partials/pullquote.html.j2": "`quote`, the pull quote's HTML",
    "partials/factbox.html.j2": "`flowing`, true to set the box in the story's columns",
}
READ_BACK = {
    "data-one-page": "an element that must stay on one page, named by the value "
    '(`data-one-page="fact box"`); preflight reports it when it does not',
}


def attribute_names(obj: object) -> list[str]:
    """The attributes a context object offers (a Record's keys, a dataclass's fields)."""
    if isinstance(obj, Record):
        return sorted(obj)
    return [f.name for f in dataclasses.fields(obj)]


def describe_unknown(obj: object, attribute: object) -> str | None:
    """The message for a missing attribute of a context object (None for other objects)."""
    if isinstance(obj, Record):
        name = obj.context_name
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = getattr(obj, "context_name", type(obj).__name__)
    else:
        return None
    names = attribute_names(obj)
    close = difflib.get_close_matches(str(attribute), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (it has: {', '.join(names)})"
    return f"{name} has no attribute '{attribute}'{hint}"


def reference() -> str:
    """The README's reference of the template context, in Markdown."""
    lines = [
        "Top level: `profile` (a profile's template), `edition` (the edition's template), "
        "`document`, `pressroom`, `publication` (text), and three settings records: `vars` "
        "(the resolved layout variables), `format` (the output format's settings) and "
        "`config` (`pressroom.yaml`).",
        "",
    ]
    for cls in OBJECTS:
        about = f" ({_about(cls)})" if _about(cls) else ""
        attributes = "; ".join(f"`{f.name}`: {f.metadata['doc']}" for f in dataclasses.fields(cls))
        lines.append(f"- **`{cls.context_name}`**{about}: {attributes}.")
    partials = "; ".join(f"`{name}` expects {text}" for name, text in PARTIAL_PARAMETERS.items())
    read_back = "; ".join(f"`{name}`: {text}" for name, text in READ_BACK.items())
    lines += ["", f"Partials' parameters (set before `{{% include %}}`): {partials}.", ""]
    lines += [f"Read back from the HTML: {read_back}."]
    return "\n".join(lines)


def _about(cls: type) -> str:
    """A class's own docstring on one line; "" for the signature dataclass writes in its place."""
    doc = cls.__doc__ or ""
    return "" if doc.startswith(cls.__name__ + "(") else " ".join(doc.split())


if __name__ == "__main__":
    print(reference())
