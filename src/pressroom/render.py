"""HTML to PDF with WeasyPrint, through a fetcher confined to the workspace.

WeasyPrint is imported lazily: it costs about a second, and commands that
render nothing (``check``, ``--help``) should not pay for it.
"""

from __future__ import annotations

import datetime
import functools
import logging
import mimetypes
import os
import re
import threading
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .diagnostics import RenderError, display_path
from .resources import (
    IMAGE_SUFFIXES,
    ResourceRefused,
    Roots,
    image_data_problem,
    image_problem,
    resolve_local,
    sniff_image,
)
from .stamps import builtin_root

if TYPE_CHECKING:  # kept out of the import: an engine process loads this module alone
    from weasyprint.urls import URLFetcher

    from .config import Limits
    from .formats import OutputFormat


def _default_format() -> OutputFormat:
    from .formats import OutputFormat  # pydantic: not loaded where no one asks for it

    return OutputFormat()


@dataclass
class HtmlDocument:
    """What the renderer needs: HTML, its base URL, stylesheets, and how to write the PDF."""

    html: str
    base_url: str
    stylesheets: list[Path]
    extra_css: str = ""  # after the layout's stylesheets: variables, the format's rules
    metadata: dict[str, Any] = field(default_factory=dict)
    output_format: OutputFormat = field(default_factory=_default_format)
    attachments: list[Path] = field(default_factory=list)
    extra_roots: list[Path] = field(default_factory=list)  # declared files outside the workspace
    root: Path | None = None  # the workspace, for naming files in messages
    icc_profile: Path | None = None  # a CMYK format's output intent: print colour converts to it
    # Before the stylesheets: the page variables (size, margins), so a layout's @page wins.
    page_css: str = ""


def confined_fetcher(roots: Sequence[Path], limits: Limits | None = None) -> URLFetcher:
    """A WeasyPrint URL fetcher that reads files inside ``roots`` and nothing else.

    Every resource a document uses (stylesheets, fonts, images, attachments named by
    ``rel=attachment`` links, ICC profiles) comes through here: no network, no file
    outside the roots, nothing over the size limits, no image that fails its checks.
    """
    if limits is None:
        from .config import Limits

        limits = Limits()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):
        def __init__(self) -> None:
            # fail_on_errors: a refused resource stops the render instead of
            # silently leaving a hole in the page.
            super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
            self.refusals: list[str] = []

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            try:
                if url.startswith("data:"):
                    if len(url) > limits.data_url_bytes:
                        raise ResourceRefused(
                            f"a data: URL of {len(url):,} bytes is over the limit of "
                            f"{limits.data_url_bytes:,} (limits.data_url_bytes)"
                        )
                    response = super().fetch(url, headers)
                    data = response.read()
                    self._check_picture(data, "a data: URL image")
                    return URLFetcherResponse(url, data, dict(response.headers.items()))
                path = resolve_local(url, Path("/"), roots, limits.resource_bytes)
                data = path.read_bytes()
                # Every picture is checked, however it arrives (an <img>, a CSS url(),
                # an SVG's <image>) and whatever its name says: by its content.
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    problem = image_problem(path, limits.image_pixels)
                    if problem:
                        raise ResourceRefused(problem)
                elif path.suffix.lower() not in _NOT_PICTURES:
                    self._check_picture(data, path.name)
            except ResourceRefused as refused:
                self.refusals.append(str(refused))
                raise
            mime, _ = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                path.as_uri(), data, {"Content-Type": mime or "application/octet-stream"}
            )

        def _check_picture(self, data: bytes, name: str) -> None:
            if sniff_image(data) is not None:
                problem = image_data_problem(data, name, limits.image_pixels)
                if problem:
                    raise ResourceRefused(problem)

    return ConfinedFetcher()


class _Refused(Exception):
    """A resource the fetcher refused, though WeasyPrint went on without it."""


# Files the renderer reads that are never pictures: no need to sniff them.
_NOT_PICTURES = (".css", ".woff", ".woff2", ".ttf", ".otf", ".icc", ".icm", ".md")


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    layout_problems: list[tuple[int, str]] = field(default_factory=list)  # (page, message)
    layout_warnings: list[tuple[int, str]] = field(default_factory=list)  # (page, message)
    anchors: dict[str, int] = field(default_factory=dict)  # a picture's id -> its page
    copyfit: dict = field(default_factory=dict)  # how the pages filled: see copyfit()
    offprints: dict[str, RenderResult] = field(default_factory=dict)  # an edition's profiles
    blank: bytes = b""  # with render_document(blank_page=True): a blank page in the same style


# Notes about the machine, not the document: the PDF is still right.
_ENVIRONMENT_NOTES = ("Using fontTools instead of HarfBuzz-Subset",)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(_ENVIRONMENT_NOTES):
            logging.getLogger("pressroom").debug(message)
        else:
            self.messages.append(message)


@contextmanager
def _weasyprint_warnings():
    """Collect WeasyPrint's warnings (bad CSS, missing glyphs...) for the caller to report."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def render_document(
    document: HtmlDocument,
    roots: Sequence[Path],
    limits: Limits | None = None,
    blank_page: bool = False,
) -> RenderResult:
    """Lay out ``document`` and write it as PDF bytes in its format; raise :class:`RenderError`.

    With ``blank_page``, ``result.blank`` is also a page left blank by the same
    stylesheets (``@page :blank``), to pad an edition so each profile opens on a recto.
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    area = getattr(roots, "area", "the workspace")  # how refusals name where files may be
    fetcher = confined_fetcher(Roots([*roots, *document.extra_roots], area), limits)
    fonts = _shared_fonts() if _reusing() else font_configuration()
    kept = _warm.stylesheets if _reusing() else {}
    colors: dict = {}  # filled by @color-profile rules (the CMYK output intent)
    shared = {"url_fetcher": fetcher, "font_config": fonts, "color_profiles": colors}
    with _weasyprint_warnings() as warnings:
        try:
            stylesheets = []
            if document.page_css:  # first: a layout's own @page size or margin wins
                stylesheets.append(weasyprint.CSS(string=document.page_css, **shared))
            for path in document.stylesheets:
                key = _stylesheet_key(path, [*roots, *document.extra_roots], limits)
                if key in kept:
                    sheet, sheet_colors, sheet_warnings = kept[key]
                    colors.update(sheet_colors)
                    warnings += sheet_warnings
                    stylesheets.append(sheet)
                    continue
                seen = len(warnings)
                stylesheets.append(weasyprint.CSS(filename=str(path), **shared))
                # Parse warnings name a line and column; say which file they are in.
                warnings[seen:] = [_locate(w, path, document.root) for w in warnings[seen:]]
                if key is not None:
                    kept[key] = (stylesheets[-1], dict(colors), warnings[seen:])
            if document.extra_css:
                stylesheets.append(weasyprint.CSS(string=document.extra_css, **shared))
            options = {
                "font_config": fonts,
                "color_profiles": colors,
                "stylesheets": stylesheets,
                **_image_options(document.output_format),
            }
            html = weasyprint.HTML(
                string=document.html, base_url=document.base_url, url_fetcher=fetcher
            )
            rendered = html.render(**options)
            _apply_metadata(rendered.metadata, document.metadata, document.attachments)
            pdf = _write(rendered, document)
            if fetcher.refusals:  # refused where WeasyPrint only warns (an SVG's <image>...)
                raise _Refused(fetcher.refusals[0])
            blank = b""
            if blank_page:
                blank = _blank_page(document, fetcher, options)
        except _Refused as refused:
            raise RenderError(f"resource refused: {refused}") from None
        except FatalURLFetchingError as error:
            reason = fetcher.refusals[-1] if fetcher.refusals else str(error.__cause__ or error)
            raise RenderError(f"resource refused: {reason}") from None
        except FileNotFoundError as error:
            raise RenderError(f"stylesheet not found: {error.filename}") from None
        except RecursionError:
            raise RenderError("the document is nested too deeply to lay out") from None
        except Exception as error:  # an engine failure must not take a whole batch down
            if _is_footnote_bug(error):
                raise RenderError(
                    "WeasyPrint 70 cannot move a footnote to the next page here (a footnote "
                    "near a picture or box that moves to the next column or page); move the "
                    "footnote's call to another paragraph, or the picture"
                ) from error
            raise RenderError(
                f"WeasyPrint failed while laying out the document: {type(error).__name__}: {error}"
            ) from error
    result = RenderResult(pdf, len(rendered.pages), list(warnings))
    result.layout_problems = _layout_problems(rendered)
    result.anchors = picture_pages(rendered)
    result.layout_warnings = crop_problems(rendered)
    result.copyfit = copyfit(rendered)
    result.blank = blank
    return result


def _is_footnote_bug(error: Exception) -> bool:
    """The IndexError WeasyPrint 70 raises in ``layout/column.py``'s ``_report_footnotes``
    when a footnote must move to the next page from inside columns (a retry without the
    footnote area's rule sets the page, but badly: the note twice, a page left empty)."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    return isinstance(error, IndexError) and any(f.name == "_report_footnotes" for f in frames)


# Build workers render document after document with the same layout: they keep
# each parsed stylesheet (and the fonts its @font-face rules loaded) instead of
# parsing it again, about a tenth of a profile's render, for as long as one build
# lasts (see keep_warm). Off by default: a process that lives on while files change
# (an editor's session) re-reads every time. Per thread: a Dask worker may run
# several tasks at once, and a font configuration is not shared between threads.
_warm = threading.local()


def keep_warm(build: str | None) -> None:
    """Keep parsed stylesheets and loaded fonts from one render to the next in this
    thread, for the build named ``build`` (None: stop keeping them). A task of another
    build starts afresh: a worker that outlives a build (a Dask worker, the preview's
    pool) must not keep a font or stylesheet that was edited in between."""
    if getattr(_warm, "build", None) != build:
        _warm.build, _warm.stylesheets, _warm.fonts = build, {}, None


def _reusing() -> bool:
    return getattr(_warm, "build", None) is not None


def font_configuration():
    """WeasyPrint's fonts, from the layout and pressroom only, never from the system.

    A font installed on the machine with a family name a layout uses (Debian's
    fonts-ebgaramond, say) would otherwise take part in font matching and move lines.
    fontconfig reads the file named by ``FONTCONFIG_FILE`` each time a configuration
    is made, so pointing it at pressroom's own (the bundled fonts folder, nothing else)
    right before WeasyPrint makes one is enough; @font-face rules add the layout's fonts.
    The variable stays set for this process: every render in it is isolated alike.
    """
    from weasyprint.text.fonts import FontConfiguration

    os.environ["FONTCONFIG_FILE"] = str(builtin_root() / "assets" / "fonts" / "fonts.conf")
    return FontConfiguration()


def _shared_fonts():
    if _warm.fonts is None:
        _warm.fonts = font_configuration()
    return _warm.fonts


def _stylesheet_key(path: Path, roots: Sequence[Path], limits: Limits | None) -> tuple | None:
    if not _reusing():
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    return (str(path), info.st_mtime_ns, info.st_size, tuple(map(str, roots)), repr(limits))


def _blank_page(document: HtmlDocument, fetcher, options: dict) -> bytes:
    """A page the layout leaves blank: the one WeasyPrint inserts before a recto break."""
    import weasyprint

    start = document.html.find("<body")
    head = document.html[:start] if start > 0 else "<html>"
    html = head + '<body><div></div><div style="break-before: recto"></div></body></html>'
    rendered = weasyprint.HTML(string=html, base_url=document.base_url, url_fetcher=fetcher).render(
        **options
    )
    page = rendered.copy(rendered.pages[1:2])
    page.metadata = rendered.metadata
    _apply_metadata(page.metadata, document.metadata)
    return _write(page, document)


def _layout_problems(rendered) -> list[tuple[int, str]]:
    """Layout promises a template makes that the pages break.

    ``data-one-page="fact box"`` on an element: it must not run over several pages.
    """
    pages_of: dict[int, tuple[str, list[int]]] = {}
    for number, page in enumerate(rendered.pages, start=1):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or not hasattr(element, "get"):
                continue
            label = element.get("data-one-page")
            if label:
                pages = pages_of.setdefault(id(element), (label, []))[1]
                if number not in pages:
                    pages.append(number)
    problems = [
        (
            pages[0],
            f"the {label} runs over {len(pages)} pages ({pages[0]}-{pages[-1]}); "
            "it is taller than the page",
        )
        for label, pages in pages_of.values()
        if len(pages) > 1
    ]
    return sorted(problems)


FOCUS_MARGIN = 0.08  # of the picture's width or height: a face is not a point


def crop_problems(rendered) -> list[tuple[int, str]]:
    """Pictures with a focal point (``data-focus``) whose crop, as laid out, cuts it.

    A crop cuts the focus when the point, or the picture within ``FOCUS_MARGIN`` of it,
    falls outside the frame: the frame is too narrow (or too short) for where the
    subject is, or a stylesheet moved the picture (``object-position``) off its focus.
    """
    from weasyprint.layout.replaced import replacedbox_layout

    found = []
    for number, page in enumerate(rendered.pages, start=1):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            focus = element.get("data-focus") if element is not None else None
            if not focus or not hasattr(box, "replacement") or not box.width or not box.height:
                continue
            try:
                fx, fy = (float(part.rstrip("%")) / 100 for part in focus.split())
                width, height, x, y = replacedbox_layout(box)
            except (ValueError, TypeError, ZeroDivisionError):
                continue
            left, top = box.content_box_x(), box.content_box_y()
            cut = []
            for axis, f, size, start, frame_start, frame in (
                ("across", fx, width, x, left, box.width),
                ("down", fy, height, y, top, box.height),
            ):
                low = start + (f - FOCUS_MARGIN) * size
                high = start + (f + FOCUS_MARGIN) * size
                if size > frame + 0.01 and (
                    low < frame_start - 0.01 or high > frame_start + frame + 0.01
                ):
                    cut.append(axis)
            if cut:
                src = element.get("src", "")
                found.append(
                    (
                        number,
                        f"the crop of '{src.rsplit('/', 1)[-1]}' cuts into its focal point "
                        f"({focus}; {' and '.join(cut)}): the frame shows too little of the "
                        "picture around it; move the focus or choose a wider placement",
                    )
                )
    return found


def copyfit(rendered) -> dict:
    """How a laid-out document filled its pages, for a production desk: the page count,
    how full its last page is (the lowest line or picture, as a share of the text frame),
    and where the fact box and the timeline landed (first page, pages spanned, and their
    width as placed: a sidebar, a column, or across the page)."""
    from weasyprint.formatting_structure import boxes

    pages = rendered.pages
    last = pages[-1]._page_box
    top, height = last.content_box_y(), last.height or 1
    bottom = top
    furniture = (boxes.MarginBox, boxes.FootnoteAreaBox)  # running heads, folios, notes
    for child in last.children:
        if isinstance(child, furniture):
            continue
        for box in child.descendants():
            if isinstance(box, boxes.LineBox | boxes.ReplacedBox):
                bottom = max(bottom, box.position_y + box.margin_height())
    found: dict[str, dict] = {}
    end_page = None
    for number, page in enumerate(pages, start=1):
        width = page._page_box.width or 1
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or not hasattr(element, "get"):
                continue
            classes = (element.get("class") or "").split()
            if "end-mark" in classes:
                end_page = number
            if element.tag != "aside":
                continue
            for name in ("factbox", "timeline"):
                if name not in classes:
                    continue
                entry = found.setdefault(name, {"page": number, "pages": 0, "_seen": set()})
                if number not in entry["_seen"]:
                    entry["_seen"].add(number)
                    entry["pages"] += 1
                if "placement" not in entry:
                    share = box.width / width
                    entry["placement"] = (
                        "sidebar"
                        if share < 0.4
                        else "column"
                        if share < 0.65
                        else "across the page"
                    )
    for entry in found.values():
        entry.pop("_seen")
    return {
        "pages": len(pages),
        "last_page_fill": round(100 * (bottom - top) / height),
        "frame_mm": round(height * 25.4 / 96),  # the text frame's height (CSS px to mm)
        # The page of the story's last word: before the last page, boxes stand alone there.
        **({"end_page": end_page} if end_page else {}),
        **found,
    }


def picture_pages(rendered) -> dict[str, int]:
    """The page (1-based, in this document) of each picture a layout gave an id to:
    the opener's art (``...-art``) and body figures (``...-figure-N``), for the colophon."""
    found: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, start=1):
        for anchor in page.anchors:
            if anchor.endswith("-art") or "-figure-" in anchor:
                found.setdefault(anchor, number)
    return found


def _locate(message: str, path: Path, root: Path | None) -> str:
    """``Ignored `x: y` at 12:5, unknown property.`` -> ``layouts/l/a.css:12:5: Ignored ...``."""
    match = re.search(r" at (\d+):(\d+)", message)
    where = display_path(path, root) + (f":{match[1]}:{match[2]}" if match else "")
    text = message[: match.start()] + message[match.end() :] if match else message
    return f"{where}: {text}"


def source_date() -> datetime.datetime | None:
    """The build time fixed by ``SOURCE_DATE_EPOCH`` (reproducible builds), if set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)


def _write(rendered, document: HtmlDocument) -> bytes:
    fmt = document.output_format
    options: dict = {"pdf_tags": fmt.tagged}
    if fmt.pdf_variant:
        options["pdf_variant"] = fmt.pdf_variant
    if fmt.color == "cmyk":
        options["output_intent"] = "device-cmyk"
    options.update(_image_options(fmt))
    finishers = []
    if not fmt.links:
        finishers.append(_drop_annotations)
    elif fmt.tagged:
        finishers.append(_describe_links)
    if fmt.color == "cmyk":
        finishers.append(_tag_rgb_shadings)
    if (fmt.pdf_variant or "").startswith("pdf/a"):
        finishers.append(_archive_rules)
    if document.metadata.get("images"):
        finishers.append(functools.partial(_credit_pictures, document.metadata["images"]))

    def finisher(document, pdf) -> None:
        for step in finishers:
            step(document, pdf)

    # PDF/X-4 metadata carries a random document id; derive it from the document
    # instead, so that the same inputs always give the same bytes.
    if fmt.tagged:
        from .tagging import install_language_tags

        install_language_tags()
    seed = f"pressroom:{rendered.metadata.title}:{fmt.name}:{len(rendered.pages)}"
    from weasyprint.pdf import metadata

    original = metadata.uuid4
    metadata.uuid4 = lambda: uuid.uuid5(uuid.NAMESPACE_URL, seed)
    try:
        pdf = rendered.write_pdf(finisher=finisher, **options)
    finally:
        metadata.uuid4 = original
    icc = document.icc_profile if fmt.color == "cmyk" else None
    if icc is not None or fmt.marks:
        from . import prepress

        pdf = prepress.finish(pdf, icc, list(fmt.marks))
    if fmt.tagged:
        from .tagging import mark_orphans_as_artifacts

        pdf = mark_orphans_as_artifacts(pdf)
    return pdf


def _credit_pictures(images: list[dict], rendered, pdf) -> None:
    """Every picture's creator, credit and licence in the XMP metadata (the packet
    WeasyPrint writes for a PDF standard; a format with none has no XMP)."""
    from .credits import xmp_credits

    for pdf_object in pdf.objects:
        extra = getattr(pdf_object, "extra", None)
        if extra is None or extra.get("Type") != "/Metadata":
            continue
        packet = b"".join(
            part if isinstance(part, bytes) else str(part).encode() for part in pdf_object.stream
        )
        archive = b"pdfaid:part" in packet
        packet = packet.replace(b"</rdf:RDF>", xmp_credits(images, archive) + b"</rdf:RDF>", 1)
        pdf_object.stream = [packet]


def _archive_rules(document, pdf) -> None:
    """Two PDF/A rules WeasyPrint 70 misses: no image may ask viewers to interpolate it
    (PDF/A 6.2.8-3), and each attachment is listed once in the catalog's /AF (WeasyPrint
    lists it from the name tree and again as an object)."""
    import pydyf

    filespecs = []
    for pdf_object in pdf.objects:
        extra = getattr(pdf_object, "extra", None)
        if extra is not None and extra.get("Subtype") == "/Image" and "Interpolate" in extra:
            extra["Interpolate"] = "false"
        if isinstance(pdf_object, dict) and pdf_object.get("Type") == "/Filespec":
            filespecs.append(pdf_object.reference)
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(filespecs)


def _describe_links(document, pdf) -> None:
    """A link's description (``/Contents``, what a screen reader announces) is its text.

    WeasyPrint writes the link's target there, which for a link between the pieces of
    an edition is an internal token (``pressroom-anchor:...``); the link's own words
    say where it goes."""
    import pydyf

    for page in document.pages:
        for *_, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            if annotation is None or box.element is None:
                continue
            words = " ".join("".join(box.element.itertext()).split())
            if words:
                annotation["Contents"] = pydyf.String(words)


def _image_options(fmt) -> dict:
    """Image resolution and compression: applied when images are laid out, so they
    must reach ``render()`` as well as ``write_pdf()``."""
    options: dict = {}
    if fmt.image_dpi:
        options["dpi"] = fmt.image_dpi
        options["optimize_images"] = True
    if fmt.jpeg_quality is not None:
        options["jpeg_quality"] = fmt.jpeg_quality
    return options


def _tag_rgb_shadings(document, pdf) -> None:
    """Give RGB gradients an sRGB colour space in CMYK documents.

    WeasyPrint 70 labels every shading with the output intent's colour space, so an
    RGB gradient (from an SVG illustration, say) is declared as CMYK with only three
    components, and viewers paint nothing. An ICC-based sRGB space is what the colours
    really are, and PDF/X-4 accepts it.
    """
    from importlib.resources import files

    import pydyf

    srgb = None
    for item in list(pdf.objects):
        if not isinstance(item, pydyf.Dictionary) or "ShadingType" not in item:
            continue
        if _components(item.get("Function")) != 3:
            continue
        if srgb is None:
            icc = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
            srgb = pydyf.Stream([icc], pydyf.Dictionary({"N": 3}))
            pdf.add_object(srgb)
        item["ColorSpace"] = pydyf.Array(("/ICCBased", srgb.reference))


def _components(function) -> int | None:
    """How many colour components a (possibly stitched) PDF function returns."""
    if not isinstance(function, dict):
        return None
    if "C0" in function:
        return len(function["C0"])
    for child in function.get("Functions") or []:
        found = _components(child)
        if found is not None:
            return found
    return None


def _drop_annotations(document, pdf) -> None:
    """Print PDFs carry no links: remove every page's annotations before writing."""
    import pydyf

    for item in pdf.objects:
        if isinstance(item, pydyf.Dictionary) and item.get("Type") == "/Page":
            item.pop("Annots", None)


def _apply_metadata(meta, data: dict, attachments: Sequence[Path] = ()) -> None:
    """Fill PDF metadata from the content, whatever the template's <head> says."""
    import weasyprint

    meta.title = data.get("title") or meta.title
    meta.authors = [data["author"]] if data.get("author") else meta.authors
    meta.description = data.get("subject") or meta.description
    meta.keywords = list(data.get("keywords") or meta.keywords or [])
    meta.lang = data.get("lang") or meta.lang
    meta.generator = f"pressroom {__version__} (WeasyPrint {weasyprint.__version__})"
    fixed = source_date()
    if fixed is not None:
        meta.created = meta.modified = fixed.isoformat(timespec="seconds")
    meta.attachments = [
        weasyprint.Attachment(
            filename=str(path),
            name=path.name,
            description=f"Markdown source of {path.name}",
            relationship="Source",
            created=fixed or _mtime(path),
            modified=fixed or _mtime(path),
        )
        for path in attachments
    ]


def _mtime(path: Path) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
