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


def test_contact_sheet_of_an_edition(built):
    result = CliRunner().invoke(main, ["proof", "2021-winter", "--format", "screen", "-o", "s.png"])
    assert result.exit_code == 0, result.output
    sheet = Image.open(built / "s.png").convert("RGB")
    assert sheet.width == 1600
    # Three spreads per row: [-, 1] [2, 3] [4, 5] / [6, 7] [8, 9] [10, -]: two rows.
    spread_width = (1600 - 2 * 24 - 2 * 28) // 3
    page_width = spread_width // 2
    row_y = 24 + 30 + 100  # inside the first row of pages, under the title
    left_of_cover = (24 + page_width // 2, row_y)
    cover = (24 + page_width + page_width // 2, row_y)
    assert sheet.getpixel(left_of_cover) == BACKGROUND  # nothing faces the cover
    assert sum(sheet.getpixel(cover)) < 200  # the cover's dark sky
    contents = (24 + spread_width + 28 + page_width // 2, row_y)
    assert sheet.getpixel(contents) == (255, 255, 255)  # page 2 sits left of page 3
    page_height = round(page_width * 841.89 / 595.28)
    second_row = row_y + page_height + 18 + 28
    last_right = (24 + 2 * (spread_width + 28) + page_width + page_width // 2, second_row)
    assert sheet.getpixel(last_right) == BACKGROUND  # page 10 has no facing page


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
    pages_with_grudge = [9, 10]
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
