"""Credits a publisher can stand behind: FPO art, the rights ledger, XMP, the colophon,
and body figures (caption, size, focal point)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from PIL import Image, ImageDraw

from pressroom import build_workspace
from pressroom.config import Workspace
from pressroom.content import load_profile
from pressroom.credits import XMP_IMAGE_NAMESPACE, XMP_NAMESPACE
from pressroom.diagnostics import ContentError
from pressroom.markup import parse_figure_options, render_body

from .conftest import GOOD_FRONT_MATTER

MM = 72 / 25.4
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FPO_FRONT = GOOD_FRONT_MATTER.replace(
    "  credit: Illustration by Test Artist\n",
    "  credit: Illustration by Test Artist\n  status: fpo\n",
)
STORY = "\n\n".join(
    "The harbour opened at dawn and the boats went out in a line, each one lit from the "
    "stern, and the men on the quay counted them as they passed the breakwater. " * 3
    for _ in range(4)
)


def formats(workspace, *names: str) -> None:
    """Profiles of this workspace build in these formats, one folder each."""
    (workspace.root / "pressroom.yaml").write_text(
        "publication: Test Weekly\n"
        f"profile_formats: [{', '.join(names)}]\n"
        'profile_pattern: "{format}/{slug}.pdf"\n',
        encoding="utf-8",
    )


def build(workspace, *targets: str, fmt: str | None = None):
    return build_workspace(
        Workspace.load(workspace.root), list(targets), [fmt] if fmt else [], jobs=1
    )


def photo(path: Path, width: int, height: int, focus: tuple[float, float]) -> None:
    """A picture with a red disc (its subject) at ``focus``, as fractions."""
    image = Image.new("RGB", (width, height), (40, 70, 110))
    draw = ImageDraw.Draw(image)
    x, y, r = int(focus[0] * width), int(focus[1] * height), min(width, height) // 10
    draw.ellipse([x - r, y - r, x + r, y + r], fill=(230, 40, 40))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


# -- art status --


def test_fpo_art_in_print_fails_naming_the_file_and_line(workspace):
    formats(workspace, "print")
    workspace.profile("p", FPO_FRONT)
    (outcome,) = build(workspace, "p")
    assert outcome.status == "failed"
    assert (
        "preflight: content/profiles/p.md:9: illustration.status: error: "
        "'content/profiles/portrait.svg' is FPO art (for position only); the printer must "
        "never receive FPO art" in " ".join(outcome.messages)
    )
    assert not (workspace.root / "build" / "print").exists()  # nothing written


def test_fpo_art_on_screen_is_tagged_in_its_corner_and_its_credit_says_so(workspace):
    photo(workspace.root / "content" / "profiles" / "art.png", 1200, 1000, (0.6, 0.4))
    workspace.profile("p", FPO_FRONT.replace("src: portrait.svg", "src: art.png"))
    (outcome,) = build(workspace, "p")
    assert outcome.status == "built"
    assert outcome.fpo == ["content/profiles/art.png"]
    (fpo,) = [m for m in outcome.messages if "is FPO art" in m]
    assert "warning: 'content/profiles/art.png' is FPO art" in fpo
    assert fpo.severity == "warning"  # typed: reports decide by it, not by the text
    with pdfplumber.open(workspace.root / "build" / "p.pdf") as pdf:
        page = pdf.pages[0]
        (art,) = [image for image in page.images if image["width"] > 100]
        (tag,) = [w for w in page.extract_words() if w["text"] == "FPO"]
        # the tag sits in the frame's top-left corner (the frame starts at the 17 mm
        # margin; the picture, cropped to it, is drawn wider), not over the picture's middle
        assert 17 * MM < tag["x0"] < 17 * MM + 10 * MM
        assert art["top"] < tag["top"] < art["top"] + 10 * MM
        text = " ".join(page.extract_text().split())
    assert "Stand-in art, for position only. To come: Illustration by Test Artist" in text


def test_final_art_has_no_tag(workspace):
    workspace.profile("p")
    (outcome,) = build(workspace, "p")
    assert outcome.fpo == [] and not any("FPO" in m for m in outcome.messages)
    with pdfplumber.open(workspace.root / "build" / "p.pdf") as pdf:
        assert "FPO" not in pdf.pages[0].extract_text()


def test_fpo_art_under_the_warn_policy_is_a_warning(workspace):
    """The format's policy ("allow", "warn", "error") becomes a severity, never "warn"."""
    from pressroom.preflight import content_findings

    profile = load_profile(workspace.profile("p", FPO_FRONT))
    formats = Workspace.load(workspace.root).formats
    for name, severity in (("screen", "warning"), ("print", "error")):
        (fpo,) = [d for d in content_findings(profile, formats[name]) if "FPO" in d.message]
        assert fpo.severity == severity


def test_an_edition_may_allow_fpo_art_in_print(workspace):
    workspace.profile("p", FPO_FRONT)
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    edition = "title: Test Weekly\nprofiles: [p]\nformats: [print]\n"
    (editions / "e.yaml").write_text(edition, encoding="utf-8")
    (refused,) = build(workspace, "e")
    assert refused.status == "failed"
    assert "illustration.status: error:" in " ".join(refused.messages)
    (editions / "e.yaml").write_text(edition + "allow_fpo: [print]\n", encoding="utf-8")
    (allowed,) = build(workspace, "e")
    assert allowed.status == "built", allowed.messages
    assert allowed.fpo == ["content/profiles/portrait.svg"]


# -- the rights ledger --


def ledger(workspace, text: str) -> None:
    (workspace.root / "credits.yaml").write_text(text, encoding="utf-8")


LEDGER = """\
images:
  - file: content/profiles/*.svg
    creator: Rosa Lindqvist
    credit: Illustration by Rosa Lindqvist
    translations: {fr: Illustration de Rosa Lindqvist}
    source: Commissioned
    licence: First serial rights
    rights: [print, screen, archive]
"""


def test_the_ledger_supplies_a_credit_the_profile_leaves_out(workspace):
    ledger(workspace, LEDGER)
    front = GOOD_FRONT_MATTER.replace("  credit: Illustration by Test Artist\n", "")
    workspace.profile("p", front)
    workspace.profile("q", front.replace("tags:", "lang: fr\ntags:"))
    outcomes = build(workspace, "p", "q")
    assert [o.status for o in outcomes] == ["built", "built"]
    assert not any("credit" in m for o in outcomes for m in o.messages)
    with pdfplumber.open(workspace.root / "build" / "p.pdf") as pdf:
        assert "Illustration by Rosa Lindqvist" in pdf.pages[0].extract_text()
    with pdfplumber.open(workspace.root / "build" / "q.pdf") as pdf:
        assert "Illustration de Rosa Lindqvist" in pdf.pages[0].extract_text()


def test_without_ledger_an_illustration_needs_its_credit(workspace):
    front = GOOD_FRONT_MATTER.replace("  credit: Illustration by Test Artist\n", "")
    with pytest.raises(ContentError) as caught:
        load_profile(workspace.profile("p", front))
    (problem,) = caught.value.diagnostics
    assert problem.format(workspace.root) == (
        "content/profiles/p.md:8: illustration.credit: required "
        "(or list the picture in credits.yaml, the rights ledger)"
    )


def test_a_credit_that_disagrees_with_the_ledger_is_a_warning(workspace):
    ledger(workspace, LEDGER)
    workspace.profile("p")  # "Illustration by Test Artist"
    (outcome,) = build(workspace, "p")
    assert outcome.status == "built"
    assert (
        "content/profiles/p.md:9: illustration.credit: warning: the credit 'Illustration by "
        "Test Artist' differs from the ledger's 'Illustration by Rosa Lindqvist' "
        "(credits.yaml:2); the written one is printed" in " ".join(outcome.messages)
    )


def test_an_expired_right_fails(workspace):
    ledger(workspace, LEDGER + "    expires: 2020-06-30\n")
    workspace.profile("p", GOOD_FRONT_MATTER.replace("Test Artist", "Rosa Lindqvist"))
    (outcome,) = build(workspace, "p")
    assert outcome.status == "failed"
    assert (
        "content/profiles/p.md:9: illustration: error: the rights to "
        "'content/profiles/portrait.svg' expired on 2020-06-30 (credits.yaml:2: expires)"
        in " ".join(outcome.messages)
    )


def test_a_use_the_rights_do_not_cover_fails_in_that_format_only(workspace):
    ledger(workspace, LEDGER.replace("rights: [print, screen, archive]", "rights: [screen]"))
    formats(workspace, "screen", "print")
    workspace.profile("p", GOOD_FRONT_MATTER.replace("Test Artist", "Rosa Lindqvist"))
    outcomes = {o.format: o for o in build(workspace, "p")}
    assert outcomes["screen"].status == "built"
    assert outcomes["print"].status == "failed"
    assert (
        "illustration: error: 'content/profiles/portrait.svg' is not cleared for print use "
        "(credits.yaml:2: rights: screen)" in " ".join(outcomes["print"].messages)
    )


def test_a_broken_ledger_is_reported_with_its_line(workspace):
    ledger(workspace, "images:\n  - file: a.png\n    rights: [print, tv]\n")
    workspace.profile("p", GOOD_FRONT_MATTER.replace("  credit: Illustration by Test Artist\n", ""))
    with pytest.raises(ContentError) as caught:
        load_profile(workspace.root / "content" / "profiles" / "p.md")
    messages = [d.format(workspace.root) for d in caught.value.diagnostics]
    assert "credits.yaml:2: images[0].credit: required" in messages
    assert any(m.startswith("credits.yaml:3: images[0].rights[1]:") for m in messages)


# -- the PDF's metadata --


def xmp_pictures(path: Path) -> list[dict[str, str]]:
    with pikepdf.open(path) as pdf:
        root = ET.fromstring(pdf.Root.Metadata.read_bytes())
    items = root.findall(f".//{{{XMP_NAMESPACE}}}images/{{{RDF}}}Seq/{{{RDF}}}li")
    return [
        {
            child.tag.split("}")[1]: child.text or ""
            for child in item
            if XMP_IMAGE_NAMESPACE in child.tag
        }
        for item in items
    ]


def test_the_xmp_lists_every_picture_with_creator_credit_and_licence(workspace):
    ledger(workspace, LEDGER)
    photo(workspace.root / "assets" / "quay.png", 600, 400, (0.5, 0.5))
    body = STORY + '\n\n![The quay](../../assets/quay.png "Photo: Ana Ruiz")\n\n' + STORY
    workspace.profile("p", GOOD_FRONT_MATTER.replace("Test Artist", "Rosa Lindqvist"), body)
    formats(workspace, "screen", "archive")
    outcomes = build(workspace, "p")
    assert all(o.status == "built" for o in outcomes), [o.messages for o in outcomes]
    for fmt in ("screen", "archive"):
        pictures = xmp_pictures(workspace.root / "build" / fmt / "p.pdf")
        assert pictures == [
            {
                "file": "content/profiles/portrait.svg",
                "creator": "Rosa Lindqvist",
                "credit": "Illustration by Rosa Lindqvist",
                "licence": "First serial rights",
                "source": "Commissioned",
                "status": "final",
            },
            {
                "file": "assets/quay.png",
                "creator": "",
                "credit": "Photo: Ana Ruiz",
                "licence": "",
                "source": "",
                "status": "final",
            },
        ]
    with pikepdf.open(workspace.root / "build" / "archive" / "p.pdf") as pdf:
        packet = pdf.Root.Metadata.read_bytes()
    assert b"pdfaExtension:schemas" in packet  # PDF/A knows the schema (veraPDF: test_validation)
    assert b"<rdf:li>Rosa Lindqvist</rdf:li>" in packet  # dc:contributor


# -- body figures --


def test_figure_options_are_read_and_misspellings_reported(workspace):
    options = parse_figure_options(' figure size=full focus="70% 40%" status=fpo')
    assert (options.size, options.focus, options.status) == ("full", (70.0, 40.0), "fpo")
    body = "Text.\n\n::: figure size=huge focus=12\n![a](pic.png)\n:::\n"
    Image.new("RGB", (40, 30)).save(workspace.root / "content" / "profiles" / "pic.png")
    with pytest.raises(ContentError) as caught:
        load_profile(workspace.profile("p", body=body))
    assert [d.format(workspace.root) for d in caught.value.diagnostics] == [
        "content/profiles/p.md:23: figure: size 'huge'; use one of column, full, margin",
        "content/profiles/p.md:23: figure: focus '12' is not a point; write two percentages, "
        "across then down: focus: 70% 40%",
    ]


def test_a_figure_has_its_picture_caption_and_credit():
    body = render_body(
        '::: figure focus="30% 20%"\n![Boats](boats.png "Photo: Ana Ruiz")\n\n'
        "Boats at *dawn*.\n:::\n",
        drop_cap=False,
    )
    html = body.html
    assert '<figure class="figure figure-column" id="story-figure-1">' in html
    assert 'style="object-position: 30% 20%"' in html
    assert '<span class="caption">Boats at <em>dawn</em>.</span>' in html
    assert '<span class="credit">Photo: Ana Ruiz</span>' in html


def test_full_width_figures_span_the_columns_and_crops_keep_the_focus(workspace):
    assets = workspace.root / "assets"
    photo(assets / "wide.png", 2400, 1000, (0.85, 0.5))
    photo(assets / "top.png", 900, 1800, (0.5, 0.2))  # portrait: cropped top and bottom
    photo(assets / "foot.png", 900, 1800, (0.5, 0.95))
    body = (
        STORY
        + '\n\n::: figure size=full focus="85% 50%"\n![Wide](../../assets/wide.png "Photo: A")\n'
        "\nThe breakwater.\n:::\n\n"
        + STORY
        + '\n\n::: figure focus="50% 20%"\n![Top](../../assets/top.png "Photo: B")\n:::\n\n'
        + STORY
        + '\n\n::: figure focus="50% 95%"\n![Foot](../../assets/foot.png "Photo: C")\n:::\n\n'
        + STORY
    )
    workspace.profile("p", body=body)
    (outcome,) = build(workspace, "p")
    assert outcome.status == "built", outcome.messages
    crops = [m for m in outcome.messages if "focal point" in m]
    assert len(crops) == 1 and "'foot.png'" in crops[0] and "(50% 95%; down)" in crops[0]
    assert re.search(r"page \d+: warning: the crop of 'foot.png'", crops[0])
    with pdfplumber.open(workspace.root / "build" / "p.pdf") as pdf:
        placed = [image for page in pdf.pages for image in page.images if image["width"] > 50]
        text_width = pdf.pages[0].width - 34 * MM
    wide = next(image for image in placed if image["width"] > image["height"] * 2)
    assert wide["width"] == pytest.approx(text_width, abs=2)  # across both columns
    columns = [image for image in placed if image is not wide and image["width"] < text_width / 2]
    assert len(columns) >= 2  # portraits: a column wide


def test_the_colophon_lists_every_picture_on_the_page_it_is_on(workspace):
    """A figure far into a long story is listed on the page where the PDF draws it."""
    photo(workspace.root / "assets" / "late.png", 600, 400, (0.5, 0.5))
    body = STORY * 3 + '\n\n![Late](../../assets/late.png "Photo: Late Figure")\n\n' + STORY
    workspace.profile("p", body=body)
    workspace.profile("q", GOOD_FRONT_MATTER.replace("A Test Profile", "Second Profile"))
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "e.yaml").write_text(
        "title: Test Weekly\nprofiles: [p, q]\nformats: [screen]\n"
        "masthead: {Editor: Ida Berg, Printer: Example Print Works}\n",
        encoding="utf-8",
    )
    (outcome,) = build(workspace, "e")
    assert outcome.status == "built", outcome.messages
    with pdfplumber.open(workspace.root / "build" / "e" / "screen" / "e.pdf") as pdf:
        texts = [" ".join((page.extract_text() or "").split()) for page in pdf.pages]
    (colophon,) = [text for text in texts if text.startswith("Credits")]
    assert "Editor Ida Berg" in colophon and "Printer Example Print Works" in colophon
    rows = re.findall(
        r"(\d+) (A Test Profile|Second Profile) (Illustration by Test Artist|Photo: Late Figure)",
        colophon,
    )
    assert len(rows) == 3
    for page, _, credit in rows:
        assert credit in texts[int(page) - 1], (page, credit)  # the credit is printed there
    late = next(int(page) for page, _, credit in rows if credit == "Photo: Late Figure")
    opener = next(
        int(page)
        for page, title, credit in rows
        if title == "A Test Profile" and credit != "Photo: Late Figure"
    )
    assert late > opener  # the figure is pages into its story


def test_fpo_cover_art_is_refused_in_print_and_tagged_where_allowed(workspace):
    workspace.profile("p")
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    edition = (
        "title: Test Weekly\n"
        "cover:\n  src: ../profiles/portrait.svg\n  alt: A portrait.\n"
        "  credit: Cover by Test Artist\n  status: fpo\n"
        "profiles: [p]\nformats: [print]\n"
    )
    (editions / "e.yaml").write_text(edition, encoding="utf-8")
    (refused,) = build(workspace, "e")
    assert refused.status == "failed"
    assert (
        "content/editions/e.yaml:3: cover.status: error: 'content/profiles/portrait.svg' is FPO "
        "art" in " ".join(refused.messages)
    )
    (editions / "e.yaml").write_text(edition + "allow_fpo: true\n", encoding="utf-8")
    (allowed,) = build(workspace, "e")
    assert allowed.status == "built", allowed.messages
    with pdfplumber.open(workspace.root / "build" / "e" / "print" / "e.pdf") as pdf:
        cover = " ".join(pdf.pages[0].extract_text().split())
    assert "FPO" in cover and "To come: Cover by Test Artist" in cover


def test_an_edition_with_no_picture_and_no_masthead_has_no_colophon(workspace):
    bare = GOOD_FRONT_MATTER.split("illustration:")[0] + "facts: []\n"
    workspace.profile("p", bare)
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "e.yaml").write_text(
        "title: Test Weekly\nprofiles: [p]\nformats: [screen]\n", encoding="utf-8"
    )
    (outcome,) = build(workspace, "e")
    assert outcome.status == "built", outcome.messages
    with pdfplumber.open(workspace.root / "build" / "e" / "screen" / "e.pdf") as pdf:
        assert "Credits" not in (pdf.pages[-1].extract_text() or "")
        assert len(pdf.pages) == outcome.pages == 3  # cover, contents, the one-page profile
