"""Preflight: the checks a print shop runs before a job goes to press.

Two kinds of check. Content checks read a profile (``content_findings``): characters
no font of the layout can set (they would print in a fallback font, or as boxes),
a timeline out of chronological order, and per format the pictures' status and
rights (FPO art in print, an expired licence, an image nobody credited). PDF checks
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
from .credits import ImageUse, image_findings, load_ledger, usage_of
from .diagnostics import Diagnostic, Message, Severity
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
    severity: Severity = "warning"

    def format(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        return f"preflight: {where}{self.severity}: {self.message}"

    def as_message(self) -> Message:
        return Message(self.format(), self.severity, "preflight")


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


def content_findings(
    profile: Profile, fmt: OutputFormat | None = None, allow_fpo: bool = False
) -> list[Diagnostic]:
    """Problems in a profile that preflight finds before rendering; with ``fmt``, also
    its pictures' status and rights in that format (see :func:`art_findings`)."""
    found: list[Diagnostic] = []
    meta = profile.meta
    source = profile.source

    dates = [event.date for event in meta.timeline]
    for index in range(1, len(dates)):
        if dates[index].before(dates[index - 1]):
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

    if fmt is not None:
        found += art_findings(profile.image_uses(), profile.workspace.root, fmt, allow_fpo)
        for image in image_references(profile.body, profile.body_line):
            if image.src.startswith("data:") and not image.title.strip():
                message = (  # never the URL itself: it can be megabytes of base64
                    "an inline data: image has no credit; give it one: "
                    '![alt](data:... "Photo: Name")'
                )
                found.append(Diagnostic(source, image.line, "body", message, "warning"))

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


def art_findings(
    uses: list[ImageUse], root: Path, fmt: OutputFormat, allow_fpo: bool = False
) -> list[Diagnostic]:
    """FPO art, rights and credits of a document's pictures, for one format: FPO art is
    what the format says (an error in print) unless the edition allows it."""
    usage = usage_of(fmt.name, fmt.usage)
    return image_findings(uses, load_ledger(root), usage, "allow" if allow_fpo else fmt.fpo)


@dataclass
class ProfilePreflight:
    """A rendered profile's preflight, as ``build`` and ``render`` run it: findings in its
    PDF (its layout problems are errors) and in its content."""

    findings: list[Finding]
    content: list[Diagnostic]

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings) or any(
            d.is_error for d in self.content
        )

    @property
    def has_warnings(self) -> bool:
        return any(f.severity == "warning" for f in self.findings) or any(
            not d.is_error for d in self.content
        )

    def messages(self, root: Path) -> list[Message]:
        return [f.as_message() for f in self.findings] + format_content_findings(self.content, root)


def rendered_findings(result, fmt: OutputFormat) -> list[Finding]:
    """What preflight finds in a laid-out document (``result``: a ``RenderResult``): its
    layout problems (errors), crops that cut a focal point (warnings), then the PDF's."""
    found = [Finding(page, message, "error") for page, message in result.layout_problems]
    found += [Finding(page, message, "warning") for page, message in result.layout_warnings]
    return found + pdf_findings(result.pdf, fmt)


def preflight_profile(
    result, profile: Profile, fmt: OutputFormat, allow_fpo: bool = False
) -> ProfilePreflight:
    """Preflight a rendered profile: on its own (``build``, ``render``) or as an edition's
    piece (with the edition's ``allow_fpo``)."""
    return ProfilePreflight(
        rendered_findings(result, fmt), content_findings(profile, fmt, allow_fpo)
    )


def format_content_findings(found: list[Diagnostic], root: Path) -> list[Message]:
    """``preflight: file:line: field: error: message``, as build reports carry them."""
    lines = []
    for diagnostic in found:
        text = diagnostic.format(root)
        if diagnostic.is_error:
            head = text.removesuffix(diagnostic.message)
            text = f"{head}error: {diagnostic.message}"
        lines.append(Message("preflight: " + text, diagnostic.severity, "preflight"))
    return lines


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
    """Problems in a finished PDF, page by page.

    Text and images are read with PDFium (pypdfium2): an order of magnitude faster
    than a pure-Python parser, which matters when every output of a build is checked.
    """
    import pikepdf
    import pypdfium2

    findings: list[Finding] = []
    reader = pikepdf.open(io.BytesIO(pdf))  # the objects: fonts, colour operators
    _, families = layout_fonts()
    allowed = {re.sub(r"[^a-z]", "", family.lower()) for family in families}
    for name, embedded in _document_fonts(reader):
        if not embedded:
            findings.append(Finding(None, f"font {name} is not embedded", "error"))
    reported: set[str] = set()
    is_pdfx = (fmt.pdf_variant or "").lower() == "pdf/x-4"
    rgb_matters = fmt.color == "cmyk" and not is_pdfx  # PDF/X-4: an error, from pdfx_findings
    seen: set[tuple[int, int]] = set()  # forms and patterns shared by pages: read once
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(1, len(document) + 1):
            page = document[number - 1]
            width, height = page.get_size()
            if max(width, height) > MAX_PAGE_POINTS:
                size = f"{width / 72:,.0f} x {height / 72:,.0f} in"
                message = (
                    f"the page is {size}; PDF viewers and printers accept at most 200 x 200 in"
                )
                findings.append(Finding(number, message, "error"))
                continue  # nothing else on such a page is worth reading
            box = page.get_trimbox()
            text = page.get_textpage()
            # Characters are read one by one (slow, from Python) only on a page whose
            # text runs reach outside the trim box or which uses a font the layout does
            # not ship; most pages are cleared by their line boxes and font list.
            foreign = [
                name
                for name, _ in _page_fonts(reader.pages[number - 1])
                if not _is_layout_font(name, allowed)
            ]
            if foreign or _runs_outside(text, box):
                findings += _char_findings(number, text, box, allowed, families, reported)
            findings += _image_findings(number, page, fmt)
            # RGB images have their own finding (above); the rest is named here.
            where = _rgb_objects(reader.pages[number - 1].obj, seen) if rgb_matters else set()
            if where - {"an image"}:
                kinds = ", ".join(sorted(where - {"an image"}))
                findings.append(Finding(number, f"RGB colours (in {kinds}) in a CMYK print output"))
    finally:
        document.close()
    if is_pdfx:
        findings += pdfx_findings(reader)
    return findings


def _is_layout_font(name: str, allowed: set[str]) -> bool:
    plain = re.sub(r"[^a-z]", "", name.split("+")[-1].lower())  # ABCDEF+EB-Garamond-Italic
    return any(plain.startswith(family) for family in allowed)


def _runs_outside(text, box) -> bool:
    """Whether a rectangle of the page's text (PDFium merges characters into runs)
    reaches outside ``box``."""
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = box
    for index in range(pdfium_c.FPDFText_CountRects(text.raw, 0, -1)):
        x0, y1, x1, y0 = text.get_rect(index)  # left, top, right, bottom
        if x1 > right + 0.5 or x0 < left - 0.5 or y0 < bottom - 0.5 or y1 > top + 0.5:
            return True
    return False


def _char_findings(number, text, box, allowed, families, reported) -> list[Finding]:
    """Characters outside the trim box, and characters set in fonts the layout lacks."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    findings = []
    left, bottom, right, top = box
    buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    outside = []
    for index in range(text.count_chars()):
        char = text.get_text_range(index, 1)
        if not char.strip():
            continue
        x0, y0, x1, y1 = text.get_charbox(index)
        if x1 > right + 0.5 or x0 < left - 0.5 or y0 < bottom - 0.5 or y1 > top + 0.5:
            outside.append(char)
        pdfium_c.FPDFText_GetFontInfo(text.raw, index, buffer, 256, ctypes.byref(flags))
        name = buffer.value.decode("latin-1")
        if name in reported or _is_layout_font(name, allowed):
            continue
        reported.add(name)
        findings.append(
            Finding(
                number,
                f"'{char}' (U+{ord(char[0]):04X}) is set in {name.split('+')[-1]}, "
                f"not in one of the layout's fonts ({', '.join(families)})",
            )
        )
    if outside:
        sample = "".join(outside[:24])
        findings.append(
            Finding(
                number,
                f"text runs off the page ({len(outside)} characters, starting '{sample}')",
                "error",
            )
        )
    return findings


def _image_findings(number: int, page, fmt: OutputFormat) -> list[Finding]:
    import pypdfium2.raw as pdfium_c

    findings = []
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        x0, _, x1, _ = image.get_bounds()
        width_in = (x1 - x0) / 72
        pixels = image.get_px_size()[0]
        space = image.get_metadata().colorspace
        if fmt.color == "cmyk" and width_in > 0 and pixels / width_in < PRINT_PPI:
            findings.append(
                Finding(
                    number,
                    f"an image is {pixels / width_in:.0f} ppi at its placed size ({pixels} px "
                    f"over {width_in * 25.4:.0f} mm); print needs {PRINT_PPI}",
                )
            )
        rgb = space in (pdfium_c.FPDF_COLORSPACE_DEVICERGB, pdfium_c.FPDF_COLORSPACE_CALRGB)
        if fmt.color == "cmyk" and rgb and (fmt.pdf_variant or "").lower() != "pdf/x-4":
            findings.append(Finding(number, "an RGB image in a CMYK print output"))  # error
        if fmt.color == "rgb" and space == pdfium_c.FPDF_COLORSPACE_DEVICECMYK:
            findings.append(Finding(number, "a CMYK image in an RGB output (colours will shift)"))
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
    resources = page.obj.get("/Resources") or {}
    for font in (resources.get("/Font") or {}).values():
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font.DescendantFonts[0].get("/FontDescriptor")
        if descriptor is None:  # Type 3 fonts carry their glyphs inline
            fonts.append((str(font.get("/BaseFont", "Type3")).lstrip("/"), True))
            continue
        embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        fonts.append((str(font.BaseFont).lstrip("/"), embedded))
    return fonts


_RGB_OPERATOR = re.compile(rb"(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(?:rg|RG)\b")
_RGB_SPACE_OPERATOR = re.compile(rb"/DeviceRGB\s+(?:cs|CS)\b")
_PRINTER_ANNOTATIONS = {"/PrinterMark", "/TrapNet"}


def pdfx_findings(reader) -> list[Finding]:
    """PDF/X-4 (ISO 15930-7) as far as it can be read from the objects; every finding is
    an error. No open validator covers PDF/X, so pressroom checks what a printer's
    preflight rejects first: the identification keys (Info and XMP), the output intent,
    the page boxes, RGB anywhere (content, images, shadings, transparency groups),
    annotations other than printer's marks, and JavaScript."""
    import pikepdf

    found: list[Finding] = []

    def error(page, message):
        found.append(Finding(page, message, "error"))

    info = reader.trailer.get("/Info") or pikepdf.Dictionary()
    if str(info.get("/GTS_PDFXVersion", "")) != "PDF/X-4":
        error(None, "PDF/X-4: the Info dictionary lacks /GTS_PDFXVersion (PDF/X-4)")
    if str(info.get("/Trapped", "")) not in ("/True", "/False"):
        error(None, "PDF/X-4: the Info dictionary's /Trapped must be /True or /False")
    with reader.open_metadata(set_pikepdf_as_editor=False) as xmp:
        if xmp.get("pdfxid:GTS_PDFXVersion") != "PDF/X-4":
            error(None, "PDF/X-4: the XMP metadata lacks pdfxid:GTS_PDFXVersion (PDF/X-4)")
    intents = [i for i in reader.Root.get("/OutputIntents") or [] if i.get("/S") == "/GTS_PDFX"]
    if not intents or "/DestOutputProfile" not in intents[0]:
        error(None, "PDF/X-4: no /GTS_PDFX output intent with a destination ICC profile")
    elif int(intents[0].DestOutputProfile.get("/N", 0)) != 4:
        error(None, "PDF/X-4: the output intent's ICC profile is not a CMYK profile")
    names = reader.Root.get("/Names") or pikepdf.Dictionary()
    action = reader.Root.get("/OpenAction")
    if (
        "/JavaScript" in names
        or "/AA" in reader.Root
        or (isinstance(action, pikepdf.Dictionary) and action.get("/S") == "/JavaScript")
    ):
        error(None, "PDF/X-4: the document carries JavaScript or automatic actions")
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(reader.pages, start=1):
        for problem in _box_problems(page.obj):
            error(number, f"PDF/X-4: {problem}")
        kinds = {str(a.get("/Subtype")) for a in page.obj.get("/Annots") or []}
        if kinds - _PRINTER_ANNOTATIONS:
            error(number, f"PDF/X-4: annotations ({', '.join(sorted(kinds))}) on a print page")
        where = _rgb_objects(page.obj, seen)
        if where:
            error(number, f"PDF/X-4: RGB colour in {', '.join(sorted(where))}")
    return found


def _box_problems(page) -> list[str]:
    def box(name):
        value = page.get(name)
        return [float(v) for v in value] if value is not None else None

    media, trim, bleed = box("/MediaBox"), box("/TrimBox"), box("/BleedBox")
    if trim is None and box("/ArtBox") is None:
        return ["the page has no TrimBox"]
    bleed = bleed or trim
    inside = lambda inner, outer: (  # noqa: E731
        inner[0] >= outer[0] - 0.01
        and inner[1] >= outer[1] - 0.01
        and inner[2] <= outer[2] + 0.01
        and inner[3] <= outer[3] + 0.01
    )
    problems = []
    if trim and not inside(trim, bleed):
        problems.append("the TrimBox reaches outside the BleedBox")
    if not inside(bleed, media):
        problems.append("the BleedBox reaches outside the MediaBox")
    return problems


def _is_rgb_space(space) -> bool:
    import pikepdf

    if isinstance(space, pikepdf.Name):
        return str(space) in ("/DeviceRGB", "/CalRGB")
    if isinstance(space, pikepdf.Array) and len(space):
        family = str(space[0])
        if family == "/ICCBased":
            return int(space[1].get("/N", 0)) == 3
        if family == "/Indexed":
            return _is_rgb_space(space[1])
        if family in ("/Separation", "/DeviceN"):
            return _is_rgb_space(space[2])  # the alternate space
        return family == "/CalRGB"
    return False


def _rgb_objects(owner, seen: set) -> set[str]:
    """Kinds of object that use RGB in ``owner`` (a page, form or pattern) and below."""
    import pikepdf

    where: set[str] = set()
    group = owner.get("/Group")
    if isinstance(group, pikepdf.Dictionary) and _is_rgb_space(group.get("/CS")):
        where.add("a transparency group")
    if isinstance(owner, pikepdf.Stream) or "/Contents" in owner:
        contents = owner.get("/Contents") if "/Contents" in owner else owner
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        data = b"\n".join(s.read_bytes() for s in streams if isinstance(s, pikepdf.Stream))
        if _RGB_OPERATOR.search(data) or _RGB_SPACE_OPERATOR.search(data):
            where.add("vector art or text")
    resources = owner.get("/Resources") or pikepdf.Dictionary()
    if any(_is_rgb_space(s) for s in (resources.get("/ColorSpace") or {}).values()):
        where.add("a colour space")
    shadings = list((resources.get("/Shading") or {}).values())
    for pattern in (resources.get("/Pattern") or {}).values():
        if "/Shading" in pattern:
            shadings.append(pattern.Shading)
        elif pattern.objgen not in seen:
            seen.add(pattern.objgen)
            where |= _rgb_objects(pattern, seen)
    if any(_is_rgb_space(s.get("/ColorSpace")) for s in shadings):
        where.add("a gradient")
    for state in (resources.get("/ExtGState") or {}).values():
        mask = state.get("/SMask")
        if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and mask.G.objgen not in seen:
            seen.add(mask.G.objgen)
            where |= _rgb_objects(mask.G, seen)
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.objgen in seen and xobject.is_indirect:
            continue
        seen.add(xobject.objgen)
        if xobject.get("/Subtype") == "/Image" and _is_rgb_space(xobject.get("/ColorSpace")):
            where.add("an image")
        elif xobject.get("/Subtype") == "/Form":
            where |= _rgb_objects(xobject, seen)
    return where
