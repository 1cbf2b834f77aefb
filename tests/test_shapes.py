"""Openers and timelines for content of other shapes than the sample's: long fact boxes,
long timelines, long headlines. Checked with the PDF's geometry (pdfplumber)."""

from __future__ import annotations

import io
import re
from collections import Counter

import pdfplumber
import pytest

from pressroom import load_profile
from pressroom.api import render
from pressroom.layouts import factbox_height_mm

from .conftest import GOOD_FRONT_MATTER, SAMPLE_PROFILE

pytestmark = pytest.mark.slow
MM = 72 / 25.4
PARAGRAPH = (
    "The harbour opened at dawn and the boats went out in a line, each one lit from the "
    "stern, and the men on the quay counted them as they passed the breakwater light. "
)
STORY = "\n\n".join(PARAGRAPH * 4 for _ in range(14))


def front(facts: int = 3, events: int = 2, title: str = "A Test Profile") -> str:
    text = GOOD_FRONT_MATTER.replace("title: A Test Profile", f"title: {title}")
    text = text.split("facts:")[0]
    text += "facts:\n" + "".join(
        f"  - label: Fact {i}\n    value: A value of several words, number {i}\n"
        for i in range(facts)
    )
    text += "timeline:\n" + "".join(
        f"  - date: {1950 + i}\n    event: Something happened that year, event {i}.\n"
        for i in range(events)
    )
    return text


def pdf_of(workspace, name: str, front_matter: str, body: str = STORY):
    result = render(load_profile(workspace.profile(name, front_matter, body)))
    assert result.layout_problems == []
    return pdfplumber.open(io.BytesIO(result.pdf))


def timeline_years(pdf, first: int, last: int) -> list[dict]:
    """The timeline's year labels (words that are years from ``first`` to before ``last``)."""
    return [
        w
        for page in pdf.pages
        for w in page.extract_words()
        if w["text"].isdigit() and first <= int(w["text"]) < last
    ]


def words_at(page, size_over: float):
    return [w for w in page.extract_words(extra_attrs=["size"]) if w["size"] > size_over]


def test_a_long_fact_box_moves_into_the_story_and_leaves_no_hole(workspace):
    with pdf_of(workspace, "p", front(facts=14)) as pdf:
        opener = pdf.pages[0]
        headline = words_at(opener, 30)
        kicker = [w for w in opener.extract_words() if w["text"] == "PROFILE"]
        assert headline and kicker  # kicker and headline together on the opener
        text = " ".join(page.extract_text() for page in pdf.pages)
        assert all(f"number {i}" in text for i in range(14))
        glance = [
            (n, w)
            for n, page in enumerate(pdf.pages)
            for w in page.extract_words()
            if w["text"] == "GLANCE"
        ]
        (number, label), *_ = glance
        # not a sidebar beside the art: below the headline, in a story column
        assert number > 0 or label["top"] > headline[-1]["bottom"]
        # the opener's columns run down the page: no hole under the story's start
        lowest = max(w["bottom"] for w in opener.extract_words() if w["top"] > 200)
        assert lowest > opener.height - 40 * MM


def test_a_fact_box_too_tall_for_a_page_runs_on_between_facts(workspace):
    with pdf_of(workspace, "p", front(facts=30)) as pdf:
        pages_with_facts = {
            n
            for n, page in enumerate(pdf.pages)
            for w in page.extract_words()
            if w["text"] == "FACT"
        }
        assert len(pages_with_facts) >= 1
        text = " ".join(page.extract_text() for page in pdf.pages)
        assert all(f"number {i}" in text for i in range(30))


def test_a_long_timeline_is_a_band_across_the_page_in_columns(workspace):
    with pdf_of(workspace, "p", front(events=30)) as pdf:
        dates = timeline_years(pdf, 1950, 1980)
        assert len(dates) == 30
        columns = Counter(round(w["x0"] / 20) for w in dates)
        assert len(columns) == 3  # 30 events: three balanced columns
        assert max(columns.values()) - min(columns.values()) <= 1
        last = pdf.pages[-1]
        assert len(pdf.pages) <= 3  # no page left over for the timeline alone
        band = [w for w in last.extract_words() if w["text"] == "TIMELINE"]
        assert band, "the band closes the story on the last page"


def test_a_short_timeline_stays_in_the_column(workspace):
    with pdf_of(workspace, "p", front(events=5)) as pdf:
        dates = timeline_years(pdf, 1950, 1955)
        assert len(dates) == 5
        assert len({round(w["x0"] / 20) for w in dates}) == 1


@pytest.mark.parametrize(
    "title",
    [
        "The Harbour Master Who Reads the Tide",
        "A Harbour Master Who Reads the Tide and Keeps the Lamps Lit on the Old Quay at Night",
        "Tide",
    ],
)
def test_headlines_never_leave_a_lone_short_word_on_a_line(workspace, title):
    with pdf_of(workspace, "p", front(title=title)) as pdf:
        lines = [
            line["text"]
            for line in pdf.pages[0].extract_text_lines()
            if abs(line["chars"][0]["size"] - 40) < 1  # the headline (the drop cap is 47 pt)
        ]
    assert " ".join(lines) == title
    if len(title.split()) > 2:
        assert all(len(line.split()) > 1 for line in lines), lines


def test_the_sample_fact_box_stays_beside_its_art(workspace):
    profile = load_profile(SAMPLE_PROFILE)
    assert factbox_height_mm(profile.meta.facts, profile.lang) < 126
    with pdfplumber.open(io.BytesIO(render(profile).pdf)) as pdf:
        page = pdf.pages[0]
        glance = next(w for w in page.extract_words() if w["text"] == "GLANCE")
        headline = words_at(page, 30)
        assert glance["top"] < headline[0]["top"]  # above the headline: the sidebar
        assert glance["x0"] > page.width / 2  # beside the art, on the outer side


def test_the_build_reports_how_each_profile_filled_its_pages(workspace):
    from pressroom import build_workspace
    from pressroom.config import Workspace

    workspace.profile("band", front(events=30))
    workspace.profile("long", front(facts=14))
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "e.yaml").write_text("title: T\nprofiles: [band, long]\nformats: [screen]\n")
    outcomes = {o.item: o for o in build_workspace(Workspace.load(workspace.root), jobs=2)}
    band, long = outcomes["band"].copyfit, outcomes["long"].copyfit
    assert band["timeline"]["placement"] == "across the page"
    assert band["factbox"] == {"page": 1, "pages": 1, "placement": "sidebar"}
    assert long["factbox"]["placement"] == "column" and long["factbox"]["pages"] >= 1
    for fit in (band, long):
        assert fit["pages"] == outcomes["band" if fit is band else "long"].pages
        assert 0 < fit["last_page_fill"] <= 100
    # the same, per profile, for an edition (pages counted from each profile's opener)
    edition = outcomes["e"].copyfit
    assert edition["band"]["timeline"] == band["timeline"]
    assert set(edition) == {"band", "long"}
    report = (workspace.root / "build" / "report.json").read_text()
    assert '"last_page_fill"' in report


LONG_ENDINGS = ["extraordinarily", "administration", "characteristically", "incomprehensible"]


def hyphenation_story(count: int = 48) -> str:
    """Paragraphs of varied length, each ending in a long word a hyphenator would break."""
    words = PARAGRAPH.split()
    return "\n\n".join(
        " ".join(words[: 9 + (index * 7) % 31]) + f" {LONG_ENDINGS[index % 4]}."
        for index in range(count)
    )


def fragment_lines(pdf_bytes: bytes) -> list[str]:
    """Lines that hold only the tail of a paragraph's broken last word."""
    tails = {word[cut:] + "." for word in LONG_ENDINGS for cut in range(2, len(word) - 1)}
    return [line for line in column_lines(pdf_bytes) if line in tails]


def column_lines(pdf_bytes: bytes) -> list[str]:
    """The text's lines, column by column (a page's two halves read apart)."""
    lines = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            for x0, x1 in ((0, page.width / 2), (page.width / 2, page.width)):
                text = page.crop((x0, 0, x1, page.height)).extract_text()
                lines += [line.strip() for line in text.splitlines()]
    return lines


def test_a_paragraphs_last_word_is_never_broken(workspace):
    path = workspace.profile("hyphens", front(), hyphenation_story())
    result = render(load_profile(path))
    assert fragment_lines(result.pdf) == []
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:  # the story is hyphenated elsewhere
        assert sum(p.extract_text().count("\u2010\n") for p in pdf.pages) > 3
    # the check would see it: without the guard, some paragraphs end on a fragment
    folder = workspace.root / "layouts" / "loose"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text("name: loose\nextends: magazine\nstylesheets: [l.css]\n")
    (folder / "l.css").write_text(".story .last-word { hyphens: auto; }\n")
    assert fragment_lines(render(load_profile(path), layout="loose").pdf) != []


def test_written_dates_stay_on_one_line(workspace):
    months = ["January", "February", "March", "April", "May", "June", "July", "August"]
    months += ["September", "October"]
    story = "\n\n".join(
        f"{PARAGRAPH[: 40 + 9 * i]} on {1 + i % 28} {months[i % 10]} {1990 + i} the council met."
        for i in range(60)
    )
    path = workspace.profile("dates", front(), story)
    boxes = ("FACT", "number", "event")  # the fact box and timeline: not the story
    lines = column_lines(render(load_profile(path)).pdf)
    lines = [line for line in lines if not any(word in line for word in boxes)]
    lines = [line for line in lines if not line.isdigit()]  # folios
    assert sum("met." in line for line in lines) == 60  # every paragraph read
    for line in lines:  # a line of the story never ends inside a date
        assert not re.search(rf"(\b[1-9]\d?|{'|'.join(months)})\u2010?$", line), line
        tails = "|".join(m[3:] for m in months if len(m) > 5)  # "ber 1995": a broken month
        assert not re.search(rf"^({tails})\b", line), line
