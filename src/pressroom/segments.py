"""A piece of an edition as a segment: its objects written once, numbered for its place.

Assembling an edition with a PDF library means reading every piece, copying every
object and writing them all again, each time one piece changes: work and memory that
grow with the edition. A segment is a piece's objects already written as the edition
holds them, each object number within a range fixed by the piece's place (a whole
number of slots of :data:`SLOT` numbers, the pieces before it taking theirs); what
ties pieces together (the page tree, the structure tree's root and its document
element) has fixed numbers every segment refers to. An edition is then the segments'
bytes one after another, and a few objects made from what each segment's header
lists (pages, structure, named destinations, bookmarks, links between pieces).

A segment depends only on the piece's bytes and its place, so an edition built
incrementally is the same, byte for byte, as one built from scratch.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf

from .anchors import INTERNAL_LINK
from .subsets import font_identity, ranges, widths_glyphs

SLOT = 4096  # object numbers a piece takes at least (and in multiples of)
PAGES, STRUCT_ROOT, DOCUMENT = 1, 2, 3  # the edition's objects that pieces refer to
FIRST_BASE = SLOT  # the first piece's first number (below it: the three above)
VERSION = "3"  # of the segment's form: a new one makes older segments unused
MAGIC = b"%pressroom-segment " + VERSION.encode() + b"\n"

# Within a piece's objects as first written, "@k" is a reference to its k-th object and
# "~k" its k-th parent tree key; names escape both characters, strings are hexadecimal,
# so nothing else in an object's dictionary can look like them.
_MARK = re.compile(rb"([@~])(\d+)")
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


@dataclass
class Segment:
    """A piece's objects, numbered from ``base``, and what the edition needs to know of it."""

    base: int
    size: int  # object numbers taken: a whole number of slots
    version: str  # the PDF version the piece declares
    tagged: bool  # whether its structure was kept (asked for, and the piece has one)
    numbers: list[int] = field(default_factory=list)  # of the objects in the body, in order
    offsets: list[int] = field(default_factory=list)  # of each object in the body
    pages: list[int] = field(default_factory=list)
    struct_kids: list[str] = field(default_factory=list)  # the document element's kids
    parent_tree: list[list] = field(default_factory=list)  # [key, value] in the edition
    dests: list[list[str]] = field(default_factory=list)  # [name as hex, destination]
    outline: list[dict] = field(default_factory=list)  # {"entries", "closed", "children"}
    links: list[list] = field(default_factory=list)  # [number, entries, anchor]
    front: dict = field(default_factory=dict)  # the catalogue's own entries, with the front
    # Font programs the edition may share (pressroom.subsets): {"identity", "number" (the
    # program's object), "kind" (FontFile2, FontFile3), "glyphs" (runs), "refs" (where
    # the body refers to the program: offsets of "number 0 R")}.
    fonts: list[dict] = field(default_factory=list)
    body_digest: str = ""

    def header(self) -> bytes:
        return json.dumps(self.__dict__, separators=(",", ":")).encode() + b"\n"


def make_segment(
    source: bytes | Path, base: int, *, tagged: bool, front: bool = False
) -> tuple[Segment, bytes]:
    """``source`` (a piece's PDF) as a segment from ``base``, and its body."""
    with pikepdf.open(source if isinstance(source, Path) else io.BytesIO(source)) as pdf:
        return _Writer(pdf, tagged, front).segment(base)


def load_segment(path: Path) -> tuple[Segment, bytes] | None:
    """A stored segment and its body, or None if it is not one, or not as written."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    digest_end = data.find(b"\n", len(MAGIC))
    rest = data[digest_end + 1 :]
    if hashlib.sha256(rest).hexdigest().encode() != data[len(MAGIC) : digest_end]:
        return None
    end = rest.find(b"\n")
    try:
        segment = Segment(**json.loads(rest[:end]))
    except (ValueError, TypeError):
        return None
    return segment, rest[end + 1 :]


def dump_segment(segment: Segment, body: bytes) -> bytes:
    """A segment as a file: checked as a whole when it is read back."""
    rest = segment.header() + body
    return MAGIC + hashlib.sha256(rest).hexdigest().encode() + b"\n" + rest


class _Writer:
    """Walks a piece once: which objects it keeps, in which order, written how."""

    def __init__(self, pdf: pikepdf.Pdf, tagged: bool, front: bool) -> None:
        self.pdf = pdf
        self.tagged = tagged and "/StructTreeRoot" in pdf.Root
        self.front = front
        self.local: dict[tuple[int, int], int] = {}  # objgen -> index in the segment
        self.order: list[pikepdf.Object] = []
        self.fixed: dict[tuple[int, int], int] = {}  # objgen -> the edition's own number
        self.left_out: set[tuple[int, int]] = set()  # written by the edition, or not at all
        self.links: dict[tuple[int, int], str] = {}  # annotation objgen -> anchor

    def segment(self, base: int) -> tuple[Segment, bytes]:
        pdf, root = self.pdf, self.pdf.Root
        self._leave_out_structure(root)
        tree = root.get("/StructTreeRoot") if self.tagged else None
        document = _document_element(tree) if tree is not None else None
        pages = [page.obj for page in pdf.pages]
        for page in pages:
            for annotation in page.get("/Annots") or []:
                anchor = _internal_anchor(annotation)
                if anchor is not None and annotation.is_indirect:
                    self.links[annotation.objgen] = anchor
        page_syntax = [self._page(page) for page in pages]
        kids = []
        if document is not None:
            found = document.get("/K")
            kids = (
                list(found)
                if isinstance(found, pikepdf.Array)
                else []
                if found is None
                else [found]
            )
        kid_syntax = [self._syntax(kid) for kid in kids]
        parent_tree = []
        if tree is not None and "/ParentTree" in tree:
            nums = _number_tree(tree.ParentTree)
            parent_tree = [[f"~{int(key)}", self._syntax(value)] for key, value in nums]
        dests = [[bytes(name).hex(), self._syntax(value)] for name, value in _named(root)]
        outline = self._outline(root.get("/Outlines"))
        links = []
        for objgen, anchor in self.links.items():
            annotation = pdf.get_object(objgen)
            entries = {k: v for k, v in annotation.items() if k != "/A"}
            links.append([self._ref(annotation), self._entries(entries), anchor])
        front = self._front(root, tree, document) if self.front else {}
        # Everything reached so far is numbered; write the objects, finding more as it goes.
        texts: list[bytes] = []
        streams: list[bytes | None] = []
        index = 0
        while index < len(self.order):
            obj = self.order[index]
            if index < len(pages) and obj.objgen == pages[index].objgen:
                texts.append(page_syntax[index].encode())
            else:
                texts.append(self._syntax(obj, top=True).encode())
            streams.append(obj.read_raw_bytes() if isinstance(obj, pikepdf.Stream) else None)
            index += 1
        keys = [int(key) for key, _ in _number_tree(tree.ParentTree)] if parent_tree else []
        needed = max(len(self.order), max(keys, default=-1) + 1, 1)
        size = -(-needed // SLOT) * SLOT

        def relocate(text: str) -> str:
            return _relocate(text.encode(), base).decode()

        skipped = {self.local[objgen] for objgen in self.links}  # the edition writes these
        segment = Segment(base, size, pdf.pdf_version, self.tagged)
        programs = self._font_programs(texts)
        watch: dict[int, list[int]] = {}
        for program, found in programs.items():
            for descriptor in found["descriptors"]:
                watch.setdefault(descriptor, []).append(base + program)
        data, refs = _body(segment, texts, streams, skipped, watch)
        segment.fonts = [
            {
                "identity": found["identity"],
                "number": base + program,
                "kind": found["kind"],
                "glyphs": ranges(found["glyphs"]),
                "refs": refs[base + program],
            }
            for program, found in sorted(programs.items())
        ]
        segment.pages = [base + self.local[page.objgen] for page in pages]
        segment.struct_kids = [relocate(k) for k in kid_syntax]
        segment.parent_tree = [[int(relocate(k)), relocate(v)] for k, v in parent_tree]
        segment.dests = [[name, relocate(value)] for name, value in dests]
        segment.outline = _map_outline(outline, relocate)
        segment.links = [[int(relocate(n).split()[0]), relocate(e), a] for n, e, a in links]
        segment.front = {key: relocate(value) for key, value in front.items()}
        segment.body_digest = hashlib.sha256(data).hexdigest()
        return segment, data

    def _font_programs(self, texts: list[bytes]) -> dict[int, dict]:
        """The font programs an edition may share, by index: each used only through CID
        fonts whose glyph numbers are the font's (Identity), with no CIDSet (PDF/A-1 lists
        a subset's glyphs there, which a shared subset would contradict), and cut from a
        font :func:`~pressroom.subsets.font_identity` can name."""
        objects = [
            (index, obj)
            for index, obj in enumerate(self.order)
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream))
        ]
        found, refused, by_descriptor = self._font_descriptors(objects)
        for _, obj in objects:
            if obj.get("/Type") == "/Font":
                self._font_user(obj, found, refused, by_descriptor)
        shared = {}
        for number, entry in found.items():
            descriptors = {self.order[i].objgen for i in entry["descriptors"]}
            if number in refused or entry["used"] != descriptors:
                continue
            # Only its descriptors may point to it: the edition drops it for the shared one.
            mark = re.compile(rb"@%d(?!\d)" % number)
            if sum(len(mark.findall(text)) for text in texts) != len(entry["descriptors"]):
                continue
            identity = font_identity(self.order[number].read_bytes())
            if identity is not None:
                shared[number] = {**entry, "identity": identity}
        return shared

    def _font_descriptors(self, objects: list) -> tuple[dict, set, dict]:
        """Font programs by index (which descriptors point to them), the ones that cannot
        be shared, and each descriptor's program."""
        found: dict[int, dict] = {}
        refused: set[int] = set()
        by_descriptor: dict[tuple[int, int], int] = {}
        for index, obj in objects:
            if obj.get("/Type") != "/FontDescriptor":
                continue
            for kind in ("/FontFile2", "/FontFile3"):
                program = obj.get(kind)
                number = self.local.get(program.objgen) if program is not None else None
                if number is None:
                    continue
                entry = found.setdefault(
                    number, {"kind": kind[1:], "descriptors": [], "glyphs": set(), "used": set()}
                )
                entry["descriptors"].append(index)
                by_descriptor[obj.objgen] = number
                opentype = kind == "/FontFile2" or program.get("/Subtype") == "/OpenType"
                if "/CIDSet" in obj or not opentype:
                    refused.add(number)
        return found, refused, by_descriptor

    @staticmethod
    def _font_user(font, found: dict, refused: set, by_descriptor: dict) -> None:
        """Note the glyphs a font uses of its program, or refuse the program."""
        subtype = font.get("/Subtype")
        if subtype == "/Type0":
            if font.get("/Encoding") != "/Identity-H":  # codes that are not glyph numbers
                for descendant in font.get("/DescendantFonts") or []:
                    descriptor = descendant.get("/FontDescriptor")
                    if descriptor is not None:
                        refused.add(by_descriptor.get(descriptor.objgen, -1))
            return
        descriptor = font.get("/FontDescriptor")
        number = by_descriptor.get(descriptor.objgen) if descriptor is not None else None
        if number is None:
            return
        mapping = font.get("/CIDToGIDMap")
        if subtype not in ("/CIDFontType0", "/CIDFontType2") or mapping not in (None, "/Identity"):
            refused.add(number)
            return
        found[number]["glyphs"].update(widths_glyphs(font.get("/W") or []))
        found[number]["used"].add(descriptor.objgen)

    def _leave_out_structure(self, root) -> None:
        """What the edition writes once for all pieces, pointed to by its fixed numbers."""
        self.left_out.add(root.objgen)
        node = root.Pages
        stack = [node]
        while stack:
            node = stack.pop()
            self.fixed[node.objgen] = PAGES
            stack.extend(kid for kid in node.get("/Kids") or [] if kid.get("/Type") == "/Pages")
        tree = root.get("/StructTreeRoot")
        if tree is not None:
            if tree.is_indirect:
                self.fixed[tree.objgen] = STRUCT_ROOT
            document = _document_element(tree)
            if document is not None and document.is_indirect:
                self.fixed[document.objgen] = DOCUMENT
            parent_tree = tree.get("/ParentTree")
            if parent_tree is not None and parent_tree.is_indirect:
                self.left_out.add(parent_tree.objgen)
        outlines = root.get("/Outlines")
        if outlines is not None and outlines.is_indirect:
            self.left_out.add(outlines.objgen)
            for item in _outline_items(outlines):
                if item.is_indirect:
                    self.left_out.add(item.objgen)

    def _ref(self, obj) -> str:
        objgen = obj.objgen
        if objgen in self.fixed:
            return f"{self.fixed[objgen]} 0 R"
        if objgen in self.left_out:
            return "null"  # a pointer to what the edition rewrites: only outline items do this
        if objgen not in self.local:
            self.local[objgen] = len(self.order)
            self.order.append(obj)
        return f"@{self.local[objgen]}"

    def _page(self, page) -> str:
        """A page with what it inherited from its tree written in, its tree the edition's."""
        self._ref(page)  # pages first, in order
        entries = dict(page.items())
        parent = page.get("/Parent")
        while parent is not None:
            for key in _INHERITED:
                if key not in entries and key in parent:
                    entries[key] = parent[key]
            parent = parent.get("/Parent")
        if not self.tagged:
            entries.pop("/StructParents", None)
        return self._entries(entries, page=True)

    def _entries(self, entries: dict, page: bool = False) -> str:
        parts = []
        for key, value in entries.items():
            if page and key == "/Parent":
                parts.append(f"/Parent {PAGES} 0 R")
            elif key in ("/StructParents", "/StructParent") and self.tagged:
                parts.append(f"{_name(key)} ~{int(value)}")
            else:
                parts.append(f"{_name(key)} {self._syntax(value)}")
        return "<<" + " ".join(parts) + ">>"

    def _syntax(self, value, top: bool = False) -> str:
        if isinstance(value, pikepdf.Object):
            if value.is_indirect and not top:
                return self._ref(value)
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Stream)):
                entries = dict(value.items())
                if isinstance(value, pikepdf.Stream):
                    entries.pop("/Length", None)
                return self._entries(entries)
            if isinstance(value, pikepdf.Array):
                return "[" + " ".join(self._syntax(item) for item in value) + "]"
            if isinstance(value, pikepdf.Name):
                return _name(str(value))
            if isinstance(value, pikepdf.String):
                return "<" + bytes(value).hex() + ">"
            return value.unparse().decode("latin-1")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal):
            return _real(value)
        if isinstance(value, float):
            return _real(Decimal(repr(value)))
        if value is None:
            return "null"
        raise TypeError(f"cannot write {type(value).__name__} in a segment")

    def _outline(self, outlines) -> list[dict]:
        if outlines is None:
            return []
        return [self._outline_item(item) for item in _siblings(outlines.get("/First"))]

    def _outline_item(self, item) -> dict:
        skip = {"/Parent", "/First", "/Last", "/Prev", "/Next", "/Count"}
        entries = {k: v for k, v in item.items() if k not in skip}
        count = item.get("/Count")
        return {
            "entries": self._entries(entries)[2:-2],
            "closed": count is not None and int(count) < 0,
            "children": [self._outline_item(child) for child in _siblings(item.get("/First"))],
        }

    def _front(self, root, tree, document) -> dict:
        """The front's catalogue entries the edition keeps (metadata, output intent,
        attachments, language...), its structure tree root's and its document element's."""
        leave = {"/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/PageLabels", "/Names"}
        kept = {key: self._syntax(value) for key, value in root.items() if key not in leave}
        names = root.get("/Names")
        out = {f"catalog {key}": value for key, value in kept.items()}
        if names is not None:
            for key, value in names.items():
                if key != "/Dests":
                    out[f"names {key}"] = self._syntax(value)
        if tree is not None:
            for key, value in tree.items():
                if key not in ("/Type", "/K", "/ParentTree", "/ParentTreeNextKey"):
                    out[f"tree {key}"] = self._syntax(value)
        if document is not None:
            for key, value in document.items():
                if key not in ("/K", "/P"):
                    out[f"document {key}"] = self._syntax(value)
        info = self.pdf.trailer.get("/Info")
        if info is not None:
            out["info"] = self._syntax(info)
        return out


def _relocate(text: bytes, base: int) -> bytes:
    """A piece's object as the edition numbers it: "@k" -> "base+k 0 R", "~k" -> base+k."""

    def number(match: re.Match) -> bytes:
        value = base + int(match[2])
        return b"%d 0 R" % value if match[1] == b"@" else b"%d" % value

    return _MARK.sub(number, text)


def _body(
    segment: Segment,
    texts: list[bytes],
    streams: list,
    skipped: set[int],
    watch: dict[int, list[int]],
) -> tuple[bytes, dict[int, list[int]]]:
    """The objects, numbered from the segment's base; their numbers and offsets go in it.
    ``watch``: by object index, the numbers whose references in it are wanted (their
    offsets in the body, by number)."""
    body = io.BytesIO()
    refs: dict[int, list[int]] = {number: [] for numbers in watch.values() for number in numbers}
    for index, (text, stream) in enumerate(zip(texts, streams, strict=True)):
        if index in skipped:
            continue
        number = segment.base + index
        segment.numbers.append(number)
        segment.offsets.append(body.tell())
        body.write(b"%d 0 obj\n" % number)
        written = _relocate(text, segment.base)
        for wanted in watch.get(index, ()):
            where = body.tell()
            refs[wanted] += [
                where + m.start() for m in re.finditer(rb"(?<!\d)%d 0 R" % wanted, written)
            ]
        if stream is None:
            body.write(written)
        else:  # the dictionary without its ">>", for the stream's length to go in
            body.write(written[:-2] + b" /Length %d >>\nstream\n" % len(stream))
            body.write(stream)
            body.write(b"\nendstream")
        body.write(b"\nendobj\n")
    return body.getvalue(), refs


def _map_outline(items: list[dict], relocate) -> list[dict]:
    return [
        {
            "entries": relocate(item["entries"]),
            "closed": item["closed"],
            "children": _map_outline(item["children"], relocate),
        }
        for item in items
    ]


@functools.lru_cache(maxsize=4096)
def _name(text: str) -> str:
    """A name as PDF writes it, with "@" and "~" escaped (they mark references here)."""
    out = ["/"]
    for char in text[1:]:
        code = ord(char)
        if code < 33 or code > 126 or char in "#/()<>[]{}%@~":
            out.append("".join(f"#{byte:02X}" for byte in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


def _real(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _document_element(tree):
    kids = tree.get("/K")
    if isinstance(kids, pikepdf.Array):
        kids = kids[0] if len(kids) else None
    return kids


def _internal_anchor(annotation) -> str | None:
    action = annotation.get("/A")
    uri = action.get("/URI") if action is not None else None
    if uri is not None and str(uri).startswith(INTERNAL_LINK):
        return str(uri).removeprefix(INTERNAL_LINK)
    return None


def _number_tree(node) -> list[tuple]:
    found = []
    nums = node.get("/Nums")
    if nums is not None:
        found += [(nums[i], nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in node.get("/Kids") or []:
        found += _number_tree(kid)
    return found


def _named(root) -> list[tuple]:
    names = root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    found: list[tuple] = []

    def walk(node) -> None:
        flat = node.get("/Names")
        if flat is not None:
            found.extend((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
        for kid in node.get("/Kids") or []:
            walk(kid)

    if dests is not None:
        walk(dests)
    return found


def _siblings(item):
    seen = set()
    while item is not None and item.objgen not in seen:
        seen.add(item.objgen)
        yield item
        item = item.get("/Next")


def _outline_items(outlines):
    for item in _siblings(outlines.get("/First")):
        yield item
        yield from _outline_items(item)
