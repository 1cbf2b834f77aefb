"""One PDF from the pieces of an edition (front, profiles, blank pages), written as a stream.

An edition is laid out piece by piece, so that a change to one profile re-renders
only that piece; and it is written from each piece's segment (:mod:`pressroom.segments`:
its objects already numbered for its place), so that a change to one piece rewrites
only that piece's segment and the rest is copied, a piece at a time, never the whole
edition in memory. Assembly keeps what a single WeasyPrint document would have had:
the front's catalogue (metadata, output intent, attachments, language), every page
with its boxes, the tagged structure (each piece's elements under one Document
element, the parent tree's keys numbered by the pieces' places), named destinations,
the outline, and links between pieces (``INTERNAL_LINK`` + anchor, turned into links
to the anchor).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pikepdf

from .anchors import INTERNAL_LINK
from .output import write_atomic
from .segments import (
    DOCUMENT,
    FIRST_BASE,
    PAGES,
    STRUCT_ROOT,
    Segment,
    dump_segment,
    load_segment,
    make_segment,
)
from .subsets import expand, index_fonts, shared_subset

Source = bytes | Path  # a PDF in memory, or in a file (a piece in the build's cache)
SEGMENTS = ".segment"
FIRST_SHARED = DOCUMENT + 1  # the shared font subsets' numbers, below the first piece's


def assemble(
    front: Source,
    pieces: Sequence[Source],
    blank: Source,
    pad: Sequence[bool],
    labels: Sequence[tuple[int, int]] = (),
    fillers: dict[int, Source] | None = None,
    output: Path | None = None,
    segments: Path | None = None,
    fonts: Sequence[Path] = (),
) -> bytes | None:
    """The edition: ``front``, then each piece, preceded by the blank page where ``pad``.

    ``labels``: (page index, folio) where the folios jump (a blank page left out), so
    that viewers number pages as they are printed. ``fillers``: by piece index, a piece of
    one page (the colophon) that takes that piece's blank page, with its structure.
    Returns the PDF's bytes, or writes it to ``output``. ``segments``: a folder where
    the pieces' segments are kept for the next assembly (the ones not used this time
    are removed from it). ``fonts``: font files the pieces' fonts may come from; the
    edition carries one subset of each, shared by every piece that uses it
    (:mod:`pressroom.subsets`), and the pieces' own subsets of it are left out."""
    fillers = fillers or {}
    sequence: list[tuple[Source, str]] = [(front, "front")]
    for index, (piece, padded) in enumerate(zip(pieces, pad, strict=True)):
        if index in fillers:  # a designed page where a blank one would be
            sequence.append((fillers[index], "piece"))
        elif padded:
            sequence.append((blank, "blank"))
        sequence.append((piece, "piece"))
    if segments is not None:
        segments.mkdir(parents=True, exist_ok=True)
    originals = index_fonts(fonts)
    if output is None:
        stream = io.BytesIO()
        _Edition(stream, segments, originals).write(sequence, labels)
        return stream.getvalue()
    with open(output, "wb") as stream:
        _Edition(stream, segments, originals).write(sequence, labels)
    return None


class _Edition:
    """Writes the segments one after the other, then what ties them together."""

    def __init__(self, out: BinaryIO, folder: Path | None, originals: dict[str, Path]) -> None:
        self.out = out
        self.originals = originals  # font files, by identity
        self.shared: dict[str, tuple[int, str]] = {}  # identity -> number, kind
        self.glyphs: dict[str, set[int]] = {}  # identity -> every glyph the pieces use
        self.tagged = True  # until the front says (the edition is tagged as its front is)
        self.folder = folder
        self.offsets: dict[int, int] = {}
        self.used: set[str] = set()
        self.digest = hashlib.sha256()

    def write(self, sequence: list[tuple[Source, str]], labels) -> None:
        base = FIRST_BASE
        pages: list[int] = []
        kids: list[str] = []
        parent_tree: list[list] = []
        dests: list[list[str]] = []
        outlines: list[list[dict]] = []
        links: list[list] = []
        front: dict = {}
        for source, role in sequence:
            segment, body = self._segment(source, base, role)
            if role == "front":  # first: its version heads the file
                self.tagged = segment.tagged
                self.out.write(b"%%PDF-%s\n%%\xbf\xf7\xa2\xfe\n" % segment.version.encode())
            start = self.out.tell()
            for number, offset in self._write_body(segment, body):
                self.offsets[number] = start + offset
            self.digest.update(segment.body_digest.encode())
            base += segment.size
            pages += segment.pages
            if role == "blank":
                continue
            kids += segment.struct_kids
            parent_tree += segment.parent_tree
            dests += segment.dests
            outlines.append(segment.outline)
            links += segment.links
            if role == "front":
                front = segment.front
        self._shared_fonts()
        self._prune()
        self.next = base  # numbers for the objects made here, past the last piece
        names = {name for name, _ in dests}
        for number, entries, anchor in links:
            target = anchor.encode("utf-8").hex()
            dest = f" /Dest <{target}>" if target in names else ""
            self._object(entries[:-2] + dest + ">>", number)
        self._object(
            f"<</Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in pages)}] /Count {len(pages)}>>",
            PAGES,
        )
        catalog = {"/Type": "/Catalog", "/Pages": f"{PAGES} 0 R"}
        catalog.update(
            {k.removeprefix("catalog "): v for k, v in front.items() if k.startswith("catalog ")}
        )
        if self.tagged:
            catalog["/StructTreeRoot"] = f"{STRUCT_ROOT} 0 R"
            self._structure(front, kids, parent_tree)
        names_entries = {
            k.removeprefix("names "): v for k, v in front.items() if k.startswith("names ")
        }
        if dests:
            dests.sort(key=lambda item: bytes.fromhex(item[0]))
            flat = " ".join(f"<{name}> {value}" for name, value in dests)
            names_entries["/Dests"] = f"<</Names [{flat}]>>"
        if names_entries:
            catalog["/Names"] = _dictionary(names_entries)
        outline = self._outline(outlines)
        if outline is not None:
            catalog["/Outlines"] = f"{outline} 0 R"
        if labels:
            nums = ["0 <</S /D /St 1>>"] + [
                f"{index} <</S /D /St {folio}>>" for index, folio in labels
            ]
            catalog["/PageLabels"] = f"<</Nums [{' '.join(nums)}]>>"
        root = self._object(_dictionary(catalog))
        self._trailer(root, front.get("info"))

    def _segment(self, source: Source, base: int, role: str) -> tuple[Segment, bytes]:
        data = source.read_bytes() if isinstance(source, Path) else source
        tagged = self.tagged and role != "blank"  # nothing on a blank page to tag
        key = hashlib.sha256(data).hexdigest()[:40]
        name = f"{key}-{base}-{role[0]}{int(tagged)}{SEGMENTS}"
        self.used.add(name)
        if self.folder is not None:
            stored = load_segment(self.folder / name)
            if stored is not None and stored[0].base == base:
                return stored
        segment, body = make_segment(data, base, tagged=tagged, front=role == "front")
        if self.folder is not None:
            with contextlib.suppress(OSError):  # a segment not kept is made again next time
                write_atomic(self.folder / name, dump_segment(segment, body))
        return segment, body

    def _write_body(self, segment: Segment, body: bytes) -> list[tuple[int, int]]:
        """Write a segment's body, its fonts pointing to the edition's shared subsets
        (the piece's own subsets of those left out); the offsets of what was written."""
        dropped: set[int] = set()
        patched = bytearray(body) if segment.fonts else body
        for font in segment.fonts:
            identity = font["identity"]
            old = b"%d 0 R" % font["number"]
            if identity not in self.originals or any(
                patched[offset : offset + len(old)] != old for offset in font["refs"]
            ):
                continue  # a font pressroom cannot find (or a header amiss): kept in the piece
            if identity not in self.shared:  # numbered in order of first use
                if FIRST_SHARED + len(self.shared) >= FIRST_BASE:
                    continue
                self.shared[identity] = (FIRST_SHARED + len(self.shared), font["kind"])
            self.glyphs.setdefault(identity, set()).update(expand(font["glyphs"]))
            new = (b"%d 0 R" % self.shared[identity][0]).ljust(len(old))  # offsets hold
            for offset in font["refs"]:
                patched[offset : offset + len(old)] = new
            dropped.add(font["number"])
        if not dropped:
            self.out.write(body)
            return list(zip(segment.numbers, segment.offsets, strict=True))
        written = []
        ends = [*segment.offsets[1:], len(body)]
        position = 0
        for number, offset, end in zip(segment.numbers, segment.offsets, ends, strict=True):
            if number in dropped:
                continue
            written.append((number, position))
            self.out.write(patched[offset:end])
            position += end - offset
        return written

    def _shared_fonts(self) -> None:
        """One subset of each font file the pieces use, with every glyph they use."""
        for identity, (number, kind) in sorted(self.shared.items(), key=lambda i: i[1][0]):
            program, name = shared_subset(
                self.originals[identity], self.glyphs[identity], self.folder
            )
            self.used.add(name)
            data = zlib.compress(program, 6)
            extra = f"/Length1 {len(program)}" if kind == "FontFile2" else "/Subtype /OpenType"
            head = f"<<{extra} /Filter /FlateDecode /Length {len(data)}>>\nstream\n"
            self._object_bytes(head.encode() + data + b"\nendstream", number)

    def _prune(self) -> None:
        if self.folder is None:
            return
        for path in [*self.folder.glob(f"*{SEGMENTS}"), *self.folder.glob("*.font")]:
            if path.name not in self.used:
                path.unlink(missing_ok=True)

    def _object(self, text: str, number: int | None = None) -> int:
        return self._object_bytes(text.encode("latin-1"), number)

    def _object_bytes(self, content: bytes, number: int | None = None) -> int:
        if number is None:
            number, self.next = self.next, self.next + 1
        self.offsets[number] = self.out.tell()
        data = b"%d 0 obj\n%s\nendobj\n" % (number, content)
        self.digest.update(data)
        self.out.write(data)
        return number

    def _structure(self, front: dict, kids: list[str], parent_tree: list[list]) -> None:
        parent_tree.sort(key=lambda item: item[0])
        nums = " ".join(f"{key} {value}" for key, value in parent_tree)
        tree_number = self._object(f"<</Nums [{nums}]>>")
        document = {
            k.removeprefix("document "): v for k, v in front.items() if k.startswith("document ")
        }
        document.setdefault("/Type", "/StructElem")
        document.setdefault("/S", "/Document")
        document["/P"] = f"{STRUCT_ROOT} 0 R"
        document["/K"] = f"[{' '.join(kids)}]"
        self._object(_dictionary(document), DOCUMENT)
        root = {k.removeprefix("tree "): v for k, v in front.items() if k.startswith("tree ")}
        root["/Type"] = "/StructTreeRoot"
        root["/K"] = f"[{DOCUMENT} 0 R]"
        root["/ParentTree"] = f"{tree_number} 0 R"
        root["/ParentTreeNextKey"] = str(max((key for key, _ in parent_tree), default=-1) + 1)
        self._object(_dictionary(root), STRUCT_ROOT)

    def _outline(self, outlines: list[list[dict]]) -> int | None:
        """Each piece's bookmarks, under the front's last top-level one (as one document
        would nest a profile's level-2 headline under the edition's level-1 title)."""
        top = [dict(item) for item in outlines[0]] if outlines else []
        rest = [item for piece in outlines[1:] for item in piece]
        if top:
            top[-1]["children"] = [*top[-1]["children"], *rest]
        else:
            top = rest
        if not top:
            return None
        root = self.next
        self.next += 1
        first, last, count = self._items(top, root)
        self._object(
            f"<</Type /Outlines /First {first} 0 R /Last {last} 0 R /Count {count}>>", root
        )
        return root

    def _items(self, items: list[dict], parent: int) -> tuple[int, int, int]:
        """Write sibling items; their first and last numbers, and how many show when open."""
        numbers = list(range(self.next, self.next + len(items)))
        self.next += len(items)
        visible = 0
        for position, (item, number) in enumerate(zip(items, numbers, strict=True)):
            entries = [item["entries"], f"/Parent {parent} 0 R"]
            if position:
                entries.append(f"/Prev {numbers[position - 1]} 0 R")
            if position + 1 < len(items):
                entries.append(f"/Next {numbers[position + 1]} 0 R")
            visible += 1
            if item["children"]:
                first, last, count = self._items(item["children"], number)
                entries.append(f"/First {first} 0 R /Last {last} 0 R")
                entries.append(f"/Count {-count if item['closed'] else count}")
                if not item["closed"]:
                    visible += count
            self._object("<<" + " ".join(entries) + ">>", number)
        return numbers[0], numbers[-1], visible

    def _trailer(self, root: int, info: str | None) -> None:
        numbers = sorted(self.offsets)
        start = self.out.tell()
        lines = [b"xref\n"]
        runs: list[list[int]] = []
        for number in [0, *numbers]:
            if runs and number == runs[-1][-1] + 1:
                runs[-1].append(number)
            else:
                runs.append([number])
        for run in runs:
            lines.append(b"%d %d\n" % (run[0], len(run)))
            for number in run:
                if number == 0:
                    lines.append(b"0000000000 65535 f \n")
                else:
                    lines.append(b"%010d 00000 n \n" % self.offsets[number])
        self.out.write(b"".join(lines))
        identifier = hashlib.md5(self.digest.digest(), usedforsecurity=False).hexdigest()
        trailer = {
            "/Size": str(numbers[-1] + 1),
            "/Root": f"{root} 0 R",
            "/ID": f"[<{identifier}> <{identifier}>]",
        }
        if info:
            trailer["/Info"] = info
        self.out.write(
            b"trailer\n%s\nstartxref\n%d\n%%%%EOF\n" % (_dictionary(trailer).encode(), start)
        )


def _dictionary(entries: dict[str, str]) -> str:
    return "<<" + " ".join(f"{key} {value}" for key, value in entries.items()) + ">>"


def offprint(piece: bytes) -> bytes:
    """A piece on its own: links to the rest of the edition have no target, so they go inert."""
    pdf = pikepdf.open(io.BytesIO(piece))
    if not _internal_links(pdf):
        return piece
    for annotation, _ in _internal_links(pdf):
        del annotation["/A"]
    return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    # deterministic_id: the same pieces always give the same bytes
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _internal_links(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Dictionary, str]]:
    found = []
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots") or []:
            action = annotation.get("/A")
            uri = action.get("/URI") if action is not None else None
            if uri is not None and str(uri).startswith(INTERNAL_LINK):
                found.append((annotation, str(uri).removeprefix(INTERNAL_LINK)))
    return found
