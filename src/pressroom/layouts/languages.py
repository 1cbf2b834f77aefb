"""Languages: text direction, dates, quotation marks, digits and labels in the
language of a profile or an edition (Babel's CLDR data where it has it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton

from ..content import PartialDate
from ..diagnostics import LayoutError
from .lookup import Layout

_RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "sd", "ckb", "yi", "dv"}


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


# Quotation marks (primary open/close, secondary open/close) from the CLDR's
# delimiters, which Babel does not expose; languages not listed get English marks.
QUOTES = {
    "ar": "”“’‘", "de": "„“‚‘", "es": "«»“”", "fa": "«»‹›", "fr": "«»“”", "he": "”“’‘",
    "it": "«»“”", "nl": "‘’“”", "pl": "„”«»", "pt": "“”‘’", "ru": "«»„“", "ur": "”“’‘",
}  # fmt: skip


def quotes_for(lang: str) -> str:
    """Primary and secondary quotation marks for a language (BCP 47 tag)."""
    return QUOTES.get(lang.split("-")[0].lower(), "“”‘’")


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def localise_digits(html_text: str) -> str:
    """Arabic-Indic digits in the text of the ``<body>`` (not in tags or attributes)."""
    start = html_text.find("<body")
    if start < 0:
        return html_text
    head, body = html_text[:start], html_text[start:]

    def text(match: re.Match) -> str:  # character references (&#39;) keep their digits
        parts = re.split(r"(&#?\w+;)", match[1])
        parts[::2] = [part.translate(ARABIC_INDIC) for part in parts[::2]]
        return ">" + "".join(parts) + "<"

    body = re.sub(r">([^<]+)<", text, body)
    return head + body


def labeller(layout: Layout | None, lang: str) -> Callable[[str], str]:
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
