"""Font subsets shared by an edition's pieces.

WeasyPrint embeds in each PDF a subset of every font it uses, holding the glyphs that
document needs (each glyph keeps its number in the font). An edition assembled from
pieces would carry one subset of each face per piece: at 300 profiles, half of its
bytes are 300 copies of the same seven faces. Where a piece's subset was cut from a
font file pressroom can find (the fonts it ships, the workspace's own), the edition
carries one subset of that file holding every glyph any piece uses, and each piece's
fonts point to it. Glyph numbers are kept, so no page's content changes.

A subset is recognised by what subsetting keeps of its font: the PostScript name,
the revision, the creation and modification dates and the units per em.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

FONT_SUFFIXES = (".otf", ".ttf")
# What WeasyPrint's subsets leave out (HarfBuzz's list): layout tables and bitmaps a
# PDF viewer does not read.
_DROPPED = ["BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG "]


def font_identity(program: bytes) -> str | None:
    """The font a program is, or was cut from: the same for the file and any subset of
    it. None when it is not a single OpenType or TrueType font, or says too little."""
    tables = _tables(program)
    head, name = tables.get(b"head"), tables.get(b"name")
    if head is None or name is None or len(head) < 36 or b"fvar" in tables:
        # A variable font's subsets are instances, whose outlines are not the file's.
        return None
    postscript = _postscript_name(name)
    if not postscript:
        return None
    revision, upem, dates = head[4:8].hex(), struct.unpack(">H", head[18:20])[0], head[20:36]
    return f"{postscript}|{revision}|{upem}|{dates.hex()}"


def font_files(roots: Iterable[Path], skip: Sequence[Path] = ()) -> list[Path]:
    """The OpenType and TrueType files under ``roots``, but not under ``skip`` (a build
    folder) or in hidden folders; sorted, so that the first of two alike always wins."""
    found = []
    skipped = {path.resolve() for path in skip}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skipped
            )
            found += [here / f for f in sorted(files) if f.lower().endswith(FONT_SUFFIXES)]
    return found


def index_fonts(paths: Iterable[Path]) -> dict[str, Path]:
    """Font files by :func:`font_identity` (the first file of each identity)."""
    index: dict[str, Path] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                identity = font_identity(handle.read())
        except OSError:
            continue
        if identity is not None:
            index.setdefault(identity, path)
    return index


def subset_font(data: bytes, glyphs: Iterable[int]) -> bytes:
    """``data`` (a whole font) cut to ``glyphs``, each keeping its number, as WeasyPrint
    cuts its subsets: no hinting, no subroutines, no layout tables. With HarfBuzz's
    subsetter where the system has it (as WeasyPrint does: 20-50 times faster), else
    with fontTools."""
    wanted = sorted(set(glyphs) | {0})
    subsetter = _harfbuzz()
    if subsetter is not None:
        program = subsetter.subset(data, wanted)
        if program:
            return program
    return _fonttools_subset(data, wanted)


def _fonttools_subset(data: bytes, glyphs: list[int]) -> bytes:
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(
        retain_gids=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=True,
        ignore_missing_glyphs=True,
        layout_features=[],
    )
    options.drop_tables += _DROPPED
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=glyphs)
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # tables it drops
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)  # the same bytes every time
    subsetter.subset(font)
    if "CFF " in font:
        top = font["CFF "].cff.topDictIndex[0]
        if not hasattr(top, "ROS"):
            # An empty encoding of its own, as HarfBuzz writes: with the standard one,
            # a PDF reader takes the codes under 256 for glyph names (65 is "A") that a
            # font naming its glyphs otherwise lacks, and veraPDF finds .notdef there.
            top.Encoding = [".notdef"] * 256
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _HarfBuzz:
    """HarfBuzz's subsetter, through cffi (which WeasyPrint brings)."""

    CDEF = """
        typedef ... hb_blob_t; typedef ... hb_face_t; typedef ... hb_set_t;
        typedef ... hb_subset_input_t;
        hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode,
                                  void *user_data, void *destroy);
        void hb_blob_destroy(hb_blob_t *blob);
        const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
        hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
        hb_blob_t *hb_face_reference_blob(hb_face_t *face);
        void hb_face_destroy(hb_face_t *face);
        void hb_set_add_range(hb_set_t *set, uint32_t first, uint32_t last);
        uint32_t hb_tag_from_string(const char *text, int length);
        hb_subset_input_t *hb_subset_input_create_or_fail(void);
        void hb_subset_input_destroy(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
        void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int flags);
        hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
    """
    DUPLICATE = 0  # hb_memory_mode_t: HarfBuzz keeps its own copy of the bytes
    DROP_TABLE_TAG = 3  # hb_subset_sets_t
    # hb_subset_flags_t: NO_HINTING | RETAIN_GIDS | DESUBROUTINIZE | PASSTHROUGH_UNRECOGNIZED
    # | NOTDEF_OUTLINE (a glyph a font lacks prints as its box, as in the piece)
    FLAGS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40
    RETAIN_GIDS = 0x02

    def __init__(self) -> None:
        from cffi import FFI

        self.ffi = FFI()
        self.ffi.cdef(self.CDEF)
        self.hb = self.ffi.dlopen("libharfbuzz.so.0")
        self.subsetter = self.ffi.dlopen("libharfbuzz-subset.so.0")

    def subset(self, data: bytes, glyphs: list[int]) -> bytes | None:
        """Two passes: the glyphs, each keeping its number (the others left empty); then
        glyphs past the last one dropped (numbers kept alone leave a TrueType font its
        full glyph count)."""
        hb, ffi = self.hb, self.ffi
        blob = hb.hb_blob_create(data, len(data), self.DUPLICATE, ffi.NULL, ffi.NULL)
        face = hb.hb_face_create(blob, 0)
        hb.hb_blob_destroy(blob)
        kept = self._pass(face, ranges(glyphs), self.FLAGS)
        hb.hb_face_destroy(face)
        if kept is None:
            return None
        short = self._pass(kept, [[0, max(glyphs)]], self.FLAGS & ~self.RETAIN_GIDS)
        hb.hb_face_destroy(kept)
        if short is None:
            return None
        out = hb.hb_face_reference_blob(short)
        length = ffi.new("unsigned int *")
        program = ffi.unpack(hb.hb_blob_get_data(out, length), length[0])
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(short)
        return program or None

    def _pass(self, face, runs: list[list[int]], flags: int):
        hb, sub, ffi = self.hb, self.subsetter, self.ffi
        options = sub.hb_subset_input_create_or_fail()
        if options == ffi.NULL:
            return None
        try:
            kept = sub.hb_subset_input_glyph_set(options)
            for first, last in runs:
                hb.hb_set_add_range(kept, first, last)
            dropped = sub.hb_subset_input_set(options, self.DROP_TABLE_TAG)
            for tag in _DROPPED:
                number = hb.hb_tag_from_string(tag.encode(), 4)
                hb.hb_set_add_range(dropped, number, number)
            sub.hb_subset_input_set_flags(options, flags)
            result = sub.hb_subset_or_fail(face, options)
            return None if result == ffi.NULL else result
        finally:
            sub.hb_subset_input_destroy(options)


@functools.cache
def _harfbuzz() -> _HarfBuzz | None:
    """HarfBuzz's subsetter, or None where the system lacks it (libharfbuzz-subset0)."""
    try:
        return _HarfBuzz()
    except (ImportError, OSError):
        return None


def shared_subset(path: Path, glyphs: set[int], folder: Path | None) -> tuple[bytes, str]:
    """The subset of the font file ``path`` holding ``glyphs``, and its name in
    ``folder``, where it is kept (made again only when the glyphs or the file change)."""
    data = path.read_bytes()
    key = hashlib.sha256(data)
    key.update(",".join(map(str, sorted(glyphs))).encode())
    key.update(b"harfbuzz" if _harfbuzz() else b"fonttools")  # their bytes differ
    name = key.hexdigest()[:40] + ".font"
    if folder is not None:
        try:
            return (folder / name).read_bytes(), name
        except OSError:
            pass
    program = subset_font(data, glyphs)
    if folder is not None:
        from .output import write_atomic

        with contextlib.suppress(OSError):  # made again next time
            write_atomic(folder / name, program)
    return program, name


def widths_glyphs(widths: Sequence) -> list[int]:
    """The glyph numbers a CID font's ``/W`` array gives widths for."""
    glyphs: list[int] = []
    index = 0
    while index < len(widths):
        first, following = int(widths[index]), widths[index + 1]
        try:
            last = int(following)  # "first last width"
        except TypeError:  # "first [width width...]"
            glyphs += range(first, first + len(following))
            index += 2
        else:
            glyphs += range(first, last + 1)
            index += 3
    return glyphs


def ranges(numbers: Iterable[int]) -> list[list[int]]:
    """Sorted numbers as [first, last] runs (compact in a segment's header)."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return runs


def expand(runs: Iterable[Sequence[int]]) -> set[int]:
    return {number for first, last in runs for number in range(first, last + 1)}


def _tables(data: bytes) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        return {}
    (count,) = struct.unpack(">H", data[4:6])
    tables = {}
    for index in range(count):
        record = data[12 + 16 * index : 28 + 16 * index]
        if len(record) < 16:
            return {}
        tag, _, offset, length = struct.unpack(">4sIII", record)
        tables[tag] = data[offset : offset + length]
    return tables


def _postscript_name(table: bytes) -> str | None:
    if len(table) < 6:
        return None
    _, count, strings = struct.unpack(">HHH", table[:6])
    for index in range(count):
        record = table[6 + 12 * index : 18 + 12 * index]
        if len(record) < 12:
            return None
        platform, _, _, name_id, length, offset = struct.unpack(">HHHHHH", record)
        if name_id != 6:
            continue
        raw = table[strings + offset : strings + offset + length]
        if platform in (0, 3):
            return raw.decode("utf-16-be", "replace")
        if platform == 1:
            return raw.decode("latin-1")
    return None
