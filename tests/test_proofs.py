"""Contact sheets and page differences, checked by their pixels."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner
from PIL import Image

from pressroom.cli import main
from pressroom.proofs import BACKGROUND, CHANGE, spreads

from .test_builds import EPOCH, copy_sample

pytestmark = pytest.mark.slow


def test_spreads_put_the_first_page_alone_on_the_right():
    assert spreads(1) == [[None, 0]]
    assert spreads(4) == [[None, 0], [1, 2], [3, None]]
    assert spreads(5) == [[None, 0], [1, 2], [3, 4]]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_sample(tmp_path_factory.mktemp("proofs"))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    cwd = os.getcwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


# The sheet's geometry, as contact_sheet() lays it out at 1600 px with a title.
SHEET_WIDTH, MARGIN, GAP, LABEL = 1600, 24, 28, 18
SPREAD_WIDTH = (SHEET_WIDTH - 2 * MARGIN - 2 * GAP) // 3
PAGE_WIDTH = SPREAD_WIDTH // 2
PAGE_HEIGHT = round(PAGE_WIDTH * 841.89 / 595.28)  # A4
TOP = MARGIN + LABEL + 12  # under the title


def page_slot(spread: int, side: int) -> tuple[int, int, int, int]:
    """The box of one page of the sheet (spread counted from 0, side 0 left, 1 right), inset by
    a few pixels so the thumbnail's outline and rounding stay out of it."""
    row, column = divmod(spread, 3)
    left = MARGIN + column * (SPREAD_WIDTH + GAP) + side * PAGE_WIDTH
    top = TOP + row * (PAGE_HEIGHT + LABEL + GAP)
    inset = 4
    return (left + inset, top + inset, left + PAGE_WIDTH - inset, top + PAGE_HEIGHT - inset)


def share(sheet: Image.Image, box, test) -> float:
    """The fraction of pixels in ``box`` for which ``test(r, g, b)`` holds."""
    area = sheet.crop(box)
    pixels = area.get_flattened_data() if hasattr(area, "get_flattened_data") else area.getdata()
    return sum(1 for p in pixels if test(*p)) / (area.width * area.height)


def is_background(r, g, b) -> bool:
    return (r, g, b) == BACKGROUND  # drawn by the sheet itself: no anti-aliasing to allow for


def is_paper(r, g, b) -> bool:
    return min(r, g, b) >= 235  # white, or text and rules anti-aliased into it


def is_dark(r, g, b) -> bool:
    return r + g + b < 240


def test_contact_sheet_of_an_edition(built):
    result = CliRunner().invoke(main, ["proof", "2021-winter", "--format", "screen", "-o", "s.png"])
    assert result.exit_code == 0, result.output
    sheet = Image.open(built / "s.png").convert("RGB")
    assert sheet.width == SHEET_WIDTH
    # Three spreads per row: [-, 1] [2, 3] [4, 5] / [6, 7] [8, 9] [10, -]: two rows (10
    # pages: the colophon takes page 6, which the first profile's recto start leaves over).
    assert sheet.height == TOP + 2 * (PAGE_HEIGHT + LABEL + GAP) - GAP + MARGIN
    assert share(sheet, page_slot(0, 0), is_background) == 1  # nothing faces the cover
    cover = page_slot(0, 1)
    sky = (cover[0], cover[1], cover[2], cover[1] + (cover[3] - cover[1]) // 5)
    assert share(sheet, sky, is_dark) > 0.6  # the cover's dark sky, over its title
    # Page 2 (the contents: mostly white, some text) sits left of page 3 (the opener, with art).
    contents, opener = page_slot(1, 0), page_slot(1, 1)
    assert 0.8 < share(sheet, contents, is_paper) < 1
    assert 0.3 < share(sheet, opener, is_paper) < 0.8
    assert share(sheet, contents, is_background) + share(sheet, opener, is_background) < 0.01
    assert share(sheet, page_slot(4, 1), is_paper) > 0.3  # page 9, the last opener
    assert share(sheet, page_slot(5, 0), is_paper) > 0.75  # page 10, the last profile's end
    assert share(sheet, page_slot(5, 1), is_background) == 1  # and nothing after it


def test_contact_sheet_of_a_pdf_file_needs_no_workspace(built, tmp_path):
    pdf = built / "build" / "2021-winter" / "screen" / "2021-winter.pdf"
    if not pdf.exists():
        CliRunner().invoke(main, ["build", "2021-winter", "--format", "screen"])
    shutil.copy(pdf, tmp_path / "e.pdf")
    result = CliRunner().invoke(
        main, ["proof", str(tmp_path / "e.pdf"), "-o", str(tmp_path / "p.png")]
    )
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "p.png").width == 1600


def test_diff_finds_the_one_page_a_late_correction_touched(built, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["build", "2021-winter", "--format", "screen"]).exit_code == 0
    edition = built / "build" / "2021-winter" / "screen" / "2021-winter.pdf"
    shutil.copy(edition, tmp_path / "old.pdf")
    source = built / "content" / "profiles" / "wierzbicki.md"
    text = source.read_text(encoding="utf-8")
    assert "grudge" in text
    source.write_text(text.replace("grudge", "temper"), encoding="utf-8")
    assert runner.invoke(main, ["build", "2021-winter", "--format", "screen"]).exit_code == 0
    shutil.copy(edition, tmp_path / "new.pdf")
    out = tmp_path / "diff"
    result = runner.invoke(
        main,
        ["proof", "--diff", str(tmp_path / "old.pdf"), str(tmp_path / "new.pdf"), "-o", str(out)],
    )
    assert result.exit_code == 1, result.output  # like diff: 1 when something changed
    pages_with_grudge = [8, 9]  # folios 9 and 10: page 6 of print is not on screen
    assert "1 of 10 pages changed: " in result.output
    (changed,) = [int(p.stem.split("-")[1]) for p in (out / "new").glob("page-*.png")]
    assert changed in pages_with_grudge
    image = Image.open(out / "new" / f"page-{changed:03d}.png").convert("RGB")
    data, red_pixel = image.tobytes(), bytes(CHANGE)
    red = sum(data[i : i + 3] == red_pixel for i in range(0, len(data), 3))
    assert red > 50
    same = runner.invoke(
        main,
        ["proof", "--diff", str(tmp_path / "new.pdf"), str(tmp_path / "new.pdf"), "-o", str(out)],
    )
    assert same.exit_code == 0 and "no page changed (10 pages)" in same.output


def test_diff_of_two_build_folders(built, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["build", "wierzbicki"]).exit_code == 0
    shutil.copytree(built / "build", tmp_path / "before", ignore=shutil.ignore_patterns(".*"))
    result = runner.invoke(
        main,
        [
            "proof",
            "--diff",
            str(tmp_path / "before"),
            str(built / "build"),
            "-o",
            str(tmp_path / "d"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wierzbicki.pdf: no page changed" in result.output


def test_diff_refuses_a_file_that_is_not_a_pdf(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"not a pdf")
    result = CliRunner().invoke(
        main, ["proof", "--diff", str(tmp_path / "a.pdf"), str(tmp_path / "a.pdf")]
    )
    assert result.exit_code == 2 and "not a readable PDF" in result.output
