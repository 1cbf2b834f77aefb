"""Import: a writer's document (.docx, .odt, .html, .md) becomes a profile.

pandoc reads the document into its syntax tree (JSON); this module picks the
profile's parts out of that tree (title, dek, byline, the illustration and its
credit, the fact box, the timeline), and pandoc writes what is left as CommonMark.

Why pandoc (it ships inside the ``pypandoc-binary`` wheel, the ``import`` extra):
one reader for all four formats, with footnotes, tables, tracked changes and
document metadata, and a sandbox mode that reads nothing but the file it is
given. ``mammoth`` reads .docx only and drops footnotes' structure. The rest of
pressroom never imports this module.

What a document may not do: make pressroom read any file but itself (images come
only from inside a .docx/.odt package or a ``data:`` URL; pandoc runs with
``--sandbox``), fetch from the network, or expand past the size limits (a zip
bomb is refused before pandoc sees it, and pandoc runs under a memory cap and a
time limit).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from .config import Workspace
from .diagnostics import PressroomError, display_path
from .markup import slugify
from .output import write_atomic
from .resources import image_problem

FORMATS = {".docx": "docx", ".odt": "odt", ".html": "html", ".htm": "html", ".md": "markdown"}
PACKAGE_FORMATS = {"docx", "odt"}  # zip packages, which hold their own images
# A package may hold at most this much once unpacked, and no member may be
# compressed more than this ratio: real documents are far below both.
MAX_UNPACKED_BYTES = 300_000_000
MAX_RATIO = 200
MAX_MEMBERS = 5_000
PANDOC_SECONDS = 60
IMAGE_FOLDER = "pressroom-import-images/"  # stands for assets/<slug>/ until the slug is known
PANDOC_MEMORY = "512m"

# "Photo: Jane Doe", "Illustration by Jeanette Khouri", "(Credit: Reuters)", "تصوير: ..."
_CREDIT = re.compile(
    r"(?:^|(?<=[\s.;,—–(-]))\(?\s*("
    r"(?:photo(?:graph)?|illustration|image|picture|artwork|drawing|painting|map|graphic|credit)"
    r"(?:\s+by\b|\s*:)"
    r"|(?:تصوير|رسم|صورة|بعدسة)\s*:?"
    r")\s*",
    re.IGNORECASE,
)
_FACT_HEADINGS = re.compile(
    r"^\s*(at a glance|facts?|key facts|fact ?box|in brief|the facts|لمحة|حقائق|بطاقة)\b",
    re.IGNORECASE,
)
_TIMELINE_HEADINGS = re.compile(
    r"^\s*(time ?line|chronology|key dates|milestones|تسلسل زمني|محطات)\b", re.IGNORECASE
)
_BYLINE = re.compile(r"^\s*(?:by|written by|بقلم|كتب)\s*:?\s+(.+)$", re.IGNORECASE)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class ImportFailed(PressroomError):
    """The document cannot be imported; nothing was written."""


@dataclass
class ImportResult:
    profile: Path
    images: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields left for the editor


@dataclass
class _Image:
    data: bytes
    name: str  # the file name it gets under assets/<slug>/
    alt: str
    credit: str = ""
    caption: str = ""


# ---------- Entry point ----------


def import_document(
    workspace: Workspace, source: Path, slug: str | None = None, force: bool = False
) -> ImportResult:
    """Turn ``source`` into ``content/profiles/<slug>.md`` and ``assets/<slug>/`` images.

    Raises :class:`ImportFailed` with a message naming the file when the document
    cannot be read, or when the profile exists and ``force`` is false.
    """
    name = source.name
    kind = FORMATS.get(source.suffix.lower())
    if kind is None:
        raise ImportFailed(
            f"{name}: cannot import a '{source.suffix}' file; pressroom imports "
            f"{', '.join(sorted(set(FORMATS)))}"
        )
    if not source.is_file():
        raise ImportFailed(f"{name}: not a regular file")
    size = source.stat().st_size
    if size > workspace.config.limits.resource_bytes:
        raise ImportFailed(
            f"{name}: {size:,} bytes, over the limit of "
            f"{workspace.config.limits.resource_bytes:,} (limits.resource_bytes)"
        )
    data = source.read_bytes()
    properties: dict[str, str] = {}
    media: dict[str, bytes] = {}
    if kind in PACKAGE_FORMATS:
        properties, media = _open_package(name, data, kind)

    warnings: list[str] = []
    tree = _pandoc_json(data, kind, name, track_changes="accept")
    if kind == "docx":
        warnings += _changes_dropped(data, name)
    if kind == "odt":
        warnings += _odt_changes_dropped(data, name)

    document = _Document(tree, properties, media, kind, name, warnings)
    document.extract()
    if not slug:  # from the title, or the file's name where the title is not in Latin script
        candidates = [slugify(document.title or ""), slugify(source.stem)]
        slug = next((c for c in candidates if c and c.isascii()), None) or next(
            (c for c in candidates if c), ""
        )
    if not slug or slugify(slug) != slug:
        raise ImportFailed(f"{name}: '{slug}' is not a slug; use lower-case letters, digits, '-'")
    return _write(workspace, document, slug, force)


# ---------- Reading ----------


def _open_package(name: str, data: bytes, kind: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """Check a .docx/.odt package before pandoc opens it; read its properties and images."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: encrypted OOXML, or .doc
        raise ImportFailed(
            f"{name}: the file is password-protected (encrypted) or an old binary Word file; "
            "open it in your word processor and save a copy without a password as .docx"
        )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFailed(f"{name}: not a readable {kind} document ({error})") from None
    if len(members) > MAX_MEMBERS:
        raise ImportFailed(f"{name}: the package holds {len(members):,} files; refused")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFailed(
            f"{name}: the package would unpack to {unpacked:,} bytes, over the limit of "
            f"{MAX_UNPACKED_BYTES:,}; refused (a zip bomb?)"
        )
    for member in members:
        if member.flag_bits & 0x1:
            raise ImportFailed(f"{name}: the document is password-protected; save it without one")
        if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
            ratio = member.file_size // member.compress_size
            raise ImportFailed(
                f"{name}: '{member.filename}' is compressed {ratio:,} to 1, far beyond any "
                "real document; refused (a zip bomb?)"
            )
    names = {m.filename for m in members}
    required = "word/document.xml" if kind == "docx" else "content.xml"
    if required not in names:
        raise ImportFailed(f"{name}: not a {kind} document (no {required} inside)")
    try:
        properties = (
            _docx_properties(package, names) if kind == "docx" else _odt_properties(package, names)
        )
        media = {
            m.filename: package.read(m)
            for m in members
            if m.filename.startswith(("word/media/", "Pictures/", "media/")) and not m.is_dir()
        }
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ImportFailed(f"{name}: damaged package ({error})") from None
    return properties, media


def _xml(package: zipfile.ZipFile, member: str) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(package.read(member))
    except (KeyError, ElementTree.ParseError):
        return None


def _find_text(root: ElementTree.Element | None, tag: str) -> str:
    if root is None:
        return ""
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == tag and (element.text or "").strip():
            return element.text.strip()
    return ""


def _docx_properties(package: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    core = _xml(package, "docProps/core.xml") if "docProps/core.xml" in names else None
    properties = {
        "title": _find_text(core, "title"),
        "author": _find_text(core, "creator"),
        "date": _find_text(core, "created"),
    }
    styles = _xml(package, "word/styles.xml") if "word/styles.xml" in names else None
    if styles is not None:
        for element in styles.iter():
            if element.tag.endswith("}lang"):
                # w:bidi names the language of right-to-left text, w:val the rest.
                attributes = {k.rsplit("}", 1)[-1]: v for k, v in element.attrib.items()}
                properties["lang"] = attributes.get("val") or attributes.get("bidi") or ""
                properties["bidi_lang"] = attributes.get("bidi") or ""
                break
    return properties


def _odt_properties(package: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    meta = _xml(package, "meta.xml") if "meta.xml" in names else None
    properties = {
        "title": _find_text(meta, "title"),
        "subtitle": _find_text(meta, "subject"),
        "author": _find_text(meta, "initial-creator") or _find_text(meta, "creator"),
        "date": _find_text(meta, "creation-date") or _find_text(meta, "date"),
        "lang": _find_text(meta, "language"),
    }
    if not properties["lang"]:
        styles = _xml(package, "styles.xml") if "styles.xml" in names else None
        for element in styles.iter() if styles is not None else ():
            attributes = {k.rsplit("}", 1)[-1]: v for k, v in element.attrib.items()}
            if attributes.get("language") and attributes["language"] != "zxx":
                country = attributes.get("country", "")
                properties["lang"] = attributes["language"] + (
                    f"-{country}" if country and country != "none" else ""
                )
                break
    return properties


def pandoc_path() -> str:
    """The pandoc that the ``import`` extra installs (or one on PATH)."""
    try:
        import pypandoc
    except ImportError:
        found = shutil.which("pandoc")
        if found:
            return found
        raise ImportFailed(
            "pressroom import needs pandoc: pip install 'pressroom[import]'"
        ) from None
    try:
        return pypandoc.get_pandoc_path()
    except OSError as error:
        raise ImportFailed(
            f"pandoc is not usable ({error}); pip install 'pressroom[import]'"
        ) from None


def _run_pandoc(arguments: list[str], data: bytes, name: str) -> bytes:
    command = [pandoc_path(), "+RTS", f"-M{PANDOC_MEMORY}", "-RTS", "--sandbox", *arguments]
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=PANDOC_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise ImportFailed(f"{name}: reading it took over {PANDOC_SECONDS} s; refused") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit code {done.returncode}"
        if "Heap exhausted" in reason or "heap overflow" in reason.lower():
            reason = f"it needs more than {PANDOC_MEMORY}B of memory to read"
        raise ImportFailed(f"{name}: pandoc could not read it: {reason}")
    return done.stdout


def _pandoc_json(data: bytes, kind: str, name: str, track_changes: str) -> dict:
    reader = {"markdown": "markdown-raw_html-raw_attribute", "html": "html"}.get(kind, kind)
    arguments = ["-f", reader, "-t", "json"]
    if kind == "docx":
        arguments.append(f"--track-changes={track_changes}")
    return json.loads(_run_pandoc(arguments, data, name))


def _changes_dropped(data: bytes, name: str) -> list[str]:
    """Warnings for the comments and tracked changes that the accepted text leaves out."""
    counts = {"comment-start": 0, "insertion": 0, "deletion": 0}
    tree = _pandoc_json(data, "docx", name, track_changes="all")
    for node in _walk(tree["blocks"]):
        if node.get("t") == "Span":
            for class_ in node["c"][0][1]:
                if class_ in counts:
                    counts[class_] += 1
    warnings = []
    if counts["comment-start"]:
        warnings.append(f"{_count(counts['comment-start'], 'comment')} dropped")
    changes = counts["insertion"] + counts["deletion"]
    if changes:
        warnings.append(
            f"{_count(changes, 'tracked change')} found: imported as if accepted "
            f"({_count(counts['insertion'], 'insertion')} kept, "
            f"{_count(counts['deletion'], 'deletion')} removed); "
            "check the text against the writer's final version"
        )
    return warnings


def _odt_changes_dropped(data: bytes, name: str) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        content = package.read("content.xml")
    warnings = []
    comments = content.count(b"<office:annotation ") + content.count(b"<office:annotation>")
    if comments:
        warnings.append(f"{_count(comments, 'comment')} dropped")
    changes = content.count(b"<text:changed-region")
    if changes:
        warnings.append(
            f"{_count(changes, 'tracked change')} found: imported as if accepted; "
            "check the text against the writer's final version"
        )
    return warnings


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ---------- The syntax tree ----------


def _walk(node: Any):
    """Every dict node of a pandoc tree, depth first."""
    if isinstance(node, dict):
        yield node
        if "c" in node:
            yield from _walk(node["c"])
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def plain_text(inlines: list) -> str:
    """The text of pandoc inlines, footnotes left out."""
    parts: list[str] = []
    for node in inlines:
        kind = node.get("t")
        if kind == "Str":
            parts.append(node["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "SmallCaps", "Strikeout", "Superscript",
                      "Subscript"):  # fmt: skip
            parts.append(plain_text(node["c"]))
        elif kind in ("Span", "Quoted", "Cite"):
            inner = node["c"][1]
            text = plain_text(inner)
            if kind == "Quoted":
                text = ("“{}”" if node["c"][0]["t"] == "DoubleQuote" else "‘{}’").format(text)
            parts.append(text)
        elif kind in ("Link", "Image"):
            parts.append(plain_text(node["c"][1]))
        elif kind in ("Code", "Math"):
            parts.append(node["c"][1])
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def inline_markdown(inlines: list) -> str:
    """Inline Markdown for a fact value or a timeline event: emphasis and links survive."""
    parts: list[str] = []
    for node in inlines:
        kind = node.get("t")
        if kind == "Str":
            parts.append(re.sub(r"([*_`\[\]\\<])", r"\\\1", node["c"]))
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind == "Emph":
            parts.append(f"*{inline_markdown(node['c'])}*")
        elif kind == "Strong":
            parts.append(f"**{inline_markdown(node['c'])}**")
        elif kind == "Link":
            url = node["c"][2][0]
            text = inline_markdown(node["c"][1])
            parts.append(f"[{text}]({url})" if url and " " not in url else text)
        elif kind == "Code":
            parts.append(f"`{node['c'][1]}`")
        elif kind in ("Span", "Quoted", "Cite", "Underline", "SmallCaps"):
            parts.append(plain_text([node]))
        elif kind in ("Superscript", "Subscript", "Strikeout"):
            parts.append(plain_text(node["c"]))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _block_inlines(block: dict) -> list | None:
    """The inlines of a paragraph-like block, or None."""
    if block.get("t") in ("Para", "Plain"):
        return block["c"]
    return None


def _meta_text(meta: dict, key: str) -> str:
    value = meta.get(key)
    if not value:
        return ""
    if value["t"] == "MetaInlines":
        return plain_text(value["c"])
    if value["t"] == "MetaString":
        return value["c"].strip()
    if value["t"] == "MetaList":
        return ", ".join(filter(None, (_meta_text({"x": item}, "x") for item in value["c"])))
    if value["t"] == "MetaBlocks":
        return " ".join(plain_text(b["c"]) for b in value["c"] if _block_inlines(b) is not None)
    return ""


# Inline styles pressroom's Markdown has no syntax for: the words stay, the style goes.
_STYLES_DROPPED = ("Superscript", "Subscript", "Underline", "SmallCaps", "Strikeout")


def _unwrap(value: Any, dropped: dict[str, int], styles: bool = False) -> Any:
    """Spans and Divs give way to their contents; raw HTML and other raw code is dropped.
    With ``styles``, so do styles Markdown cannot say and links to anchors in the document."""
    if not isinstance(value, list):
        return value
    result = []
    for item in value:
        if isinstance(item, dict) and "t" in item:
            result.extend(_unwrap_node(item, dropped, styles))
        else:
            result.append(_unwrap(item, dropped, styles))
    return result


def _unwrap_node(node: dict, dropped: dict[str, int], styles: bool) -> list:
    kind = node["t"]
    if kind in ("Span", "Div"):
        return _unwrap(node["c"][1], dropped, styles)
    if styles and kind in _STYLES_DROPPED:
        return _unwrap(node["c"], dropped, styles)
    if styles and kind == "Link" and node["c"][2][0].startswith("#"):
        return _unwrap(node["c"][1], dropped, styles)
    if kind in ("RawInline", "RawBlock"):
        dropped["raw"] = dropped.get("raw", 0) + 1
        return []
    if "c" in node:
        return [{"t": kind, "c": _unwrap(node["c"], dropped, styles)}]
    return [node]


def _linked_notes(blocks: list) -> list:
    """Footnotes that HTML exports write as links (Google Docs, Word's "web page"): a
    superscript link ``#ftnt1`` in the text, and at the end a paragraph that starts with
    the link ``id="ftnt1"``. Each becomes a real footnote."""
    notes: dict[str, list] = {}
    kept = []
    for block in blocks:
        inlines = _block_inlines(block) or []
        first = inlines[0] if inlines else None
        if first and first.get("t") == "Superscript" and first["c"]:
            first = first["c"][0]
        anchor = first["c"][0][0] if first and first.get("t") == "Link" else ""
        if anchor and first["c"][2][0].startswith("#"):
            rest = inlines[1:]
            while rest and rest[0].get("t") == "Space":
                rest = rest[1:]
            notes[anchor] = rest
        else:
            kept.append(block)
    if not notes:
        return blocks

    def replace(node: Any) -> Any:
        if isinstance(node, list):
            return [replace(item) for item in node]
        if not isinstance(node, dict):
            return node
        link = node
        if node.get("t") == "Superscript" and len(node["c"]) == 1:
            link = node["c"][0]
        if link.get("t") == "Link" and link["c"][2][0][1:] in notes:
            return {"t": "Note", "c": [{"t": "Para", "c": notes[link["c"][2][0][1:]]}]}
        if "c" in node and isinstance(node["c"], list):
            return {"t": node["t"], "c": replace(node["c"])}
        return node

    return replace(kept)


def _table_rows(table: dict) -> list[list[list]]:
    """A pandoc table as rows of cells, each cell its inlines; header rows first."""
    _attr, _caption, _specs, head, bodies, foot = table["c"]
    rows = list(head[1])
    for body in bodies:
        rows += body[2] + body[3]
    rows += foot[1]
    cells = []
    for row in rows:
        line = []
        for cell in row[1]:
            inlines: list = []
            for block in cell[4]:
                part = _block_inlines(block)
                if part is not None:
                    if inlines:
                        inlines.append({"t": "Space"})
                    inlines += part
            line.append(inlines)
        cells.append(line)
    return cells


def _table_caption(table: dict) -> str:
    blocks = table["c"][1][1]
    return " ".join(plain_text(b["c"]) for b in blocks if _block_inlines(b) is not None)


def parse_date(text: str) -> str | None:
    """``2016``, ``2016-06``, ``June 2016``, ``14 June 2016``, ``June 14, 2016`` → ISO."""
    text = text.translate(_ARABIC_DIGITS).strip().rstrip(".:").strip()
    match = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?", text)
    if match:
        year, month, day = match.groups()
        return _iso(int(year), int(month) if month else None, int(day) if day else None)
    words = re.findall(r"[A-Za-z]+|\d+", text)
    months = [w for w in words if w.lower() in _MONTHS]
    numbers = [w for w in words if w.isdigit()]
    other = [w for w in words if not w.isdigit() and w.lower() not in _MONTHS]
    if len(months) != 1 or other or not numbers:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) > 1 or len(numbers) != len(years) + len(days):
        return None
    return _iso(int(years[0]), _MONTHS[months[0].lower()], int(days[0]) if days else None)


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")


def split_credit(text: str) -> tuple[str, str]:
    """``"The port at dawn. Photo: Jane Doe"`` → ``("The port at dawn.", "Photo: Jane Doe")``."""
    match = _CREDIT.search(text)
    if not match:
        return text.strip(), ""
    caption = text[: match.start()].strip().rstrip("(—–-").strip()
    credit = text[match.start() :].strip().lstrip("(").strip()
    if credit.endswith(")") and "(" not in credit:
        credit = credit[:-1].strip()
    return caption, credit


# ---------- Picking the profile out of the tree ----------


class _Document:
    """A pandoc tree, taken apart into front matter fields and the body that is left."""

    def __init__(
        self,
        tree: dict,
        properties: dict[str, str],
        media: dict[str, bytes],
        kind: str,
        name: str,
        warnings: list[str],
    ) -> None:
        self.meta = tree.get("meta", {})
        self.properties = properties
        self.media = media
        self.kind = kind
        self.name = name
        self.warnings = warnings
        self.dropped: dict[str, int] = {}
        blocks = _linked_notes(_unwrap(tree["blocks"], self.dropped))
        self.blocks: list = _unwrap(blocks, self.dropped, styles=True)
        self.api_version = tree["pandoc-api-version"]
        self.title = ""
        self.dek = ""
        self.byline = ""
        self.date = ""
        self.lang = ""
        self.illustration: _Image | None = None
        self.figures: list[_Image] = []
        self.facts: list[tuple[str, str]] = []
        self.timeline: list[tuple[str, str]] = []
        self._names: set[str] = set()

    def extract(self) -> None:
        self._title()
        self._dek()
        self._byline()
        self._date()
        self._lang()
        self._images()
        self._tables()
        self._lists()
        self._headings()
        if self.dropped.get("raw"):
            self.warnings.append(
                f"{_count(self.dropped['raw'], 'piece')} of raw HTML or code dropped "
                "(pressroom never passes raw HTML to the renderer)"
            )

    # -- front matter --

    def _title(self) -> None:
        self.title = _meta_text(self.meta, "title") or self.properties.get("title", "")
        for index, block in enumerate(self.blocks[:3]):
            if block["t"] == "Header":
                text = plain_text(block["c"][2])
                if not self.title or text == self.title:
                    self.title = self.title or text
                    del self.blocks[index]
                break

    def _dek(self) -> None:
        self.dek = _meta_text(self.meta, "subtitle") or self.properties.get("subtitle", "")
        if self.dek:
            return
        for index, block in enumerate(self.blocks[:4]):
            inlines = _block_inlines(block)
            if block["t"] == "Header" or (inlines and not _is_emphasis_only(inlines)):
                if inlines and _BYLINE.match(plain_text(inlines)):
                    continue  # the byline may come first
                return
            if inlines and _is_emphasis_only(inlines):
                self.dek = plain_text(inlines)
                del self.blocks[index]
                return

    def _byline(self) -> None:
        # A "By ..." line in the text names the writer; the file's author is often only
        # whoever created the file, so it comes second.
        self.byline = _meta_text(self.meta, "author") or self.properties.get("author", "")
        for index, block in enumerate(self.blocks[:4]):
            inlines = _block_inlines(block)
            match = _BYLINE.match(plain_text(inlines)) if inlines else None
            if match and len(match.group(1)) < 120:
                self.byline = match.group(1).strip()
                del self.blocks[index]
                return

    def _date(self) -> None:
        text = _meta_text(self.meta, "date") or self.properties.get("date", "")
        match = re.match(r"(\d{4}-\d{2}-\d{2})", text)
        if match:
            self.date = match.group(1)
        elif text:
            parsed = parse_date(text)
            if parsed and len(parsed) == 10:
                self.date = parsed

    def _lang(self) -> None:
        lang = _meta_text(self.meta, "lang") or self.properties.get("lang", "")
        body = " ".join(plain_text(b["c"]) for b in self.blocks if _block_inlines(b) is not None)
        letters = [c for c in (self.title + body) if c.isalpha()]
        arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f")
        mostly_arabic = letters and arabic / len(letters) > 0.5
        bidi = self.properties.get("bidi_lang", "")
        if mostly_arabic and not lang.lower().startswith(("ar", "fa", "ur", "he")):
            # Word keeps a separate language for right-to-left text; else say what we chose.
            if bidi:
                lang = bidi
            else:
                if lang:
                    self.warnings.append(
                        f"the document says its language is '{lang}' but is written in Arabic "
                        "script; lang set to 'ar'"
                    )
                lang = "ar"
        self.lang = _normalise_lang(lang)

    # -- images --

    def _images(self) -> None:
        index = 0
        while index < len(self.blocks):
            block = self.blocks[index]
            found = self._image_block(block, index)
            if found is None:
                self._inline_images(block)
                index += 1
                continue
            node, caption, consumed = found
            stored = self._store(node)
            if stored is None:
                del self.blocks[index : index + consumed]
                continue
            if caption:
                stored.caption, stored.credit = split_credit(caption)
            if self.illustration is None:
                self.illustration = stored
                del self.blocks[index : index + consumed]
                continue
            self.figures.append(stored)
            replacement = [_image_para(stored)]
            if stored.caption:
                replacement.append({"t": "Para", "c": [{"t": "Emph", "c": _words(stored.caption)}]})
            self.blocks[index : index + consumed] = replacement
            index += len(replacement)

    def _image_block(self, block: dict, index: int) -> tuple[dict, str | None, int] | None:
        """(image node, caption text, blocks used) when ``block`` is a picture on its own."""
        if block["t"] == "Figure":
            caption = " ".join(
                plain_text(b["c"]) for b in block["c"][1][1] if _block_inlines(b) is not None
            )
            images = [n for n in _walk(block["c"][2]) if n.get("t") == "Image"]
            if not images:
                return None
            return images[0], caption or None, 1
        inlines = _block_inlines(block)
        if not inlines:
            return None
        content = [n for n in inlines if n.get("t") not in ("Space", "SoftBreak", "LineBreak")]
        if len(content) != 1 or content[0].get("t") != "Image":
            return None
        image = content[0]
        caption = image["c"][2][1] or None  # an image's title, as Markdown writes a credit
        after = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
        after_inlines = _block_inlines(after) if after else None
        if after_inlines:
            text = plain_text(after_inlines)
            if _CREDIT.search(text) or _is_emphasis_only(after_inlines):
                return image, text, 2
        return image, caption, 1

    def _inline_images(self, block: dict) -> None:
        """Images inside running text: kept out of the profile, with a warning."""
        for node in _walk(block):
            if node.get("t") == "Image":
                self.warnings.append(
                    f"an image inside a paragraph ('{_short(node['c'][2][0])}') was left out; "
                    "put each picture in a paragraph of its own"
                )
                node["t"], node["c"] = "Str", ""

    def _store(self, node: dict) -> _Image | None:
        target = node["c"][2][0]
        alt = plain_text(node["c"][1])
        data = self._image_data(target)
        if data is None:
            return None
        suffix = _image_suffix(data)
        if suffix is None:
            self.warnings.append(
                f"image '{_short(target)}' is in a format pressroom cannot set (use PNG, JPEG, "
                "GIF, WebP or SVG); left out"
            )
            return None
        # Named by role, not by the package's internal names (image1.png, a hash in .odt).
        name = f"figure-{len(self._names)}{suffix}" if self._names else f"illustration{suffix}"
        self._names.add(name)
        return _Image(data=data, name=name, alt=alt)

    def _image_data(self, target: str) -> bytes | None:
        if target.startswith("data:"):
            try:
                header, payload = target.split(",", 1)
                if header.endswith(";base64"):
                    return base64.b64decode(payload, validate=False)
                from urllib.parse import unquote_to_bytes

                return unquote_to_bytes(payload)
            except (ValueError, binascii.Error):
                self.warnings.append("an image's data: URL is damaged; left out")
                return None
        if self.kind in PACKAGE_FORMATS:
            for member in (target, f"word/{target}", target.lstrip("/")):
                if member in self.media:
                    return self.media[member]
        self.warnings.append(
            f"image '{_short(target)}' was not imported: pressroom takes only images held "
            "inside the document, and never reads other files or the network; copy it into "
            "the workspace and add it by hand"
        )
        return None

    # -- fact box and timeline --

    def _tables(self) -> None:
        index = 0
        while index < len(self.blocks):
            block = self.blocks[index]
            if block["t"] != "Table":
                index += 1
                continue
            rows = _table_rows(block)
            label = _table_caption(block)
            before = self.blocks[index - 1] if index else None
            heading = before if before and before["t"] == "Header" else None
            if heading is None and before and _block_inlines(before):
                text = plain_text(_block_inlines(before))
                if len(text) < 40 and (
                    _FACT_HEADINGS.match(text) or _TIMELINE_HEADINGS.match(text)
                ):
                    heading = before
            title = label or (plain_text(heading["c"][2] if heading["t"] == "Header"
                              else heading["c"]) if heading else "")  # fmt: skip
            used = False
            if rows and all(len(r) == 2 for r in rows):
                first = plain_text(rows[0][0])
                if not self.facts and (_FACT_HEADINGS.match(title) or _FACT_HEADINGS.match(first)):
                    body = rows[1:] if _FACT_HEADINGS.match(first) or _is_header(rows) else rows
                    self.facts = [
                        (plain_text(a), inline_markdown(b)) for a, b in body if plain_text(a)
                    ]
                    used = True
                elif not self.timeline and _dated(rows):
                    body = [r for r in rows if parse_date(plain_text(r[0]))]
                    self.timeline = [
                        (parse_date(plain_text(a)), inline_markdown(b)) for a, b in body
                    ]
                    used = True
            if used:
                start = index - 1 if heading is not None else index
                del self.blocks[start : index + 1]
                index = start
            else:
                index += 1

    def _lists(self) -> None:
        """Word stores each list item as a paragraph; a list of one-paragraph items is tight."""
        for node in _walk(self.blocks):
            if node.get("t") not in ("BulletList", "OrderedList"):
                continue
            items = node["c"] if node["t"] == "BulletList" else node["c"][1]
            if all(len(item) == 1 and item[0].get("t") == "Para" for item in items):
                for item in items:
                    item[0]["t"] = "Plain"

    def _headings(self) -> None:
        """Sections become ``##``: the headline is the profile's only first-level heading."""
        levels = [b["c"][0] for b in self.blocks if b["t"] == "Header"]
        if not levels:
            return
        shift = 2 - min(levels)
        for block in self.blocks:
            if block["t"] == "Header":
                block["c"][0] = max(2, min(6, block["c"][0] + shift))
                block["c"][1] = ["", [], []]  # no {#id} after each heading

    # -- writing --

    def body_markdown(self) -> str:
        tree = {"pandoc-api-version": self.api_version, "meta": {}, "blocks": self.blocks}
        writer = "commonmark_x-raw_html-attributes-bracketed_spans-fenced_divs-raw_attribute"
        text = _run_pandoc(
            ["-f", "json", "-t", writer, "--wrap=none"],
            json.dumps(tree).encode(),
            self.name,
        ).decode("utf-8")
        return text.strip() + "\n" if text.strip() else ""


def _is_emphasis_only(inlines: list) -> bool:
    content = [n for n in inlines if n.get("t") not in ("Space", "SoftBreak", "LineBreak")]
    return bool(content) and all(n.get("t") == "Emph" for n in content)


def _is_header(rows: list) -> bool:
    return bool(rows) and plain_text(rows[0][0]).lower() in ("label", "fact", "", "item")


def _dated(rows: list) -> bool:
    dated = sum(1 for r in rows if parse_date(plain_text(r[0])))
    return dated >= 2 and dated >= len(rows) - 1


def _words(text: str) -> list:
    nodes: list = []
    for word in text.split():
        if nodes:
            nodes.append({"t": "Space"})
        nodes.append({"t": "Str", "c": word})
    return nodes


def _image_para(image: _Image) -> dict:
    src = IMAGE_FOLDER + image.name  # the folder is known once the slug is
    return {
        "t": "Para",
        "c": [{"t": "Image", "c": [["", [], []], _words(image.alt), [src, image.credit]]}],
    }


def _short(target: str) -> str:
    return target if len(target) <= 60 else target[:40] + "…"


def _image_suffix(data: bytes) -> str | None:
    """What the bytes are, not what the name says."""
    head = data[:512].lstrip()
    if head.startswith(b"<") and b"<svg" in data[:4096]:
        return ".svg"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return None
    return {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}.get(kind or "")


def _normalise_lang(lang: str) -> str:
    lang = lang.strip().replace("_", "-")
    if not lang or lang.lower() in ("x-none", "zxx", "und"):
        return ""
    parts = lang.split("-")
    return "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


# ---------- Writing the profile ----------


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump(value, allow_unicode=True, width=10**6, default_flow_style=True)
    return dumped.removesuffix("\n...\n").strip()


def front_matter(document: _Document, folder: str, source_name: str) -> tuple[str, list[str]]:
    """The profile's front matter, and the required fields it leaves for the editor."""
    missing: list[str] = []
    lines = [f"# Imported from {source_name} by `pressroom import`."]
    if document.title:
        lines.append(f"title: {_scalar(document.title)}")
    else:
        lines.append("# title: required: the headline (the document has no title or heading)")
        missing.append("title")
    optional = {"dek": document.dek, "byline": document.byline}
    lines += [f"{key}: {_scalar(value)}" for key, value in optional.items() if value]
    plain = {"date": document.date, "lang": document.lang}  # an ISO date and a tag: no quotes
    lines += [f"{key}: {value}" for key, value in plain.items() if value]
    image = document.illustration
    if image is not None:
        lines += ["illustration:", f"  src: {_scalar(folder + image.name)}"]
        for key, value, hint in (
            ("alt", image.alt, "describe the picture for readers who cannot see it"),
            ("credit", image.credit, "who made the picture, as printed (Photo: ...)"),
            ("caption", image.caption, None),
        ):
            if value:
                lines.append(f"  {key}: {_scalar(value)}")
            elif hint:
                lines.append(f"  # {key}: required: {hint}")
                missing.append(f"illustration.{key}")
    if document.facts:
        lines.append("facts:")
        for label, value in document.facts:
            lines += [f"  - label: {_scalar(label)}", f"    value: {_scalar(value or '-')}"]
    if document.timeline:
        lines.append("timeline:")
        for date, event in document.timeline:
            lines += [f"  - date: {_scalar(date)}", f"    event: {_scalar(event or '-')}"]
    for figure in document.figures:
        if not figure.alt:
            missing.append(f"alt text of the body image {figure.name}")
        if not figure.credit:
            missing.append(f"credit of the body image {figure.name}")
    return "---\n" + "\n".join(lines) + "\n---\n", missing


def _write(workspace: Workspace, document: _Document, slug: str, force: bool) -> ImportResult:
    root = workspace.root
    profile = workspace.profiles_dir / f"{slug}.md"
    assets = root / "assets" / slug
    images = [i for i in [document.illustration, *document.figures] if i is not None]
    for target in [profile] + ([assets] if images else []):
        if (target.exists() or target.is_symlink()) and not force:
            raise ImportFailed(
                f"{display_path(target, root)} already exists; nothing written "
                "(use --force to replace it)"
            )
    folder = Path(os.path.relpath(assets, profile.parent)).as_posix() + "/"
    text, missing = front_matter(document, folder, document.name)
    body = document.body_markdown().replace(IMAGE_FOLDER, folder)
    result = ImportResult(profile=profile, warnings=document.warnings, missing=missing)

    # Images are checked in a staging folder, then moved in whole; the profile comes
    # last. On any failure the workspace is left as it was (--force included).
    staging = Path(tempfile.mkdtemp(prefix=".pressroom-import-", dir=root))
    previous = staging.with_name(staging.name + "-previous")
    moved = False
    try:
        for image in images:
            path = staging / image.name
            path.write_bytes(image.data)
            problem = image_problem(path, workspace.config.limits.image_pixels)
            if problem:
                raise ImportFailed(f"{document.name}: an image in the document: {problem}")
        profile.parent.mkdir(parents=True, exist_ok=True)
        if images:
            assets.parent.mkdir(parents=True, exist_ok=True)
            if assets.exists() or assets.is_symlink():  # --force: replaced whole, not merged
                os.replace(assets, previous)
            os.replace(staging, assets)
            moved = True
            result.images = [assets / image.name for image in images]
        write_atomic(profile, (text + "\n" + body).encode("utf-8"))
    except BaseException:
        if moved:
            shutil.rmtree(assets, ignore_errors=True)
        if previous.exists() or previous.is_symlink():
            os.replace(previous, assets)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.is_symlink() or previous.is_file():
            previous.unlink()
        elif previous.exists():
            shutil.rmtree(previous, ignore_errors=True)
    return result
