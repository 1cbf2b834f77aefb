"""Languages: the Arabic profile renders right to left, mirrored, with Arabic digits."""

from __future__ import annotations

import io

import pdfplumber
import pypdf
import pypdfium2
import pytest

from pressroom import load_profile, render_pdf
from pressroom.content import PartialDate
from pressroom.layouts import format_any_date, quotes_for
from pressroom.markup import render_body

from .conftest import REPO, SAMPLE_PROFILE

pytestmark = pytest.mark.slow
ARABIC = REPO / "content" / "profiles" / "al-kadhimi.ar.md"
TINT = (243, 238, 230)  # the fact box background


@pytest.fixture(scope="module")
def arabic_pdf() -> bytes:
    return render_pdf(load_profile(ARABIC), format="screen")


@pytest.fixture(scope="module")
def english_pdf() -> bytes:
    return render_pdf(load_profile(SAMPLE_PROFILE), format="screen")


def test_arabic_text_language_and_font(arabic_pdf):
    reader = pypdf.PdfReader(io.BytesIO(arabic_pdf))
    assert reader.trailer["/Root"]["/Lang"] == "ar-IQ"
    assert reader.metadata.title == "وسيط بغداد"
    text = " ".join(page.extract_text() for page in reader.pages)  # logical order
    for words in ("وسيط بغداد", "في سطور", "محطات", "رئيس المخابرات", "تشرين الثاني"):
        assert words in text, words
    fonts = {
        font.get_object()["/BaseFont"].split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert "Amiri" in fonts


def test_arabic_indic_digits_everywhere(arabic_pdf):
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(arabic_pdf)).pages)
    assert "1967" not in text and "2016" not in text
    assert "١" in text and "٢" in text and "٧" in text


def tint_share(pdf: bytes, page: int, box: tuple[float, float, float, float]) -> float:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=0.5).to_pil().convert("RGB")
    w, h = image.size
    area = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    pixels = area.get_flattened_data() if hasattr(area, "get_flattened_data") else area.getdata()
    close = sum(1 for p in pixels if all(abs(a - b) < 6 for a, b in zip(p, TINT, strict=True)))
    return close / (area.width * area.height)


def test_fact_box_side_swaps_in_right_to_left(arabic_pdf, english_pdf):
    left, right = (0.05, 0.2, 0.3, 0.45), (0.7, 0.2, 0.95, 0.45)
    assert tint_share(english_pdf, 0, right) > 0.5 and tint_share(english_pdf, 0, left) < 0.05
    assert tint_share(arabic_pdf, 0, left) > 0.5 and tint_share(arabic_pdf, 0, right) < 0.05


def test_columns_and_folios_are_mirrored(arabic_pdf):
    with pdfplumber.open(io.BytesIO(arabic_pdf)) as pdf:
        first, second = pdf.pages[0], pdf.pages[1]
        # the story starts in the right-hand column: its opening word sits right of centre
        lead = next(w for w in first.extract_words() if "ليبق" in w["text"] or "قبيل" in w["text"])
        assert lead["x0"] > first.width / 2
        # the first page of a right-to-left document is a left-hand page: page 2 is a right
        # page, so its folio is at the bottom right, in Arabic-Indic digits
        margin = second.height - 22 * 72 / 25.4  # the bottom margin, where folios sit
        foot = [w for w in second.extract_words() if w["top"] > margin]
        assert [w["text"] for w in foot] == ["٢"]
        assert foot[0]["x0"] > second.width / 2


def test_language_helpers():
    assert format_any_date(PartialDate(2016, 6), "ar-IQ") == "حزيران 2016"
    assert (
        quotes_for("ar-IQ") == "”“’‘" and quotes_for("de") == "„“‚‘" and quotes_for("xx") == "“”‘’"
    )
    html = render_body("قبيل الفجر.\n", initial="word").html
    assert html.startswith('<p class="lede"><span class="lead-word">قبيل</span> الفجر.')
    assert render_body('"Zitat"\n', quotes=quotes_for("de"), drop_cap=False).html == (
        "<p>„Zitat“</p>\n"
    )
