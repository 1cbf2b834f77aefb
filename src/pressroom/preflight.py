"""Preflight: the checks a print shop runs before a job goes to press.

Two kinds of check. Content checks read a profile (``content_findings``): characters
no font of the layout can set (they would print in a fallback font, or as boxes),
a timeline out of chronological order, body images without a credit. PDF checks
read the finished file (``pdf_findings``), page by page: fonts not embedded or not
the layout's own, text that runs off the page, images below 300 ppi at their placed
size in print, colour spaces that do not suit the format, RGB colour in a CMYK
print output, pages larger than PDF viewers accept.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .config import builtin_root
from .content import Profile
from .diagnostics import Diagnostic
from .formats import OutputFormat
from .markup import image_references

PRINT_PPI = 300
MAX_PAGE_POINTS = 14_400  # 200 in: the largest page PDF viewers and RIPs accept
_FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


@dataclass(frozen=True)
class Finding:
    """One preflight problem in a PDF: on which page, how serious, what."""

    page: int | None
    message: str
    severity: str = "warning"

    def format(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        return f"preflight: {where}{self.severity}: {self.message}"


@functools.cache
def _font_coverage(folders: tuple[Path, ...]) -> tuple[frozenset[int], tuple[str, ...]]:
    """Every code point the fonts in ``folders`` can set, and their family names."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    families: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in _FONT_SUFFIXES:
                continue
            with TTFont(path, lazy=True) as font:
                points.update(font.getBestCmap() or {})
                names = font["name"]
                family = names.getDebugName(16) or names.getDebugName(1) or path.stem
                families.add(re.sub(r"\s+\d+$", "", family))  # "EB Garamond 12" -> "EB Garamond"
    return frozenset(points), tuple(sorted(families))


def layout_fonts() -> tuple[frozenset[int], tuple[str, ...]]:
    return _font_coverage((builtin_root() / "assets" / "fonts",))


def content_findings(profile: Profile) -> list[Diagnostic]:
    """Problems in a profile that preflight finds before rendering."""
    found: list[Diagnostic] = []
    meta = profile.meta
    source = profile.source

    dates = [event.date for event in meta.timeline]
    for index in range(1, len(dates)):
        if dates[index] < dates[index - 1]:
            found.append(
                Diagnostic(
                    source,
                    profile.line_of(("timeline", index)),
                    f"timeline[{index}].date",
                    f"{dates[index]} comes after {dates[index - 1]}: the timeline is out of "
                    "chronological order",
                    "warning",
                )
            )

    for image in image_references(profile.body, profile.body_line):
        if not image.title.strip():
            found.append(
                Diagnostic(
                    source,
                    image.line,
                    "body",
                    f"image '{image.src}' has no credit; give it a title: "
                    '![alt](src "Photo: Name")',
                    "warning",
                )
            )

    covered, families = layout_fonts()
    texts = [
        (("title",), meta.title),
        (("dek",), meta.dek or ""),
        (("kicker",), meta.kicker or ""),
        (("byline",), meta.byline or ""),
        *((("facts", i), f"{f.label} {f.value}") for i, f in enumerate(meta.facts)),
        *((("timeline", i), e.event) for i, e in enumerate(meta.timeline)),
    ]
    if meta.illustration:
        texts.append(
            (("illustration",), f"{meta.illustration.credit} {meta.illustration.caption or ''}")
        )
    reported: set[str] = set()
    for path, text in texts:
        _glyph_findings(text, profile.line_of(path), covered, families, source, reported, found)
    for number, line in enumerate(profile.body.splitlines(), start=profile.body_line):
        _glyph_findings(line, number, covered, families, source, reported, found)
    return found


def _glyph_findings(text, line, covered, families, source, reported, found) -> None:
    for char in text:
        if char.isspace() or ord(char) in covered or char in reported:
            continue
        if ord(char) < 0x20 or 0xFE00 <= ord(char) <= 0xFE0F:  # controls, variation selectors
            continue
        reported.add(char)
        found.append(
            Diagnostic(
                source,
                line,
                None,
                f"no glyph for '{char}' (U+{ord(char):04X}) in the layout's fonts "
                f"({', '.join(families)}): it would print in a fallback font or as a box",
                "warning",
            )
        )


def pdf_findings(pdf: bytes, fmt: OutputFormat) -> list[Finding]:
    """Problems in a finished PDF, page by page."""
    import pdfplumber
    import pypdf

    findings: list[Finding] = []
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    _, families = layout_fonts()
    allowed = {re.sub(r"[^a-z]", "", family.lower()) for family in families}
    for name, embedded in _document_fonts(reader):
        if not embedded:
            findings.append(Finding(None, f"font {name} is not embedded", "error"))
    reported: set[str] = set()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            box = reader.pages[number - 1].mediabox
            if max(float(box.width), float(box.height)) > MAX_PAGE_POINTS:
                size = f"{float(box.width) / 72:,.0f} x {float(box.height) / 72:,.0f} in"
                findings.append(
                    Finding(
                        number,
                        f"the page is {size}; PDF viewers and printers accept at most 200 x 200 in",
                        "error",
                    )
                )
                continue  # nothing else on such a page is worth reading
            for char in page.chars:
                name = char["fontname"]
                plain = re.sub(r"[^a-z]", "", name.split("+")[-1].lower())  # EB-Garamond-Italic
                if name in reported or any(plain.startswith(family) for family in allowed):
                    continue
                reported.add(name)
                findings.append(
                    Finding(
                        number,
                        f"'{char['text']}' (U+{ord(char['text'][0]):04X}) is set in "
                        f"{name.split('+')[-1]}, not in one of the layout's fonts "
                        f"({', '.join(families)})",
                    )
                )
            findings += _page_findings(number, page, reader.pages[number - 1], fmt)
    return findings


def _document_fonts(reader) -> list[tuple[str, bool]]:
    """Every font of the document (once) and whether its glyphs are embedded."""
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        for name, embedded in _page_fonts(page):
            fonts[name] = fonts.get(name, True) and embedded
    return sorted(fonts.items())


def _page_fonts(page) -> list[tuple[str, bool]]:
    fonts = []
    resources = page.get("/Resources") or {}
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        if descriptor is None:  # Type 3 fonts carry their glyphs inline
            fonts.append((str(font.get("/BaseFont", "Type3")), True))
            continue
        descriptor = descriptor.get_object()
        embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        fonts.append((str(font["/BaseFont"]).lstrip("/"), embedded))
    return fonts


def _page_findings(number: int, page, raw_page, fmt: OutputFormat) -> list[Finding]:
    findings = []
    trim = raw_page.trimbox
    left = float(trim.left) - float(raw_page.mediabox.left)
    right = left + float(trim.width)
    top = float(raw_page.mediabox.top) - float(trim.top)
    bottom = top + float(trim.height)
    outside = [
        c for c in page.chars
        if c["x1"] > right + 0.5 or c["x0"] < left - 0.5 or c["bottom"] > bottom + 0.5
        or c["top"] < top - 0.5
    ]  # fmt: skip
    if outside:
        sample = "".join(c["text"] for c in outside[:24]).strip()
        findings.append(
            Finding(
                number,
                f"text runs off the page ({len(outside)} characters, starting '{sample}')",
                "error",
            )
        )
    for image in page.images:
        width_in = (image["x1"] - image["x0"]) / 72
        pixels = (image.get("srcsize") or (0, 0))[0]
        space = str(image.get("colorspace") or "")
        if fmt.color == "cmyk" and width_in > 0 and pixels / width_in < PRINT_PPI:
            findings.append(
                Finding(
                    number,
                    f"an image is {pixels / width_in:.0f} ppi at its placed size "
                    f"({pixels} px over {width_in * 25.4:.0f} mm); print needs "
                    f"{PRINT_PPI}",
                )
            )
        if fmt.color == "cmyk" and "RGB" in space:
            findings.append(Finding(number, "an RGB image in a CMYK print output"))
        if fmt.color == "rgb" and "CMYK" in space:
            findings.append(Finding(number, "a CMYK image in an RGB output (colours will shift)"))
    if fmt.color == "cmyk" and _uses_rgb(raw_page):
        findings.append(
            Finding(number, "RGB colours (in vector art or text) in a CMYK print output")
        )
    return findings


def _uses_rgb(page) -> bool:
    """Whether a page's content sets an RGB colour (registration-black marks aside)."""
    import pypdf.generic

    seen: set[int] = set()

    def walk(stream, resources) -> bool:
        if id(stream) in seen:
            return False
        seen.add(id(stream))
        content = (
            stream
            if isinstance(stream, pypdf.generic.ContentStream)
            else pypdf.generic.ContentStream(stream, page.pdf)
        )
        forms = (resources or {}).get("/XObject") or {}
        for operands, operator in content.operations:
            if operator in (b"rg", b"RG") and [float(o) for o in operands] != [0, 0, 0]:
                return True
            if operator == b"Do" and operands and operands[0] in forms:
                form = forms[operands[0]].get_object()  # only what this page draws
                if form.get("/Subtype") == "/Form" and walk(form, form.get("/Resources")):
                    return True
        return False

    contents = page.get_contents()
    return contents is not None and walk(contents, page.get("/Resources"))
