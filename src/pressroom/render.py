"""HTML to PDF with WeasyPrint, through a fetcher confined to the workspace.

WeasyPrint is imported lazily: it costs about a second, and commands that
render nothing (``check``, ``--help``) should not pay for it.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .diagnostics import RenderError
from .layouts import HtmlDocument
from .resources import DATA_URL_LIMIT, ResourceRefused, resolve_local

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher


def confined_fetcher(roots: Sequence[Path]) -> URLFetcher:
    """A WeasyPrint URL fetcher that reads files inside ``roots`` and nothing else."""
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
                    if len(url) > DATA_URL_LIMIT:
                        raise ResourceRefused(f"data: URL larger than {DATA_URL_LIMIT} bytes")
                    return super().fetch(url, headers)
                path = resolve_local(url, Path("/"), roots)
            except ResourceRefused as refused:
                self.refusals.append(str(refused))
                raise
            mime, _ = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                path.as_uri(),
                path.read_bytes(),
                {"Content-Type": mime or "application/octet-stream"},
            )

    return ConfinedFetcher()


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)


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


def render_document(document: HtmlDocument, roots: Sequence[Path]) -> RenderResult:
    """Lay out ``document`` and return the PDF bytes; raise :class:`RenderError`."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    fetcher = confined_fetcher(roots)
    fonts = FontConfiguration()
    with _weasyprint_warnings() as warnings:
        try:
            stylesheets = [
                weasyprint.CSS(filename=str(path), url_fetcher=fetcher, font_config=fonts)
                for path in document.stylesheets
            ]
            if document.extra_css:
                stylesheets.append(
                    weasyprint.CSS(
                        string=document.extra_css, url_fetcher=fetcher, font_config=fonts
                    )
                )
            html = weasyprint.HTML(
                string=document.html, base_url=document.base_url, url_fetcher=fetcher
            )
            rendered = html.render(font_config=fonts, stylesheets=stylesheets)
            _apply_metadata(rendered, document)
            pdf = rendered.write_pdf()
        except FatalURLFetchingError as error:
            reason = fetcher.refusals[-1] if fetcher.refusals else str(error.__cause__ or error)
            raise RenderError(f"resource refused: {reason}") from None
        except FileNotFoundError as error:
            raise RenderError(f"stylesheet not found: {error.filename}") from None
        except RecursionError:
            raise RenderError("the document is nested too deeply to lay out") from None
        except Exception as error:  # an engine failure must not take a whole batch down
            raise RenderError(
                f"WeasyPrint failed while laying out the document: {type(error).__name__}: {error}"
            ) from error
    return RenderResult(pdf, len(rendered.pages), list(warnings))


def _apply_metadata(rendered, document: HtmlDocument) -> None:
    """Fill PDF metadata from the profile, whatever the template's <head> says."""
    import weasyprint

    meta = rendered.metadata
    data = document.metadata
    meta.title = data.get("title") or meta.title
    meta.authors = [data["author"]] if data.get("author") else meta.authors
    meta.description = data.get("subject") or meta.description
    meta.keywords = list(data.get("keywords") or meta.keywords or [])
    meta.lang = data.get("lang") or meta.lang
    meta.generator = f"pressroom {__version__} (WeasyPrint {weasyprint.__version__})"
