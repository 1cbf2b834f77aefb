"""Print outputs as a printer receives them: CMYK throughout, marks in the slug, PDF/X-4
keys, and pressroom's own PDF/X-4 checks (no open validator covers PDF/X)."""

from __future__ import annotations

import io
import re

import pikepdf
import pypdfium2
import pytest
from PIL import Image, ImageCms

from pressroom.api import load_profile, render
from pressroom.config import builtin_root
from pressroom.preflight import pdf_findings, pdfx_findings
from pressroom.prepress import MM, SLUG

from .conftest import GOOD_FRONT_MATTER

pytestmark = pytest.mark.slow

BODY = """\
A paragraph in the text colour.

![A red square.](red.png "Photo: Test")

![A CMYK picture.](cmyk.jpg "Photo: Test")

More text.
"""


@pytest.fixture
def printed(workspace):
    folder = workspace.root / "content" / "profiles"
    Image.new("RGB", (600, 600), (200, 30, 30)).save(folder / "red.png")
    Image.new("CMYK", (600, 400), (10, 200, 180, 20)).save(folder / "cmyk.jpg", quality=90)
    profile = load_profile(workspace.profile("p", GOOD_FRONT_MATTER, body=BODY))
    return profile, render(profile, format="print").pdf


def every_stream(pdf: pikepdf.Pdf):
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            yield obj


def drawing_streams(pdf: pikepdf.Pdf):
    """Page contents, forms and tiling patterns: every stream of drawing operators."""
    for page in pdf.pages:
        contents = page.obj.Contents
        yield from contents if isinstance(contents, pikepdf.Array) else [contents]
    for stream in every_stream(pdf):
        if stream.get("/Subtype") == "/Form" or stream.get("/PatternType") == 1:
            yield stream


def test_nothing_is_left_in_rgb(printed):
    _, data = printed
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdfx_findings(pdf) == []
        for stream in drawing_streams(pdf):
            content = stream.read_bytes()
            assert not re.search(rb"[\d.]+ [\d.]+ [\d.]+ (rg|RG)\b", content)
            assert b"/DeviceRGB" not in content
            group = stream.get("/Group")
            assert group is None or group.get("/CS") != "/DeviceRGB"
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                assert obj.ColorSpace in ("/DeviceCMYK", "/DeviceGray"), obj.ColorSpace
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/ShadingType" in obj:
                assert obj.ColorSpace in ("/DeviceCMYK", "/DeviceGray"), obj.ColorSpace


def test_colours_go_through_the_output_intent_and_greys_to_black_ink(printed):
    _, data = printed
    icc = (builtin_root() / "assets" / "icc" / "pressroom-generic-cmyk.icc").read_bytes()
    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    expected = ImageCms.applyTransform(Image.new("RGB", (1, 1), (200, 30, 30)), transform)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        images = {}
        for stream in every_stream(pdf):
            if stream.get("/Subtype") == "/Image" and int(stream.Width) == 600:
                picture = pikepdf.PdfImage(stream).as_pil_image()
                images[int(stream.Height)] = (picture, stream.get("/Filter"))
    red, _ = images[600]
    assert red.mode == "CMYK" and red.getpixel((300, 300)) == expected.getpixel((0, 0))
    cmyk, codec = images[400]  # already CMYK: passed through, still a JPEG
    assert cmyk.mode == "CMYK" and codec == "/DCTDecode"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        content = b"".join(
            op_bytes
            for page in pdf.pages
            for op_bytes in [pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))]
        )
    assert b"0 0 0 1 k" in content  # black text: the black ink alone


def test_marks_sit_in_a_slug_outside_the_bleed_in_registration_colour(printed):
    _, data = printed
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        trim = [float(v) for v in page.TrimBox]
        bleed = [float(v) for v in page.BleedBox]
        media = [float(v) for v in page.MediaBox]
        assert bleed == pytest.approx([trim[0] - 3 * MM, trim[1] - 3 * MM,
                                       trim[2] + 3 * MM, trim[3] + 3 * MM], abs=0.01)  # fmt: skip
        assert media == pytest.approx([trim[0] - SLUG, trim[1] - SLUG,
                                       trim[2] + SLUG, trim[3] + SLUG], abs=0.01)  # fmt: skip
        space = page.Resources.ColorSpace.PressroomRegistration
        assert list(space[:3]) == ["/Separation", "/All", "/DeviceCMYK"]
        marks = page.obj.Contents[-1].read_bytes()
        assert marks.startswith(b"Q\nq /PressroomRegistration CS 1 SCN")  # after the page
        points = [
            (float(x), float(y)) for x, y in re.findall(rb"(-?[\d.]+) (-?[\d.]+) [ml]\b", marks)
        ]
        assert len(points) == 16 + 4 * 5  # 8 crop lines; 4 targets: a circle and a cross
        beyond = 2 * MM - 0.01  # every mark lies at least 2 mm outside the bleed
        for x, y in points:
            assert (
                x < bleed[0] - beyond
                or x > bleed[2] + beyond
                or y < bleed[1] - beyond
                or y > bleed[3] + beyond
            ), (x, y)
            assert media[0] <= x <= media[2] and media[1] <= y <= media[3]
    # and they show: the slug's corners are not blank paper
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=2).to_pil().convert("L")
    corner = image.crop((0, 0, int(SLUG * 2) + 6, int(SLUG * 2) + 6))
    assert corner.getextrema()[0] < 128


def test_pdfx_identification_and_the_checks_that_guard_it(printed):
    profile, data = printed
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.trailer.Info.GTS_PDFXVersion == "PDF/X-4"
        assert pdf.trailer.Info.Trapped == "/False"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFX"
        found = pdf_findings(data, profile.workspace.formats["print"])
        assert [f for f in found if "ppi" not in f.message] == []  # the test images are small
        # The checker finds what a printer would refuse, once it is there.
        page = pdf.pages[0]
        page.contents_add(pikepdf.Stream(pdf, b"0.2 0.4 0.6 rg 0 0 10 10 re f"))
        del pdf.trailer.Info["/GTS_PDFXVersion"]
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array([pikepdf.Dictionary(Type="/Annot", Subtype="/Link", Rect=[0, 0, 1, 1])])
        )
        messages = [f.format() for f in pdfx_findings(pdf)]
    assert messages == [
        "preflight: error: PDF/X-4: the Info dictionary lacks /GTS_PDFXVersion (PDF/X-4)",
        "preflight: page 1: error: PDF/X-4: annotations (/Link) on a print page",
        "preflight: page 1: error: PDF/X-4: RGB colour in vector art or text",
    ]


def test_the_shipped_cmyk_profile_has_every_tag_an_output_profile_needs():
    import struct

    data = (builtin_root() / "assets" / "icc" / "pressroom-generic-cmyk.icc").read_bytes()
    count = struct.unpack(">I", data[128:132])[0]
    tags = {data[132 + 12 * i : 136 + 12 * i].decode() for i in range(count)}
    required = {"desc", "cprt", "wtpt", "A2B0", "B2A0", "A2B1", "B2A1", "A2B2", "B2A2", "gamt"}
    assert required <= tags
    assert data[12:20] == b"prtrCMYK"  # an output device profile, CMYK to Lab
