"""The stress gallery (tests/gallery.py) rendered in both layouts and as an edition, and
checked page by page with pdfplumber."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from pressroom import build_workspace, load_profile
from pressroom.api import render
from pressroom.config import Workspace

from .gallery import SHAPES, make_gallery

pytestmark = pytest.mark.slow
MM = 72 / 25.4
FRAMES = {"magazine": (20, 22), "dossier": (22, 24)}  # top and bottom margins, mm


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    root = tmp_path_factory.mktemp("gallery")
    make_gallery(root)
    return root


def headline_page(pdf) -> int:
    for number, page in enumerate(pdf.pages):
        if any(c["size"] > 30 and c["text"].strip() for c in page.chars if c["size"] < 45):
            return number
    raise AssertionError("no headline")


@pytest.mark.parametrize("layout", ["magazine", "dossier"])
@pytest.mark.parametrize("shape", [s.name for s in SHAPES])
def test_every_shape_renders_within_its_pages(gallery, shape, layout):
    profile = load_profile(gallery / "content" / "profiles" / f"{shape}.md")
    result = render(profile, layout=layout)
    assert result.layout_problems == [], result.layout_problems
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        # the kicker and the headline open the first page together
        assert headline_page(pdf) == 0
        kicker = "GALLERY" if layout == "magazine" or not profile.lang.startswith("ar") else ""
        if not profile.lang.startswith("ar"):
            assert kicker in pdf.pages[0].extract_text()
        for number, page in enumerate(pdf.pages, start=1):
            # nothing is set past the page's edges (a 10 mm band for running heads aside)
            for char in page.chars:
                assert char["x0"] > -1 and char["x1"] < page.width + 1, (number, char["text"])
                assert char["top"] > 5 * MM and char["bottom"] < page.height - 5 * MM
            # no page is blank
            assert page.chars, f"page {number} of {shape} is blank"
        frame_top, frame_bottom = FRAMES[layout]
        for number, page in enumerate(pdf.pages[:-1], start=1):
            top, bottom = frame_top * MM, page.height - frame_bottom * MM
            text = [c for c in page.chars if c["text"].strip() and top - 2 < c["top"] < bottom]
            # every page but the story's last is at least 60% filled...
            lowest = max(c["bottom"] for c in text)
            assert (lowest - top) / (bottom - top) >= 0.6, f"page {number} of {shape} is short"
            # ...and, in columns, no column is left empty beside a filled one
            if layout == "magazine" and number > 1:
                middle = page.width / 2
                assert any(c["x1"] < middle for c in text), f"page {number}: left column empty"
                assert any(c["x0"] > middle for c in text), f"page {number}: right column empty"
        # the end mark sits after the last word, clear of other text
        marks = [c for p in pdf.pages for c in p.chars if c["text"] == "■"]
        assert len(marks) == 1
        mark = marks[0]
        page = next(p for p in pdf.pages if mark in p.chars)
        for char in page.chars:
            if char is not mark and char["text"].strip():
                overlap_x = min(char["x1"], mark["x1"]) - max(char["x0"], mark["x0"])
                overlap_y = min(char["bottom"], mark["bottom"]) - max(char["top"], mark["top"])
                assert overlap_x <= 0.5 or overlap_y <= 0.5, "the end mark overprints text"


def test_the_gallery_edition_has_no_blank_page_on_screen(gallery):
    (outcome,) = build_workspace(Workspace.load(gallery), ["gallery"], jobs=2)
    assert outcome.status == "built", outcome.messages
    with pdfplumber.open(gallery / "build" / "gallery" / "screen" / "gallery.pdf") as pdf:
        blank = [n for n, page in enumerate(pdf.pages, start=1) if not page.chars]
    assert blank == []
    fits = outcome.copyfit
    assert set(fits) == {s.name for s in SHAPES if not s.rtl}
    assert all(0 < fit["last_page_fill"] <= 100 for fit in fits.values())
