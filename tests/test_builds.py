"""Whole builds of the sample publication: editions, formats, offprints, reports."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pypdf
import pypdfium2
import pytest
from PIL import ImageStat

from pressroom import build_workspace
from pressroom.config import Workspace
from pressroom.output import write_atomic
from pressroom.prepress import SLUG

from .conftest import GOOD_FRONT_MATTER, REPO

pytestmark = pytest.mark.slow
EPOCH = "1700000000"
BLEED = 3 * 72 / 25.4
A4 = (595.28, 841.89)
TITLES = {
    "al-kadhimi": "The Broker of Baghdad",
    "ortega-baines": "The Woman Who Lets the River In",
    "wierzbicki": "The Last Man Who Casts Letters",
}


def copy_sample(root: Path) -> Path:
    """The repository's sample publication, without its layouts (the built-in one is used)."""
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "assets" / "illustrations", root / "assets" / "illustrations")
    shutil.copy(REPO / "pressroom.yaml", root / "pressroom.yaml")
    shutil.copy(REPO / "credits.yaml", root / "credits.yaml")  # the rights ledger
    return root


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        outcomes = build_workspace(Workspace.load(root), jobs=2)
        first = {p: p.read_bytes() for p in (root / "build").rglob("*.pdf")}
        again = build_workspace(Workspace.load(root), jobs=1, force=True)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return root, outcomes, first, again


def edition_pdf(root: Path, fmt: str, slug: str = "2021-winter") -> Path:
    return root / "build" / "2021-winter" / fmt / f"{slug}.pdf"


def page_texts(path: Path) -> list[str]:
    """Each page's text, lines joined with single spaces (headlines may wrap)."""
    with pdfplumber.open(path) as pdf:
        return [" ".join((page.extract_text() or "").split()) for page in pdf.pages]


def test_every_output_is_built(sample):
    root, outcomes, first, _ = sample
    assert [(o.item, o.format, o.status) for o in outcomes] == [
        ("al-kadhimi", "screen", "built"),
        ("al-kadhimi-ar", "screen", "built"),
        ("ortega-baines", "screen", "built"),
        ("wierzbicki", "screen", "built"),
        ("2021-winter", "print", "built"),
        ("2021-winter", "screen", "built"),
        ("2021-winter", "archive", "built"),
        ("2021-winter-ar", "print", "built"),
        ("2021-winter-ar", "screen", "built"),
    ]
    names = sorted(str(p.relative_to(root / "build")) for p in first)
    expected = ["al-kadhimi.pdf", "al-kadhimi-ar.pdf", "ortega-baines.pdf", "wierzbicki.pdf"]
    for fmt in ("archive", "print", "screen"):
        expected += [f"2021-winter/{fmt}/{slug}.pdf" for slug in ("2021-winter", *TITLES)]
    for fmt in ("print", "screen"):
        expected += [
            f"2021-winter-ar/{fmt}/{slug}.pdf" for slug in ("2021-winter-ar", "al-kadhimi-ar")
        ]
    assert names == sorted(expected)


def test_every_output_passes_a_structural_check(sample):
    for path in sample[2]:
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == [], path


def test_rebuilding_with_source_date_epoch_gives_the_same_bytes(sample):
    _, _, first, again = sample
    assert [o.status for o in again] == ["built"] * 9
    for path, data in first.items():
        assert path.read_bytes() == data, f"{path} differs between two builds"


def headline_texts(path: Path) -> list[str]:
    """Each page's text set at headline size (over 30 pt), lines joined with spaces."""
    with pdfplumber.open(path) as pdf:
        return [
            " ".join(w["text"] for w in page.extract_words(extra_attrs=["size"]) if w["size"] > 30)
            for page in pdf.pages
        ]


def test_contents_page_numbers_are_the_real_start_pages(sample):
    for fmt in ("print", "screen"):
        path = edition_pdf(sample[0], fmt)
        texts = page_texts(path)
        labels = pypdf.PdfReader(path).page_labels  # the folios, where pages were left out
        contents = texts[1]
        headlines = headline_texts(path)  # the title set large: its opener, not a "see also"
        for title in TITLES.values():
            listed = int(re.search(re.escape(title) + r"[ .]*?(\d+)\b", contents).group(1))
            start = next(i for i, text in enumerate(headlines) if i > 1 and title in text)
            assert str(listed) == labels[start], (fmt, title)
            assert listed % 2 == 1, f"{title} opens on a left-hand page"
            if fmt == "print":
                assert listed == start + 1  # print keeps every page: folio = position


def test_arabic_edition_opens_its_profile_on_a_left_hand_page(sample):
    """In a right-to-left edition the recto is the left-hand page: no blank page needed."""
    path = sample[0] / "build" / "2021-winter-ar" / "screen" / "2021-winter-ar.pdf"
    texts = page_texts(path)
    assert "٣" in texts[1]  # the contents page gives page 3, in Arabic-Indic digits
    reader = pypdf.PdfReader(path)
    assert "وسيط بغداد" in reader.pages[2].extract_text()  # and it opens on page 3


def test_blank_page_keeps_profiles_on_right_hand_pages_in_print_only(sample):
    texts = page_texts(edition_pdf(sample[0], "print"))
    assert len(texts) == 10  # cover, contents, 3 pages, the colophon, 2 + 2 pages
    # The 3-page profile leaves page 6 over before the next opener: the colophon takes it.
    assert texts[5].startswith("Credits")
    assert re.search(r"\b7 The Woman Who Lets the River In", texts[5])  # pictures after it too
    assert all(text.strip() for text in texts)
    screen = edition_pdf(sample[0], "screen")
    assert len(page_texts(screen)) == 10
    assert pypdf.PdfReader(screen).page_labels == [str(n) for n in range(1, 11)]


@pytest.mark.parametrize("teasers", [True, False])
def test_a_page_left_over_is_in_print_only(tmp_path, teasers):
    """With the colophon at the end, the page a recto start leaves over holds a teaser in
    print (the next profile's pull quote), or is blank with ``teasers: false``; on screen
    it goes, and folios and the viewer's page labels skip it."""
    root = copy_sample(tmp_path / "ws")
    edition = root / "content" / "editions" / "2021-winter.yaml"
    edition.write_text(edition.read_text() + f"colophon: end\nteasers: {str(teasers).lower()}\n")
    outcomes = build_workspace(Workspace.load(root), ["2021-winter"], ["print", "screen"], jobs=2)
    assert all(o.ok for o in outcomes)
    texts = page_texts(edition_pdf(root, "print"))
    assert len(texts) == 11 and texts[10].startswith("Credits")
    if teasers:  # facing the opener of the profile it quotes, on page 7
        assert texts[5].startswith("PROFILE · CITIES “Every wall had made the next flood")
        assert texts[5].endswith("THE WOMAN WHO LETS THE RIVER IN")
        assert "The Woman Who Lets the River In" in texts[6]
    else:
        assert texts[5].strip() == ""
    screen = edition_pdf(root, "screen")
    assert len(page_texts(screen)) == 10
    labels = pypdf.PdfReader(screen).page_labels
    assert labels == ["1", "2", "3", "4", "5", "7", "8", "9", "10", "11"]


def test_an_edition_can_keep_its_blank_pages_on_screen(tmp_path):
    root = copy_sample(tmp_path / "ws")
    edition = root / "content" / "editions" / "2021-winter.yaml"
    edition.write_text(edition.read_text() + "blank_pages: {screen: keep}\ncolophon: end\n")
    (outcome,) = build_workspace(Workspace.load(root), ["2021-winter"], ["screen"], jobs=1)
    assert outcome.status == "built", outcome.messages
    assert len(page_texts(edition_pdf(root, "screen"))) == 11


def test_folios_run_on_through_the_edition(sample):
    path = edition_pdf(sample[0], "screen")
    labels = pypdf.PdfReader(path).page_labels
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            number = int(labels[index])  # the folio
            foot = page.crop((0, page.height - 22 * 72 / 25.4, page.width, page.height))
            text = (foot.extract_text() or "").strip()
            if number == 1:  # the cover has its credit there, but no folio
                assert text == "Cover art by the Pressroom studio"
            elif number in (3, 6, 7, 9):  # openers (and the colophon, page 6) drop the folio
                assert not text.endswith(str(number)), number
            else:  # numbers run on from piece to piece (each piece is laid out alone)
                assert text.split()[-1] == str(number)


def test_outline_nests_profiles_under_the_edition(sample):
    reader = pypdf.PdfReader(edition_pdf(sample[0], "screen"))
    assert reader.outline[0].title == "The Pressroom Review"
    children = [item for item in reader.outline[1] if not isinstance(item, list)]
    titles = list(TITLES.values())  # the colophon where it is printed: page 6
    assert [item.title for item in children] == [titles[0], "Credits", *titles[1:]]


def test_related_profiles_point_at_real_pages(sample):
    # pypdf reads text in drawing order, so a line is not mixed with the next column
    reader = pypdf.PdfReader(edition_pdf(sample[0], "print"))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "See also: The Broker of Baghdad, page 3; The Last Man Who Casts Letters, page 9" in text
    assert "See also: The Woman Who Lets the River In, page 7" in text


def test_offprints_are_the_edition_pages(sample):
    root = sample[0]
    for slug, title, pages, first_folio in (
        ("al-kadhimi", TITLES["al-kadhimi"], 3, 3),
        ("ortega-baines", TITLES["ortega-baines"], 2, 7),
        ("wierzbicki", TITLES["wierzbicki"], 2, 9),
    ):
        path = edition_pdf(root, "screen", slug)
        reader = pypdf.PdfReader(path)
        assert len(reader.pages) == pages
        assert reader.metadata.title == title
        texts = page_texts(path)
        assert title in texts[0]
        # the opener drops its folio; the next page carries the edition's number
        assert texts[1].split()[-1] == str(first_folio + 1)


def test_print_has_trim_bleed_marks_and_a_cmyk_output_intent(sample):
    path = edition_pdf(sample[0], "print")
    reader = pypdf.PdfReader(path)
    for page in reader.pages:
        trim = [float(v) for v in page.trimbox]
        bleed = [float(v) for v in page.bleedbox]
        assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.1)
        assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.1)
        assert bleed[2] - bleed[0] == pytest.approx(A4[0] + 2 * BLEED, abs=0.1)
        assert bleed[3] - bleed[1] == pytest.approx(A4[1] + 2 * BLEED, abs=0.1)
        assert "/Annots" not in page  # no links in print
    (intent,) = reader.trailer["/Root"]["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 4  # a CMYK profile
    assert b"PDF/X-4" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    # crop marks sit beyond the bleed, in the slug around it (tests/test_prepress.py
    # measures them): the corner of the media box holds ink, the bleed's corner none of it
    image = pypdfium2.PdfDocument(str(path))[2].render(scale=4).to_pil().convert("L")
    corner = image.crop((0, 0, int(SLUG * 4) + 8, int(SLUG * 4) + 8))
    assert ImageStat.Stat(corner).extrema[0][0] < 160  # a 0.25 pt hairline, anti-aliased


def test_print_cover_art_survives_cmyk(sample):
    """SVG gradients in a CMYK document still paint (a WeasyPrint 70 bug is worked around)."""
    page = pypdfium2.PdfDocument(str(edition_pdf(sample[0], "print")))[0]
    slug = SLUG - BLEED  # the marks' band around the bleed box: cropped off
    image = page.render(scale=0.3, crop=(slug, slug, slug, slug)).to_pil().convert("L")
    sky = image.crop((10, 40, image.width - 10, 60))
    assert ImageStat.Stat(sky).mean[0] < 120
    # full-page art runs into the 3 mm bleed: no white edge after trimming
    bleed = image.crop((0, image.height // 3, 2, image.height // 2))
    assert ImageStat.Stat(bleed).mean[0] < 120


def colour_operations(pdf: pikepdf.Pdf) -> set[tuple[str, tuple[str, ...]]]:
    found = set()

    def walk(stream) -> None:
        for operands, operator in pikepdf.parse_content_stream(stream):
            if str(operator) in ("cs", "CS", "scn", "SCN", "rg", "RG", "k", "K"):
                found.add((str(operator), tuple(str(o) for o in operands)))
        forms = (stream.get("/Resources") or {}).get("/XObject") or {}
        for form in forms.values():
            if form.get("/Subtype") == "/Form":
                walk(form)

    walk(pdf.pages[3])
    return found


def test_print_colours_are_cmyk(sample):
    with pikepdf.open(edition_pdf(sample[0], "print")) as pdf:
        print_ops = colour_operations(pdf)
    with pikepdf.open(edition_pdf(sample[0], "screen")) as pdf:
        screen_ops = colour_operations(pdf)
    accent = ("scn", ("0.08", "0.94", "0.84", "0.22"))  # the layout's CMYK accent
    assert ("cs", ("/DeviceCMYK",)) in print_ops and accent in print_ops
    assert ("cs", ("/DeviceCMYK",)) not in screen_ops and accent not in screen_ops


def structure_alts(reader: pypdf.PdfReader) -> list[str]:
    alts, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "/Alt" in node:
                alts.append(str(node["/Alt"]))
            if "/K" in node:
                stack.append(node["/K"])
    return alts


def test_screen_is_tagged_with_alt_texts_and_links(sample):
    path = edition_pdf(sample[0], "screen")
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    alts = " ".join(structure_alts(reader))
    assert "A stylised portrait of a man in dark-rimmed glasses" in alts
    assert "Three overlapping discs" in alts  # the cover
    uris = [
        a.get_object()["/A"].get("/URI")
        for page in reader.pages
        for a in page.get("/Annots") or []
        if "/A" in a.get_object()
    ]
    assert "https://www.al-monitor.com/" in uris


def structure_headings(path: Path) -> list[str]:
    """Heading elements (/H1, /H2...) in reading order: the structure tree, depth first."""
    found = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") != "/MCR":
            kind = str(node.get("/S", ""))
            if kind[:2] == "/H" and kind[2:].isdigit():
                found.append(kind[1:])
            if "/K" in node:
                walk(node.K)

    with pikepdf.open(path) as pdf:
        walk(pdf.Root.StructTreeRoot.K)
    return found


def test_headings_are_in_order_and_the_headline_comes_first(sample):
    root = sample[0]
    for path in (root / "build" / "al-kadhimi.pdf", root / "build" / "al-kadhimi-ar.pdf"):
        headings = structure_headings(path)
        assert headings[0] == "H1" and headings.count("H1") == 1, (path.name, headings)
        levels = [int(h[1:]) for h in headings]
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), headings


def test_running_heads_and_folios_are_artifacts(sample):
    """Every marked content in the parent tree belongs to an element of the structure tree;
    page furniture (running heads, folios) is an artifact, which screen readers skip."""
    from pressroom.tagging import _elements

    for path in (sample[0] / "build" / "al-kadhimi.pdf", edition_pdf(sample[0], "screen")):
        with pikepdf.open(path) as pdf:
            root = pdf.Root.StructTreeRoot
            reachable = _elements(root)
            nums = list(root.ParentTree.Nums)
            for index in range(1, len(nums), 2):
                entry = nums[index]
                elements = entry if isinstance(entry, pikepdf.Array) else [entry]
                orphans = [
                    e for e in elements if isinstance(e, pikepdf.Dictionary)
                    and e.objgen not in reachable and e.get("/Type") != "/Annot"
                ]  # fmt: skip
                assert orphans == [], (path.name, nums[index - 1])
            text = pdf.pages[1].obj.Contents.read_bytes()
            assert b"/Artifact BMC" in text or b"/Artifact\nBMC" in text


def test_assembled_edition_keeps_one_consistent_structure_tree(sample):
    """The pieces' tagged structures, merged: every element under one Document element,
    on a page of this PDF, reachable from its page through the renumbered parent tree;
    links between profiles resolve to the page where the profile opens."""
    pdf = pikepdf.open(edition_pdf(sample[0], "screen"))
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    root = pdf.Root.StructTreeRoot
    (document,) = [root.K] if isinstance(root.K, pikepdf.Dictionary) else list(root.K)
    assert document.S == "/Document"
    seen, stack = 0, [document]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids else []
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                assert kid.P.objgen == element.objgen  # the parent it says it has
                if "/Pg" in kid:
                    assert kid.Pg.objgen in pages
                seen += 1
                stack.append(kid)
    assert seen > 200
    nums = list(root.ParentTree.Nums)
    keys = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert len(keys) == len(nums) // 2  # no key used twice
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            marked = [e for e in keys[int(page.obj.StructParents)] if e is not None]
            assert all(e.Pg.objgen == page.obj.objgen for e in marked if "/Pg" in e)
    dests = list(pdf.Root.Names.Dests.Names)
    anchors = {str(dests[i]): pages[dests[i + 1][0].objgen] for i in range(0, len(dests), 2)}
    # Wierzbicki opens on page 9 (page 6, which a recto start leaves over, is the colophon)
    assert anchors["profile-al-kadhimi"] == 3 and anchors["profile-wierzbicki"] == 9
    contents_links = [str(a.Dest) for a in pdf.pages[1].obj.Annots if "/Dest" in a]
    # One annotation per link, described in the link's words (what a screen reader reads).
    assert contents_links == ["profile-al-kadhimi", "profile-ortega-baines", "profile-wierzbicki"]
    assert [str(a.Contents) for a in pdf.pages[1].obj.Annots] == [
        "The Broker of Baghdad",
        "The Woman Who Lets the River In",
        "The Last Man Who Casts Letters",
    ]
    assert not any("/A" in a and "pressroom-anchor" in str(a.A.get("/URI", "")) for p in
                   pdf.pages for a in p.obj.get("/Annots") or [])  # fmt: skip


def test_archive_is_pdf_a_with_the_sources_attached(sample):
    root = sample[0]
    reader = pypdf.PdfReader(edition_pdf(root, "archive"))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp or b'pdfaid:part="3"' in xmp
    assert b"B" in re.search(rb"pdfaid:conformance[^A-Z]*([A-Z])", xmp).group(1)
    attached = {name: data[0] for name, data in reader.attachments.items()}
    assert sorted(attached) == ["al-kadhimi.md", "ortega-baines.md", "wierzbicki.md"]
    assert attached["al-kadhimi.md"] == (root / "content/profiles/al-kadhimi.md").read_bytes()
    offprint = pypdf.PdfReader(edition_pdf(root, "archive", "wierzbicki"))
    assert list(offprint.attachments) == ["wierzbicki.md"]


def test_report_json_matches_the_build(sample):
    report = json.loads((sample[0] / "build" / "report.json").read_text())
    assert report["ok"] is True
    rows = [(i["item"], i["format"], i["status"], i["pages"]) for i in report["items"]]
    assert ("2021-winter", "print", "built", 10) in rows
    assert ("al-kadhimi", "screen", "built", 3) in rows
    fpo = {(i["item"], i["format"]): i["fpo"] for i in report["items"]}  # FPO art, per item
    assert fpo["2021-winter", "print"] == ["assets/illustrations/al-kadhimi.svg"]
    assert fpo["ortega-baines", "screen"] == []
    edition = next(i for i in report["items"] if i["format"] == "archive")
    assert [o["path"] for o in edition["outputs"]][:2] == [
        "build/2021-winter/archive/2021-winter.pdf",
        "build/2021-winter/archive/al-kadhimi.pdf",
    ]
    assert all(o["bytes"] > 10_000 for o in edition["outputs"])


def test_unchanged_inputs_are_not_rendered_again(tmp_path):
    root = copy_sample(tmp_path / "ws")
    workspace = Workspace.load(root)
    first = build_workspace(workspace, targets=["wierzbicki", "ortega-baines"], jobs=1)
    assert [o.status for o in first] == ["built", "built"]
    again = build_workspace(workspace, targets=["wierzbicki", "ortega-baines"], jobs=1)
    assert [o.status for o in again] == ["cached", "cached"]
    source = root / "content" / "profiles" / "wierzbicki.md"
    source.write_text(source.read_text().replace("grudge", "temper"), encoding="utf-8")
    third = build_workspace(workspace, targets=["wierzbicki", "ortega-baines"], jobs=1)
    assert [(o.item, o.status) for o in third] == [
        ("ortega-baines", "cached"),
        ("wierzbicki", "built"),
    ]
    assert "temper" in page_texts(root / "build" / "wierzbicki.pdf")[0]


def test_a_bad_profile_fails_alone_and_fails_its_editions(workspace, tmp_path):
    workspace.profile("good")
    workspace.profile("bad", "title: [broken\n")
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "with-bad.yaml").write_text(
        "title: T\nprofiles: [good, bad]\nformats: [screen]\n", encoding="utf-8"
    )
    (editions / "only-good.yaml").write_text(
        "title: T\nprofiles: [good]\nformats: [screen]\n", encoding="utf-8"
    )
    previous = workspace.root / "build" / "with-bad" / "screen" / "with-bad.pdf"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"last good edition")
    outcomes = build_workspace(Workspace.load(workspace.root), jobs=1)
    status = {(o.item, o.kind): (o.status, o.messages) for o in outcomes}
    assert status[("good", "profile")][0] == "built"
    assert status[("only-good", "edition")][0] == "built"
    assert status[("bad", "profile")] == ("failed", ["content errors"])
    assert status[("with-bad", "edition")] == (
        "failed",
        ["edition cannot be built: content/profiles/bad.md has errors"],
    )
    assert previous.read_bytes() == b"last good edition"
    assert (workspace.root / "build" / "only-good" / "screen" / "good.pdf").is_file()
    report = json.loads((workspace.root / "build" / "report.json").read_text())
    assert report["ok"] is False


def test_cli_build_reports_and_exits_1_on_failure(workspace, monkeypatch):
    from click.testing import CliRunner

    from pressroom.cli import main

    workspace.profile("good")
    workspace.profile("bad", GOOD_FRONT_MATTER.replace("date: 2024-05-01", "date: someday"))
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["build", "--jobs", "1"])
    assert result.exit_code == 1
    assert "content/profiles/bad.md:6: date: 'someday' is not a date" in result.output
    row = r"good \(profile\)\s+screen\s+1\s+\d+%\s+\d+ KB\s+[\d.]+ s\s+built"  # with its fill
    assert re.search(row, result.output)
    assert re.search(r"bad \(profile\)\s+screen\s+-\s+-\s+-\s+-\s+FAILED", result.output)
    assert "1 built, 0 up to date, 1 failed; report: build/report.json" in result.output


def test_cli_build_unknown_target_is_a_usage_error(workspace, monkeypatch):
    from click.testing import CliRunner

    from pressroom.cli import main

    workspace.profile("good")
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["build", "nope"])
    assert result.exit_code == 2
    assert "'nope' is neither an edition nor a profile (editions: none; profiles: good)" in (
        result.output
    )


def test_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"previous good file")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"%PDF- new but never finished")
    assert target.read_bytes() == b"previous good file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_work_done_apart_answers_or_says_why_not():
    """An edition is assembled in a process of its own, under the workers' memory limit
    (the main process stays small however large the edition): what it returns, its peak
    memory, and the reason when it fails."""
    import operator

    from pressroom.builds.pool import run_apart
    from pressroom.config import Limits
    from pressroom.diagnostics import PressroomError

    limits = Limits(render_memory_mb=1500)
    value, peak_mb = run_apart(limits, operator.add, 2, 3)
    assert value == 5 and 10 < peak_mb < 1500
    assert run_apart(limits, os.getpid)[0] != os.getpid()  # really elsewhere
    with pytest.raises(PressroomError, match=r"ran out of memory \(limits.render_memory_mb = 1500"):
        run_apart(limits, bytearray, 3 * 1024**3)
    with pytest.raises(PressroomError, match="ValueError: invalid literal"):
        run_apart(limits, int, "twelve")
    import time

    with pytest.raises(PressroomError, match=r"stopped after 1 s, .*limits.render_seconds"):
        run_apart(Limits(render_seconds=1), time.sleep, 30)


def test_a_worker_past_its_peak_retires_after_answering(tmp_path):
    """A worker whose resident size has crept past the pool's retiring peak answers its
    task, then leaves; a fresh one takes the next task, and nothing is lost."""
    from pressroom.builds import plan_build, run_build
    from pressroom.builds.pool import RETIRE_MB, LocalPool

    root = copy_sample(tmp_path / "ws")
    workspace = Workspace.load(root)
    limits = workspace.config.limits
    pool = LocalPool(str(root), 1, limits)
    assert pool.retire_mb == min(RETIRE_MB, limits.render_memory_mb * 0.8)
    pool.retire_mb = 1  # every worker is past it after one task
    spawned = []
    spawn = pool._spawn
    pool._spawn = lambda: spawned.append(1) or spawn()
    plan = plan_build(workspace, ["al-kadhimi", "wierzbicki", "ortega-baines"], ["screen"])
    with pool:
        outcomes = run_build(workspace, plan, force=True, pool=pool)
    assert [o.status for o in outcomes] == ["built"] * 3
    assert len(spawned) == 3  # one worker a task


def test_own_pdfs_start_before_the_pieces_they_decide(tmp_path):
    """The front starts first; then every profile's own PDF, then the edition's pieces,
    the colophon last (it waits for the pieces): so at the end of a build the workers
    share the pieces left, not one of them the last own PDF and its piece alone."""
    from pressroom.builds import plan_build, run_build
    from pressroom.builds.pool import LocalPool

    root = copy_sample(tmp_path / "ws")
    workspace = Workspace.load(root)
    pool = LocalPool(str(root), 1, workspace.config.limits)  # one worker: one order
    started = []  # one worker: tasks finish in the order they start
    completed = pool.completed

    def recording():
        for task, result in completed():
            started.append(task.spec.part if task.spec else f"own {task.job.item}")
            yield task, result

    pool.completed = recording
    slugs = ["al-kadhimi", "wierzbicki", "ortega-baines"]
    plan = plan_build(workspace, ["2021-winter", *slugs], ["screen"])
    with pool:
        outcomes = run_build(workspace, plan, force=True, pool=pool)
    assert all(o.ok for o in outcomes)
    own = [f"own {slug}" for slug in slugs]
    assert started[0] == "front"
    assert sorted(started[1:4]) == sorted(own)
    assert sorted(started[4:7]) == sorted(slugs)
    assert started[-1] == "back"


def test_a_forced_build_assembles_its_edition_from_stored_pieces(tmp_path):
    """--force lays every piece out again and stores it: the edition is assembled from
    the cache's files (not from pieces held in memory), and the next build uses them."""
    root = copy_sample(tmp_path / "ws")
    workspace = Workspace.load(root)
    (outcome,) = build_workspace(workspace, ["2021-winter"], ["screen"], force=True)
    assert outcome.ok and outcome.pieces["rendered"] >= 5  # more where page counts were guessed
    cache = root / "build" / ".pressroom-cache"
    assert len(list(cache.glob("*.json"))) == 5  # front, three profiles, colophon
    assert outcome.peak_mb > 0  # the assembly's process counted with the pieces'
    (again,) = build_workspace(workspace, ["2021-winter"], ["screen"])
    assert again.status == "cached"


def font_programs(path: Path) -> dict[str, set[tuple[int, int]]]:
    """By face (the subset's tag left out), the font programs a PDF's fonts point to."""
    faces: dict[str, set[tuple[int, int]]] = {}
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile2") or obj.get("/FontFile3")
                face = str(obj.FontName).split("+")[-1]
                faces.setdefault(face, set()).add(program.objgen)
    return faces


def program_bytes(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return sum(
            len(pdf.get_object(objgen).read_raw_bytes())
            for programs in font_programs(path).values()
            for objgen in programs
        )


@pytest.mark.parametrize("fmt", ["screen", "print", "archive"])
def test_an_edition_carries_one_subset_of_each_face(sample, fmt):
    """The pieces' fonts share one subset of each face; the offprints keep their own."""
    root = sample[0]
    edition = font_programs(edition_pdf(root, fmt))
    assert {"Inter", "EB-Garamond"} <= set(edition)
    assert all(len(programs) == 1 for programs in edition.values()), edition
    offprints = [edition_pdf(root, fmt, slug) for slug in TITLES]
    assert any(len(font_programs(path)) > 1 for path in offprints)
    # An offprint's subsets hold what one profile uses; the edition's, what all do.
    assert program_bytes(edition_pdf(root, fmt)) < sum(map(program_bytes, offprints))


def test_shared_subsets_draw_each_page_as_the_pieces_own_did(sample):
    """An offprint keeps the subsets its piece was laid out with: its pages and the
    edition's, drawn with the shared subsets, are the same pixels."""
    root = sample[0]
    edition = pypdfium2.PdfDocument(edition_pdf(root, "archive"))
    texts = page_texts(edition_pdf(root, "archive"))
    compared = 0
    for slug in TITLES:
        path = edition_pdf(root, "archive", slug)
        offprint = pypdfium2.PdfDocument(path)
        for index, text in enumerate(page_texts(path)):
            page = edition[texts.index(text)].render(scale=1).to_pil()
            assert page.tobytes() == offprint[index].render(scale=1).to_pil().tobytes()
            compared += 1
    assert compared >= 7


def test_an_edition_whose_fonts_cannot_be_found_keeps_the_pieces_subsets(tmp_path, monkeypatch):
    from pressroom.pieces import EditionPlan

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(EditionPlan, "_font_files", lambda self: [])
    root = copy_sample(tmp_path / "ws")
    (outcome,) = build_workspace(Workspace.load(root), ["2021-winter"], ["screen"])
    assert outcome.ok, outcome.messages
    programs = font_programs(edition_pdf(root, "screen"))
    assert max(len(found) for found in programs.values()) >= 3  # a subset per piece
    assert not list((root / "build" / ".pressroom-cache").rglob("*.font"))
