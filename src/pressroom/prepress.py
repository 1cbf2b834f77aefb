"""What a print PDF needs once WeasyPrint has written it.

- **Colour.** Everything drawn in RGB (SVG art, gradients, raster images, colours a
  designer wrote as ``#rrggbb``) is converted to CMYK through the output intent's ICC
  profile, with littleCMS (Pillow's ImageCms): relative colorimetric with black-point
  compensation. Neutral greys, black text among them, go to the black ink alone, as a
  prepress desk would set them (no four-colour grey to misregister). Images already in
  CMYK stay as they are. Transparency groups blend in CMYK.
- **Marks.** Crop marks and registration targets are drawn in the registration colour
  (every separation) in a slug outside the bleed, offset from the trim by more than the
  bleed, on a MediaBox grown to hold them; TrimBox and BleedBox stay where they were.
- **PDF/X-4 keys** WeasyPrint leaves out: ``/GTS_PDFXVersion`` and ``/Trapped`` in Info.

pikepdf parses and rewrites the content streams; the result is saved with a
deterministic id, so the same input gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zlib
from decimal import Decimal
from pathlib import Path

import pikepdf

MM = 72 / 25.4
MARK_OFFSET = 2 * MM  # beyond the bleed: crop marks start this far out
MARK_LENGTH = 5 * MM
SLUG = 12 * MM  # from the trim to the MediaBox edge; holds the marks
TARGET_RADIUS = 2.5 * MM
TARGET_ARM = 1.25 * TARGET_RADIUS  # the cross reaches a little past the circle
MARK_WIDTH = 0.25  # points
_RGB_SPACES = {"/DeviceRGB", "/CalRGB"}


def finish(pdf: bytes, icc: Path | None, marks: list[str]) -> bytes:
    """``pdf`` converted to CMYK through ``icc`` (when given), with ``marks`` ("crop",
    "cross") in a slug, and the PDF/X keys in Info."""
    document = pikepdf.open(io.BytesIO(pdf))
    if icc is not None:
        _Converter(document, icc.read_bytes()).run()
        info = document.trailer.get("/Info")
        if info is not None:
            info.GTS_PDFXVersion = pikepdf.String("PDF/X-4")
            info.Trapped = pikepdf.Name("/False")
    if marks:
        registration = _registration_space(document)
        for page in document.pages:
            _draw_marks(document, page, marks, registration)
    out = io.BytesIO()
    document.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


# ---------- Colour ----------


@functools.lru_cache(maxsize=8)
def _transform(icc_digest: str, icc: bytes):
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


class _Converter:
    def __init__(self, document: pikepdf.Pdf, icc: bytes) -> None:
        self.document = document
        self.transform = _transform(hashlib.sha256(icc).hexdigest(), icc)
        self.colours: dict[tuple, tuple] = {}
        self.done: set[tuple[int, int]] = set()
        self.resources: list[pikepdf.Dictionary] = []

    def run(self) -> None:
        for page in self.document.pages:
            self._group(page.obj)
            resources = page.obj.get("/Resources")
            self._resources(resources)
            page.contents_coalesce()
            self._content(page.obj.Contents, resources)
        for resources in self.resources:
            for name, space in list((resources.get("/ColorSpace") or {}).items()):
                if self._is_rgb(space):
                    del resources.ColorSpace[name]  # every use now names /DeviceCMYK

    # -- one colour --

    def cmyk(self, rgb) -> list[Decimal]:
        r, g, b = (min(1.0, max(0.0, float(v))) for v in rgb)
        key = (round(r, 4), round(g, 4), round(b, 4))
        if key not in self.colours:
            if key[0] == key[1] == key[2]:  # a neutral: black ink alone
                values = (0.0, 0.0, 0.0, 1 - key[0])
            else:
                from PIL import Image, ImageCms

                pixel = Image.new("RGB", (1, 1), tuple(round(v * 255) for v in key))
                values = tuple(
                    v / 255 for v in ImageCms.applyTransform(pixel, self.transform).getpixel((0, 0))
                )
            self.colours[key] = tuple(Decimal(f"{v:.4f}").normalize() for v in values)
        return list(self.colours[key])

    # -- what resources hold --

    def _once(self, obj) -> bool:
        """True the first time an indirect object is met (shared objects convert once)."""
        if not obj.is_indirect:
            return True
        if obj.objgen in self.done:
            return False
        self.done.add(obj.objgen)
        return True

    def _resources(self, resources) -> None:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        self.resources.append(resources)  # RGB spaces replaced once all content is read
        for shading in (resources.get("/Shading") or {}).values():
            self._shading(shading)
        for pattern in (resources.get("/Pattern") or {}).values():
            if not self._once(pattern):
                continue
            if "/Shading" in pattern:
                self._shading(pattern.Shading)
            elif isinstance(pattern, pikepdf.Stream):  # a tiling pattern: its own content
                self._resources(pattern.get("/Resources"))
                self._content(pattern, pattern.get("/Resources"))
        for state in (resources.get("/ExtGState") or {}).values():
            mask = state.get("/SMask")
            if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and self._once(mask.G):
                self._form(mask.G)
        for xobject in (resources.get("/XObject") or {}).values():
            if not self._once(xobject):
                continue
            if xobject.get("/Subtype") == "/Form":
                self._form(xobject)
            elif xobject.get("/Subtype") == "/Image":
                self._image(xobject)

    def _image(self, image) -> None:
        """An RGB raster image, as CMYK pixels (Flate); an indexed one gets a CMYK palette."""
        space = image.get("/ColorSpace")
        if isinstance(space, pikepdf.Array) and str(space[0]) == "/Indexed":
            if self._is_rgb(space[1]):
                table = space[3]
                data = table.read_bytes() if isinstance(table, pikepdf.Stream) else bytes(table)
                palette = self._pixels(data, len(data) // 3, 1)
                image.ColorSpace = pikepdf.Array(
                    [space[0], pikepdf.Name("/DeviceCMYK"), space[2], pikepdf.String(palette)]
                )
            return
        if not self._is_rgb(space):
            return  # CMYK and grey images stay as they are
        picture = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
        data = self._pixels(picture.tobytes(), *picture.size)
        image.write(zlib.compress(data), filter=pikepdf.Name("/FlateDecode"))
        image.ColorSpace = pikepdf.Name("/DeviceCMYK")
        image.BitsPerComponent = 8
        for key in ("/Decode", "/DecodeParms"):
            if key in image:
                del image[key]

    def _pixels(self, rgb: bytes, width: int, height: int) -> bytes:
        from PIL import Image, ImageCms

        picture = Image.frombytes("RGB", (width, height), rgb)
        return ImageCms.applyTransform(picture, self.transform).tobytes()

    def _form(self, form) -> None:
        self._group(form)
        self._resources(form.get("/Resources"))
        self._content(form, form.get("/Resources"))

    def _group(self, owner) -> None:
        group = owner.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and self._is_rgb(group.get("/CS")):
            group.CS = pikepdf.Name("/DeviceCMYK")

    def _is_rgb(self, space) -> bool:
        if isinstance(space, pikepdf.Name):
            return str(space) in _RGB_SPACES
        if isinstance(space, pikepdf.Array) and len(space) >= 2:
            family = str(space[0])
            if family == "/ICCBased":
                return int(space[1].get("/N", 0)) == 3
            return family in _RGB_SPACES
        return False

    # -- content streams --

    def _content(self, stream, resources) -> None:
        spaces = (resources or {}).get("/ColorSpace") or {}
        instructions = pikepdf.parse_content_stream(stream)
        rewritten, changed = [], False
        fill_rgb = stroke_rgb = False
        saved: list[tuple[bool, bool]] = []
        for operands, operator in instructions:
            op = str(operator)
            if op == "q":
                saved.append((fill_rgb, stroke_rgb))
            elif op == "Q" and saved:
                fill_rgb, stroke_rgb = saved.pop()
            elif op in ("rg", "RG"):
                operands = self.cmyk(operands)
                operator = pikepdf.Operator("k" if op == "rg" else "K")
                changed = True
            elif op in ("cs", "CS"):
                name = str(operands[0])
                is_rgb = name in _RGB_SPACES or (name in spaces and self._is_rgb(spaces[name]))
                if is_rgb:  # named RGB spaces are replaced in the resources at the end
                    operands = [pikepdf.Name("/DeviceCMYK")]
                    changed = True
                if op == "cs":
                    fill_rgb = is_rgb
                else:
                    stroke_rgb = is_rgb
            elif len(operands) == 3 and (
                (op in ("sc", "scn") and fill_rgb) or (op in ("SC", "SCN") and stroke_rgb)
            ):
                operands = self.cmyk(operands)
                changed = True
            rewritten.append((operands, operator))
        if changed:
            stream.write(pikepdf.unparse_content_stream(rewritten))

    # -- shadings and their functions --

    def _shading(self, shading) -> None:
        if not self._once(shading) or not self._is_rgb(shading.get("/ColorSpace")):
            return
        function = shading.get("/Function")
        if function is None or not self._function(function):
            return  # left as it is: preflight reports what it cannot convert
        shading.ColorSpace = pikepdf.Name("/DeviceCMYK")
        if "/Background" in shading and len(shading.Background) == 3:
            shading.Background = pikepdf.Array(self.cmyk(shading.Background))

    def _function(self, function) -> bool:
        """Convert an RGB function's outputs to CMYK; False when it cannot be."""
        if isinstance(function, pikepdf.Array):
            return all(self._function(f) for f in function)
        kind = int(function.get("/FunctionType", -1))
        if kind == 2:
            c0 = function.get("/C0", pikepdf.Array([0, 0, 0]))
            c1 = function.get("/C1", pikepdf.Array([1, 1, 1]))
            if len(c0) != 3:
                return len(c0) == 4  # converted already (shared)
            function.C0 = pikepdf.Array(self.cmyk(c0))
            function.C1 = pikepdf.Array(self.cmyk(c1))
            if "/Range" in function:
                del function["/Range"]
            return True
        if kind == 3:
            return all(self._function(f) for f in function.Functions)
        return False


# ---------- Marks ----------


def _registration_space(document: pikepdf.Pdf) -> pikepdf.Object:
    """[/Separation /All /DeviceCMYK f]: a tint lays down every ink (the marks must show
    on every plate)."""
    tint = pikepdf.Dictionary(
        FunctionType=2,
        Domain=[0, 1],
        C0=[0, 0, 0, 0],
        C1=[1, 1, 1, 1],
        N=1,
    )
    return document.make_indirect(
        pikepdf.Array(
            [pikepdf.Name("/Separation"), pikepdf.Name("/All"), pikepdf.Name("/DeviceCMYK"), tint]
        )
    )


def _draw_marks(document: pikepdf.Pdf, page, marks: list[str], registration) -> None:
    trim = [float(v) for v in page.obj.get("/TrimBox", page.MediaBox)]
    bleed_box = [float(v) for v in page.obj.get("/BleedBox", trim)]
    bleed = max(trim[0] - bleed_box[0], 0.0)
    x0, y0, x1, y1 = trim
    media = [x0 - SLUG, y0 - SLUG, x1 + SLUG, y1 + SLUG]
    start = bleed + MARK_OFFSET
    lines = []
    if "crop" in marks:
        end = start + MARK_LENGTH
        for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
            lines.append(_line(x + dx * start, y, x + dx * end, y))  # beside the corner
            lines.append(_line(x, y + dy * start, x, y + dy * end))  # above or below it
    if "cross" in marks:
        centre = start + TARGET_ARM  # the whole target beyond the bleed
        middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
        for cx, cy in (
            (middle_x, y0 - centre),
            (middle_x, y1 + centre),
            (x0 - centre, middle_y),
            (x1 + centre, middle_y),
        ):
            lines.append(_target(cx, cy, TARGET_RADIUS))
    content = "q /PressroomRegistration CS 1 SCN {w} w\n{body}\nQ\n".format(
        w=MARK_WIDTH, body="\n".join(lines)
    )
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    if "/ColorSpace" not in page.obj.Resources:
        page.obj.Resources.ColorSpace = pikepdf.Dictionary()
    page.obj.Resources.ColorSpace.PressroomRegistration = registration
    # The page's own content is wrapped in q/Q so the marks start from a clean state.
    page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(document, b"Q\n" + content.encode("ascii")))
    page.obj.MediaBox = pikepdf.Array([Decimal(f"{v:.4f}") for v in media])
    if "/CropBox" in page.obj:
        del page.obj["/CropBox"]


def _line(xa: float, ya: float, xb: float, yb: float) -> str:
    return f"{xa:.3f} {ya:.3f} m {xb:.3f} {yb:.3f} l S"


def _target(cx: float, cy: float, radius: float) -> str:
    """A registration target: a circle (four Bézier arcs) and a cross through it."""
    k = 0.5523 * radius  # the control distance that makes four cubic arcs a circle
    points = [(1, 0), (1, k / radius), (k / radius, 1), (0, 1), (-k / radius, 1), (-1, k / radius),
              (-1, 0), (-1, -k / radius), (-k / radius, -1), (0, -1), (k / radius, -1),
              (1, -k / radius), (1, 0)]  # fmt: skip
    xy = [f"{cx + u * radius:.3f} {cy + v * radius:.3f}" for u, v in points]
    arcs = " ".join(f"{xy[i]} {xy[i + 1]} {xy[i + 2]} c" for i in range(1, 13, 3))
    circle = f"{xy[0]} m {arcs} S"
    arm = TARGET_ARM
    cross = (
        f"{cx - arm:.3f} {cy:.3f} m {cx + arm:.3f} {cy:.3f} l S "
        f"{cx:.3f} {cy - arm:.3f} m {cx:.3f} {cy + arm:.3f} l S"
    )
    return f"{circle}\n{cross}"
