"""Image credits: art status (final or FPO) and the workspace's rights ledger.

Every image a document uses (a profile's illustration, its body figures, an edition's
cover) is an :class:`ImageUse`: where it is written (file, field, line) and what the
writer said (credit, status). ``credits.yaml`` at the workspace root, when present, is
the rights ledger: one entry per image file or glob, with the creator, the credit line,
the source, the licence, the uses it is cleared for and when that clearance expires::

    images:
      - file: assets/illustrations/al-kadhimi.svg
        creator: Jeanette Khouri
        credit: Illustration by Jeanette Khouri
        licence: First serial rights
        rights: [print, screen, archive]
        expires: 2027-06-30

:func:`credit_for` joins a use and its ledger entry; :func:`image_findings` says, for
one output format, what a production desk must hear: FPO art going to the printer,
an image used where its rights do not reach or after they expired, a written credit
that disagrees with the ledger, an image nobody credited.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

from .diagnostics import ContentError, Diagnostic, display_path
from .resources import read_source
from .validation import validate
from .yamlsource import load_yaml

LEDGER_FILE = "credits.yaml"
LEDGER_BYTES = 5_000_000  # a ledger lists every picture of a publication
Usage = Literal["print", "screen", "archive"]
Status = Literal["final", "fpo"]
USAGES: tuple[Usage, ...] = ("print", "screen", "archive")


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None
    return value


class LedgerEntry(BaseModel):
    """One image (or a glob of images) in ``credits.yaml``."""

    model_config = ConfigDict(extra="ignore")

    file: str  # relative to the workspace root; may be a glob: assets/photos/*.jpg
    credit: str
    creator: str | None = None
    source: str | None = None
    licence: str | None = None
    rights: list[Usage] = list(USAGES)
    expires: Annotated[dt.date, BeforeValidator(_date)] | None = None
    status: Status | None = None  # art that is FPO wherever it is used
    translations: dict[str, str] = {}  # the credit line by language: {ar: ...}

    def credit_in(self, lang: str | None) -> str:
        """The credit line in ``lang`` (``ar-IQ`` finds ``ar``), else as written."""
        for key in (lang or "", (lang or "").split("-")[0]):
            if key in self.translations:
                return self.translations[key]
        return self.credit


class LedgerFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    images: list[LedgerEntry] = []


@dataclass(frozen=True)
class Ledger:
    """The rights ledger of a workspace (empty when it has no ``credits.yaml``)."""

    root: Path
    path: Path | None = None
    entries: tuple[LedgerEntry, ...] = ()
    lines: tuple[int | None, ...] = ()  # the line of each entry

    def entry_for(self, image: Path) -> tuple[LedgerEntry, int | None] | None:
        """The first entry whose file (or glob) names ``image``, and its line."""
        try:
            name = image.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None  # images outside the workspace (built-in assets) are not ledgered
        for entry, line in zip(self.entries, self.lines, strict=True):
            pattern = entry.file.removeprefix("./")
            if name == pattern or fnmatch.fnmatchcase(name, pattern):
                return entry, line
        return None

    def where(self, line: int | None) -> str:
        """``credits.yaml:12``, for messages."""
        name = display_path(self.path, self.root) if self.path else LEDGER_FILE
        return f"{name}:{line}" if line else name

    @property
    def has_expiries(self) -> bool:
        return any(entry.expires for entry in self.entries)


def load_ledger(root: Path) -> Ledger:
    """The ledger at ``root/credits.yaml``; raise :class:`ContentError` if it is wrong."""
    path = root / LEDGER_FILE
    try:
        info = path.stat()
    except OSError:
        return Ledger(root.resolve())
    return _load_ledger(str(root.resolve()), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=16)
def _load_ledger(root: str, modified: int, size: int) -> Ledger:
    path = Path(root) / LEDGER_FILE
    text = read_source(path, [Path(root)], LEDGER_BYTES)
    data, lines = load_yaml(text, path)
    ledger, diagnostics = validate(LedgerFile, data, path, lines)
    if ledger is None or any(d.is_error for d in diagnostics):
        raise ContentError(diagnostics)
    entry_lines = tuple(lines.line_of(("images", i)) for i in range(len(ledger.images)))
    return Ledger(Path(root), path, tuple(ledger.images), entry_lines)


def ledger_diagnostics(root: Path) -> list[Diagnostic]:
    """Problems in ``credits.yaml`` (for ``pressroom check``), without raising."""
    try:
        load_ledger(root)
    except ContentError as error:
        return error.diagnostics
    return []


@dataclass(frozen=True)
class ImageUse:
    """One image in one document, as its writer gave it."""

    path: Path  # resolved
    source: Path  # the profile or edition file that names it
    field: str  # illustration, cover, body
    line: int | None
    credit: str | None = None
    status: Status | None = None
    caption: str | None = None


@dataclass(frozen=True)
class ImageCredit:
    """An image's credit as published: the writer's words, completed from the ledger."""

    path: Path
    credit: str | None
    status: Status
    creator: str | None = None
    licence: str | None = None
    source: str | None = None
    rights: tuple[str, ...] = USAGES
    expires: dt.date | None = None
    ledgered: bool = False

    @property
    def fpo(self) -> bool:
        return self.status == "fpo"


def credit_for(use: ImageUse, ledger: Ledger, lang: str | None = None) -> ImageCredit:
    """The credit of one use: the writer's line, else the ledger's (in ``lang``)."""
    found = ledger.entry_for(use.path)
    if found is None:
        return ImageCredit(use.path, use.credit, use.status or "final")
    entry, _ = found
    return ImageCredit(
        use.path,
        use.credit or entry.credit_in(lang),
        use.status or entry.status or "final",
        entry.creator,
        entry.licence,
        entry.source,
        tuple(entry.rights),
        entry.expires,
        ledgered=True,
    )


FpoPolicy = Literal["allow", "warn", "error"]


def image_findings(
    uses: list[ImageUse],
    ledger: Ledger,
    usage: Usage | None,
    fpo: FpoPolicy,
    today: dt.date | None = None,
) -> list[Diagnostic]:
    """What preflight says about the images of one document in one format.

    ``usage`` is what the format's output is for (print, screen, archive; None: no
    rights check); ``fpo`` what FPO art gets in it (an error for the printer).
    """
    today = today or dt.date.today()
    found: list[Diagnostic] = []
    for use in uses:
        credit = credit_for(use, ledger)
        entry = ledger.entry_for(use.path)
        name = display_path(use.path, ledger.root)
        where = f"{use.field}.status" if use.field != "body" else "body"

        if credit.fpo and fpo != "allow":
            hint = (
                "the printer must never receive FPO art: place the final art, or allow it "
                "with allow_fpo in the edition file (or fpo: allow in the format)"
                if fpo == "error"
                else "replace it with the final art before the edition goes out"
            )
            said = "" if use.status else f" ({ledger.where(entry[1])}: status: fpo)"
            found.append(
                Diagnostic(
                    use.source,
                    use.line,
                    where,
                    f"'{name}' is FPO art (for position only){said}; {hint}",
                    "error" if fpo == "error" else "warning",  # the policy, as a severity
                )
            )
        if entry is not None:
            record, line = entry
            if usage is not None and usage not in record.rights:
                found.append(
                    Diagnostic(
                        use.source,
                        use.line,
                        use.field,
                        f"'{name}' is not cleared for {usage} use ({ledger.where(line)}: "
                        f"rights: {', '.join(record.rights) or 'none'})",
                    )
                )
            if record.expires is not None and record.expires < today:
                found.append(
                    Diagnostic(
                        use.source,
                        use.line,
                        use.field,
                        f"the rights to '{name}' expired on {record.expires.isoformat()} "
                        f"({ledger.where(line)}: expires)",
                    )
                )
            # A credit agrees when it is the ledger's, one of its translations, or keeps
            # the ledger's words ("رسم جانيت خوري (Illustration by Jeanette Khouri)").
            agreed = [record.credit.strip(), *record.translations.values()]
            if use.credit and not any(words in use.credit for words in agreed):
                found.append(
                    Diagnostic(
                        use.source,
                        use.line,
                        f"{use.field}.credit" if use.field != "body" else "body",
                        f"the credit '{use.credit}' differs from the ledger's "
                        f"'{record.credit}' ({ledger.where(line)}); the written one is printed",
                        "warning",
                    )
                )
        elif not (use.credit or "").strip():
            found.append(
                Diagnostic(
                    use.source,
                    use.line,
                    use.field,
                    f"image '{name}' has no credit and no entry in {LEDGER_FILE}; give it "
                    'a credit (![alt](src "Photo: Name")) or list it in the ledger',
                    "warning",
                )
            )
    return found


def usage_of(format_name: str, declared: Usage | None) -> Usage | None:
    """What a format's output is for: as declared, else its name when it is one."""
    if declared is not None:
        return declared
    return format_name if format_name in USAGES else None  # type: ignore[return-value]


# XMP: every picture of a document, with its creator, credit line and licence, in a
# small schema of pressroom's own (described for PDF/A, which admits only schemas it
# knows or that the file describes), plus the creators as Dublin Core contributors.
XMP_NAMESPACE = "http://ns.pressroom.invalid/credits/1.0/"
XMP_IMAGE_NAMESPACE = "http://ns.pressroom.invalid/credits/1.0/image/"
_XMP_FIELDS = {
    "file": "The picture's file, from the workspace root",
    "creator": "Who made the picture",
    "credit": "The credit line printed with it",
    "licence": "The licence it is used under",
    "source": "Where it came from",
    "status": "final, or fpo: a stand-in for position only",
}


def xmp_credits(records: list[dict], describe_schema: bool) -> bytes:
    """``rdf:Description`` elements for a document's pictures (``records`` as
    ``layouts.image_records`` makes them), to go inside the XMP packet's ``rdf:RDF``."""
    from xml.sax.saxutils import escape

    items = []
    for record in records:
        fields = "".join(
            f"<pressroomImage:{name}>{escape(str(record.get(name) or ''))}</pressroomImage:{name}>"
            for name in _XMP_FIELDS
        )
        items.append(f'<rdf:li rdf:parseType="Resource">{fields}</rdf:li>')
    creators = dict.fromkeys(r["creator"] for r in records if r.get("creator"))
    contributors = "".join(f"<rdf:li>{escape(name)}</rdf:li>" for name in creators)
    parts = [
        f'<rdf:Description rdf:about="" xmlns:pressroom="{XMP_NAMESPACE}" '
        f'xmlns:pressroomImage="{XMP_IMAGE_NAMESPACE}">'
        f"<pressroom:images><rdf:Seq>{''.join(items)}</rdf:Seq></pressroom:images>"
        "</rdf:Description>"
    ]
    if contributors:
        parts.append(
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:contributor><rdf:Bag>{contributors}</rdf:Bag></dc:contributor>"
            "</rdf:Description>"
        )
    if describe_schema:
        parts.append(_pdfa_extension())
    return "".join(parts).encode("utf-8")


def _pdfa_extension() -> str:
    fields = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaField:name>{name}</pdfaField:name>"
        "<pdfaField:valueType>Text</pdfaField:valueType>"
        f"<pdfaField:description>{text}</pdfaField:description></rdf:li>"
        for name, text in _XMP_FIELDS.items()
    )
    return (
        '<rdf:Description rdf:about="" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#" '
        'xmlns:pdfaType="http://www.aiim.org/pdfa/ns/type#" '
        'xmlns:pdfaField="http://www.aiim.org/pdfa/ns/field#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>pressroom picture credits</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>pressroom</pdfaSchema:prefix>"
        '<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
        "<pdfaProperty:name>images</pdfaProperty:name>"
        "<pdfaProperty:valueType>Seq Image</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>Every picture in the document, credited"
        "</pdfaProperty:description></rdf:li></rdf:Seq></pdfaSchema:property>"
        '<pdfaSchema:valueType><rdf:Seq><rdf:li rdf:parseType="Resource">'
        "<pdfaType:type>Image</pdfaType:type>"
        f"<pdfaType:namespaceURI>{XMP_IMAGE_NAMESPACE}</pdfaType:namespaceURI>"
        "<pdfaType:prefix>pressroomImage</pdfaType:prefix>"
        "<pdfaType:description>A picture and its credit</pdfaType:description>"
        f"<pdfaType:field><rdf:Seq>{fields}</rdf:Seq></pdfaType:field>"
        "</rdf:li></rdf:Seq></pdfaSchema:valueType>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
    )
