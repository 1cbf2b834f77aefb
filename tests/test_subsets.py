"""Font subsets an edition's pieces share: how a subset is traced to its font file, and
how the shared one is cut."""

from __future__ import annotations

import io
import os

import pytest
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._f_v_a_r import Axis

from pressroom.subsets import (
    _fonttools_subset,
    _harfbuzz,
    expand,
    font_files,
    font_identity,
    index_fonts,
    ranges,
    subset_font,
    widths_glyphs,
)

from .conftest import REPO

FONTS = REPO / "assets" / "fonts"
INTER = FONTS / "inter" / "Inter-Regular.otf"
AMIRI = FONTS / "amiri" / "Amiri-Regular.ttf"


@pytest.mark.parametrize("path", [INTER, AMIRI])
def test_a_subset_is_traced_to_the_file_it_was_cut_from(path):
    data = path.read_bytes()
    subset = subset_font(data, {36, 37, 38})
    assert font_identity(subset) == font_identity(data) is not None
    others = [p for p in font_files([FONTS]) if p != path]
    assert font_identity(data) not in {font_identity(p.read_bytes()) for p in others}
    assert index_fonts(font_files([FONTS]))[font_identity(subset)] == path


def test_a_variable_font_is_not_traced():
    """WeasyPrint embeds an instance of a variable font: not the file's outlines."""
    font = TTFont(INTER)
    fvar = newTable("fvar")
    axis = Axis()
    axis.axisTag, axis.minValue, axis.defaultValue, axis.maxValue = "wght", 100, 400, 900
    fvar.axes, fvar.instances = [axis], []
    font["fvar"] = fvar
    out = io.BytesIO()
    font.save(out)
    assert font_identity(out.getvalue()) is None
    assert font_identity(b"not a font") is None


@pytest.mark.parametrize("cut", [subset_font, _fonttools_subset])
def test_a_shared_subset_keeps_glyph_numbers_and_outlines(cut):
    """Cut by HarfBuzz (where the system has it, as WeasyPrint cuts) or by fontTools."""
    original = TTFont(INTER)
    order = original.getGlyphOrder()
    subset = TTFont(io.BytesIO(cut(INTER.read_bytes(), [0, 40, 300])))
    assert subset.getGlyphOrder() == order[:301]  # nothing past the last glyph used
    kept, dropped = subset["CFF "].cff.topDictIndex[0].CharStrings, [order[41]]
    before = original["CFF "].cff.topDictIndex[0].CharStrings
    for name in (order[40], order[300]):
        kept[name].decompile(), before[name].decompile()
        assert kept[name].program[-1] == "endchar" and len(kept[name].program) > 1
    for name in dropped:
        kept[name].decompile()
        assert kept[name].program == ["endchar"]
    # Its own (empty) encoding: with the standard one, PDF readers look codes under 256
    # up by glyph name, and veraPDF reports .notdef.
    assert subset["CFF "].cff.topDictIndex[0].Encoding == [".notdef"] * 256


def test_harfbuzz_cuts_where_the_system_has_it():
    """CI installs libharfbuzz-subset0: there, the shared subsets are cut as WeasyPrint
    cuts the pieces' (fontTools' are 20 times slower)."""
    if _harfbuzz() is None:
        if os.environ.get("PRESSROOM_REQUIRE_HARFBUZZ"):  # CI: a skip would hide it
            pytest.fail("libharfbuzz-subset0 is not installed")
        pytest.skip("libharfbuzz-subset0 is not installed")
    amiri = TTFont(io.BytesIO(subset_font(AMIRI.read_bytes(), [5, 300])))
    assert len(amiri.getGlyphOrder()) < 400 < len(TTFont(AMIRI).getGlyphOrder())
    assert amiri["glyf"][amiri.getGlyphOrder()[300]].numberOfContours != 0


def test_widths_arrays_and_glyph_runs():
    assert widths_glyphs([3, [500, 600], 10, 12, 250]) == [3, 4, 10, 11, 12]
    assert ranges([5, 1, 2, 3, 9, 2]) == [[1, 3], [5, 5], [9, 9]]
    assert expand([[1, 3], [9, 9]]) == {1, 2, 3, 9}


def test_hidden_folders_and_the_build_folder_are_not_searched(tmp_path):
    for folder in ("fonts", ".hidden", "build/cache"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "Face.otf").write_bytes(INTER.read_bytes())
    found = font_files([tmp_path], skip=[tmp_path / "build"])
    assert found == [tmp_path / "fonts" / "Face.otf"]
