"""Preflight: each problem a print shop would catch is found, on the right page."""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image

from pressroom import build_workspace, load_profile
from pressroom.api import render
from pressroom.cli import main
from pressroom.config import Workspace
from pressroom.formats import BUILTIN_FORMATS
from pressroom.preflight import content_findings, pdf_findings

from .conftest import GOOD_FRONT_MATTER


def findings(profile, fmt: str = "screen") -> list[str]:
    result = render(profile, format=fmt)
    return [f.format() for f in pdf_findings(result.pdf, profile.workspace.formats[fmt])]


def content(workspace, path) -> list[str]:
    return [d.format(workspace.root) for d in content_findings(load_profile(path))]


def test_timeline_mixing_years_and_months_is_ordered_at_the_precision_both_have(workspace):
    # 2016 then 2016-06 then 2016 is in order (a year holds its months); 2015 after them is not.
    events = "".join(
        f"  - date: {date}\n    event: Event {i}.\n"
        for i, date in enumerate(["2016-06", "2016", "2016-06-14", "2015", *range(2017, 2073)])
    )
    front = GOOD_FRONT_MATTER.split("timeline:")[0] + "timeline:\n" + events
    assert content(workspace, workspace.profile("p", front)) == [
        "content/profiles/p.md:22: timeline[3].date: warning: 2015 comes after 2016-06-14: the "
        "timeline is out of chronological order"
    ]


def test_timeline_out_of_order(workspace):
    front = GOOD_FRONT_MATTER.replace("date: 2001-09", "date: 1949")
    assert content(workspace, workspace.profile("p", front)) == [
        "content/profiles/p.md:18: timeline[1].date: warning: 1949 comes after 1950: the "
        "timeline is out of chronological order"
    ]


def test_body_image_without_a_credit(workspace):
    Image.new("RGB", (40, 30)).save(workspace.root / "content" / "profiles" / "pic.png")
    body = 'One.\n\n![a](pic.png)\n\nTwo.\n\n![b](pic.png "Photo: A. Person")\n'
    path = workspace.profile("p", body=body)
    assert content(workspace, path) == []  # pictures are checked for an output format
    screen = [
        d.format(workspace.root)
        for d in content_findings(load_profile(path), BUILTIN_FORMATS["screen"])
    ]
    assert screen == [
        "content/profiles/p.md:23: body: warning: image 'content/profiles/pic.png' has no "
        'credit and no entry in credits.yaml; give it a credit (![alt](src "Photo: Name")) '
        "or list it in the ledger"
    ]


def test_a_character_no_layout_font_has(workspace):
    path = workspace.profile("p", body="Winter\n\nA snowman ☃ in the text.\n")
    assert content(workspace, path) == [
        "content/profiles/p.md:23: warning: no glyph for '☃' (U+2603) in the layout's fonts "
        "(Amiri, EB Garamond, Inter): it would print in a fallback font or as a box"
    ]


@pytest.mark.slow
def test_a_character_no_layout_font_has_prints_as_a_box_and_is_reported(workspace):
    # Fonts come only from the layout (never the system), so there is no fallback font:
    # the snowman is a box in the PDF, and both the check and the render say so.
    body = "\n\n".join(["Filler paragraph that fills the page. " * 40] * 12) + "\n\nSnow ☃.\n"
    profile = load_profile(workspace.profile("p", body=body))
    result = render(profile)
    assert '.notdef glyph rendered for Unicode string unsupported by fonts: "☃" (U+2603)' in (
        result.warnings
    )
    assert findings(profile) == []  # no foreign font in the PDF
    (found,) = [d.message for d in content_findings(profile) if "U+2603" in d.message]
    assert found.startswith("no glyph for '☃' (U+2603) in the layout's fonts")


@pytest.mark.slow
def test_low_resolution_rgb_image_in_print(workspace):
    Image.new("RGB", (120, 80), "#336699").save(workspace.root / "content/profiles/small.png")
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("portrait.svg", "small.png"))
    found = findings(load_profile(path), "print")
    assert found == [  # the RGB image itself is converted to CMYK for print
        "preflight: page 1: warning: an image is 18 ppi at its placed size (120 px over 168 mm); "
        "print needs 300",
    ]
    assert findings(load_profile(path), "screen") == []  # fine on screen


@pytest.mark.slow
def test_rgb_vector_art_is_converted_for_print(workspace):
    # The SVG illustration is drawn in RGB; print converts it to CMYK after layout
    # (tests/test_prepress.py), so the PDF/X-4 checks find nothing left.
    assert findings(load_profile(workspace.profile("p")), "print") == []


@pytest.mark.slow
def test_headline_running_off_the_page(workspace):
    front = GOOD_FRONT_MATTER.replace("title: A Test Profile", "title: " + "Unbreakable" * 12)
    found = findings(load_profile(workspace.profile("p", front)))
    assert any(f.startswith("preflight: page 1: error: text runs off the page") for f in found)


@pytest.mark.slow
def test_fact_box_taller_than_the_page(workspace):
    facts = "".join(
        f"  - label: Fact {i}\n    value: A value that takes a line\n" for i in range(60)
    )
    front = GOOD_FRONT_MATTER.replace(
        "facts:\n  - label: Born\n    value: 1950\n", "facts:\n" + facts
    )
    result = render(load_profile(workspace.profile("p", front)))
    # Too long for the opener, the fact box sets in the story and runs on between facts.
    assert result.layout_problems == []
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(result.pdf)).pages)
    assert all(f"FACT {i}\n" in text or f"FACT {i} " in text for i in range(60))


@pytest.mark.slow
def test_a_block_a_layout_keeps_on_one_page_is_reported_when_it_cannot(workspace):
    """``data-one-page`` on an element: a promise the layout makes, checked on the pages."""
    child = workspace.root / "layouts" / "tall"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text("name: tall\nextends: magazine\n")
    (child / "profile.html.j2").write_text(
        '<html><body><div data-one-page="tall box">'
        + "".join(f"<p>Line {i}</p>" for i in range(200))
        + "</div></body></html>"
    )
    result = render(load_profile(workspace.profile("p")), layout="tall")
    assert len(result.layout_problems) == 1
    page, message = result.layout_problems[0]
    assert page == 1 and message.startswith("the tall box runs over ")


@pytest.mark.slow
def test_strict_turns_warnings_into_failures(workspace, monkeypatch):
    front = GOOD_FRONT_MATTER.replace("date: 2001-09", "date: 1949")
    workspace.profile("p", front)
    ws = Workspace.load(workspace.root)
    (relaxed,) = build_workspace(ws, jobs=1)
    assert relaxed.status == "built"
    (order,) = [m for m in relaxed.messages if "out of chronological order" in m]
    assert (order.severity, order.origin) == ("warning", "preflight")  # typed, not read
    (item,) = json.loads((workspace.root / "build" / "report.json").read_text())["items"]
    assert {"severity": "warning", "origin": "preflight", "text": order} in item["messages"]
    output = workspace.root / "build" / "p.pdf"
    output.write_bytes(b"previous")
    (strict,) = build_workspace(ws, jobs=1, force=True, strict=True)
    assert strict.status == "failed"
    assert strict.messages[-1] == "preflight failed: nothing written (--strict)"
    assert strict.messages[-1].is_error and not order.is_error
    assert output.read_bytes() == b"previous"

    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["check", "--preflight"])
    assert result.exit_code == 0
    assert "p (screen): preflight: content/profiles/p.md:18: timeline[1].date: warning:" in (
        result.output
    )
    assert output.read_bytes() == b"previous"  # check --preflight writes nothing
    assert CliRunner().invoke(main, ["check", "--preflight", "--strict"]).exit_code == 1
