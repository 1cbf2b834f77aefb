"""Visual proofs: contact sheets of a PDF's pages, and page-by-page differences.

Pages are rasterised with PDFium (pypdfium2) and composed with Pillow. A contact
sheet shows the pages as a reader meets them: the first page alone on the right
(a recto), then facing pages side by side; in a right-to-left document the first
page sits on the left and spreads read from right to left.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from .diagnostics import PressroomError

BACKGROUND = (226, 226, 222)
LABEL = (90, 90, 90)
CHANGE = (230, 30, 60)


def rasterise(pdf: bytes | Path, scale: float, pages: list[int] | None = None) -> list[Image.Image]:
    """Pages as RGB images (``scale`` 1 = 72 dpi); all pages, or the given indexes."""
    import pypdfium2

    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise PressroomError(f"not a readable PDF: {error}") from None
    try:
        wanted = range(len(document)) if pages is None else pages
        return [document[i].render(scale=scale).to_pil().convert("RGB") for i in wanted]
    finally:
        document.close()


def page_count(pdf: bytes | Path) -> int:
    return len(page_labels(pdf))


def page_labels(pdf: bytes | Path) -> list[str]:
    """Each page's number as a reader sees it: the PDF's page label (a screen edition
    skips the folio of a page left out), else its position."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.read_bytes() if isinstance(pdf, Path) else pdf)
    try:
        return [document.get_page_label(i) or str(i + 1) for i in range(len(document))]
    finally:
        document.close()


def spreads(count: int, first_alone: bool = True) -> list[list[int | None]]:
    """Page indexes as a reader sees them: [None, 0], [1, 2], [3, 4]... (None: no page)."""
    rows: list[list[int | None]] = []
    index = 0
    if first_alone and count:
        rows.append([None, 0])
        index = 1
    while index < count:
        rows.append([index, index + 1 if index + 1 < count else None])
        index += 2
    return rows


def contact_sheet(
    pdf: bytes | Path,
    width: int = 1600,
    columns: int = 3,
    rtl: bool = False,
    title: str = "",
) -> Image.Image:
    """All pages as thumbnails, spreads side by side, ``columns`` spreads per row."""
    labels = page_labels(pdf)
    count = len(labels)
    if count == 0:
        raise PressroomError("the PDF has no pages")
    margin, gap, label_height = 24, 28, 18
    spread_width = (width - 2 * margin - (columns - 1) * gap) // columns
    first = rasterise(pdf, 1.0, [0])[0]
    scale = (spread_width / 2) / first.width
    images = rasterise(pdf, scale)
    page_w = max(im.width for im in images)
    page_h = max(im.height for im in images)
    rows_of_spreads = spreads(count)
    rows = (len(rows_of_spreads) + columns - 1) // columns
    top = margin + (label_height + 12 if title else 0)
    height = top + rows * (page_h + label_height + gap) - gap + margin
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(13)
    if title:
        draw.text((margin, margin), title, fill=(30, 30, 30), font=_font(16))
    for number, pair in enumerate(rows_of_spreads):
        row, column = divmod(number, columns)
        x = margin + column * (spread_width + gap)
        y = top + row * (page_h + label_height + gap)
        sides = list(reversed(pair)) if rtl else pair
        for side, index in enumerate(sides):
            if index is None:
                continue
            image = images[index]
            left = x + side * page_w
            sheet.paste(image, (left, y))
            draw.rectangle(
                (left, y, left + image.width - 1, y + image.height - 1), outline=(150, 150, 150)
            )
            text = labels[index]
            draw.text((left + image.width // 2 - 4, y + page_h + 3), text, fill=LABEL, font=font)
    return sheet


@dataclass
class PageDifference:
    page: int  # 1-based
    changed: bool
    pixels: int  # how many pixels differ
    image: Image.Image | None = None  # the new page, faded, with the changes in red
    note: str = ""  # a page only one of the PDFs has


def differences(old: bytes | Path, new: bytes | Path, scale: float = 1.0) -> list[PageDifference]:
    """Compare two PDFs page by page; every page of either, changed or not."""
    before, after = rasterise(old, scale), rasterise(new, scale)
    results = []
    for index in range(max(len(before), len(after))):
        number = index + 1
        if index >= len(before):
            results.append(PageDifference(number, True, 0, _faded(after[index]), "added"))
            continue
        if index >= len(after):
            results.append(PageDifference(number, True, 0, _faded(before[index]), "removed"))
            continue
        a, b = before[index], after[index]
        if a.size != b.size:
            results.append(PageDifference(number, True, 0, _faded(b), "page size changed"))
            continue
        mask = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 24 else 0)
        pixels = mask.histogram()[255]
        if not pixels:
            results.append(PageDifference(number, False, 0))
            continue
        marked = _faded(b)
        grown = mask.filter(_grow())  # a changed letter is a few pixels: make it visible
        marked.paste(Image.new("RGB", b.size, CHANGE), (0, 0), grown)
        results.append(PageDifference(number, True, pixels, marked))
    return results


def _faded(image: Image.Image) -> Image.Image:
    return Image.blend(image, Image.new("RGB", image.size, (255, 255, 255)), 0.6)


def _grow():
    from PIL import ImageFilter

    return ImageFilter.MaxFilter(5)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
