"""Copyfitting (pressroom.fitting): page budgets from an edition, short last pages pulled
back, the steps a layout declares; and the teaser pages that take the pages a recto start
leaves over. Measured on the gallery's generated profiles."""

from __future__ import annotations

import io
import json
import re

import pdfplumber
import pytest
from click.testing import CliRunner

from pressroom import build_workspace, load_profile
from pressroom.api import render
from pressroom.cli import main
from pressroom.config import Workspace
from pressroom.diagnostics import ContentError, LayoutError
from pressroom.editions import load_edition
from pressroom.fitting import describe, fit
from pressroom.layouts import find_layout

from .gallery import make_gallery


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    root = tmp_path_factory.mktemp("fitting")
    make_gallery(root)
    return root


def profile(gallery, slug):
    return load_profile(gallery / "content" / "profiles" / f"{slug}.md")


def no_fitting(gallery, name="unfitted"):
    """A child of the magazine layout that declares no fitting steps."""
    folder = gallery / "layouts" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layout.yaml").write_text(
        f"name: {name}\nextends: magazine\nfitting: {{short_page: 0, steps: []}}\n"
    )
    return name


def words(pdf_bytes: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return " ".join(page.extract_text() for page in pdf.pages)


def test_a_short_last_page_is_pulled_back_by_the_layouts_steps(gallery):
    unfitted = render(profile(gallery, "timeline-12"), layout=no_fitting(gallery))
    fitted = render(profile(gallery, "timeline-12"))
    # without fitting, two events of the timeline are left alone on a fourth page
    assert unfitted.pages == 4 and unfitted.copyfit["last_page_fill"] < 40
    assert "fit" not in unfitted.copyfit
    assert fitted.pages == 3
    fit = fitted.copyfit["fit"]
    assert fit["reason"] == "short page" and fit["result"] == "pulled back"
    assert fit["steps"] == ["timeline in three columns", "tracking -1%"]
    # the band really is in three columns now: its events start at three x positions
    with pdfplumber.open(io.BytesIO(fitted.pdf)) as pdf:
        years = [w for w in pdf.pages[2].extract_words() if re.fullmatch(r"19\d\d", w["text"])]
        assert len(years) == 12 and len({round(w["x0"]) for w in years}) == 3
    assert describe(fit) == (
        "short last page pulled back; steps: timeline in three columns, tracking -1%"
    )


def test_a_timeline_left_alone_on_the_last_page_moves_into_the_story(gallery):
    unfitted = render(profile(gallery, "facts-14"), layout=no_fitting(gallery))
    fitted = render(profile(gallery, "facts-14"))
    assert unfitted.copyfit["end_page"] < unfitted.pages  # the story ended a page before
    assert unfitted.copyfit["timeline"]["page"] == unfitted.pages
    fit = fitted.copyfit["fit"]
    assert fit["result"] == "unstranded" and fit["steps"][0] == "timeline set in the story"
    assert fitted.copyfit["end_page"] == fitted.pages
    assert fitted.copyfit["timeline"]["page"] < fitted.pages
    with pdfplumber.open(io.BytesIO(fitted.pdf)) as pdf:
        assert "■" in pdf.pages[-1].extract_text()


def test_steps_that_change_what_is_shown_wait_for_a_budget(gallery):
    result = render(profile(gallery, "timeline-60"))
    fit = result.copyfit["fit"]
    assert fit["reason"] == "short page" and not fit["steps"]
    assert "pull quotes dropped" not in fit["tried"]
    # a step that changes nothing in this profile is not laid out at all
    assert "timeline set in the story" not in fit["tried"]  # a band: no effect


@pytest.fixture(scope="module")
def budgets(gallery):
    (gallery / "content" / "editions" / "budgets.yaml").write_text(
        "title: Budgets\n"
        "profiles:\n"
        "  - {profile: timeline-12, pages: 3}\n"
        "  - baseline\n"
        "  - {profile: pullquotes-3, pages: 2}\n"
        "  - {profile: no-facts, pages: 5}\n"
        "formats: [screen]\n"
    )
    (outcome,) = build_workspace(Workspace.load(gallery), ["budgets"], jobs=2, force=True)
    assert outcome.status == "built", outcome.messages
    return outcome


def test_an_edition_gives_profiles_page_budgets(gallery, budgets):
    path = gallery / "content" / "editions" / "budgets.yaml"
    edition = load_edition(path, Workspace.load(gallery))
    assert edition.meta.slugs == ["timeline-12", "baseline", "pullquotes-3", "no-facts"]
    assert edition.meta.budgets == {"timeline-12": 3, "pullquotes-3": 2, "no-facts": 5}
    fits = budgets.copyfit
    # met by the layout's steps
    assert fits["timeline-12"]["pages"] == 3
    assert fits["timeline-12"]["fit"]["fits"] and fits["timeline-12"]["fit"]["steps"]
    # under budget: no step, the lines left to fill counted
    assert fits["no-facts"]["fit"] == {"budget": 5, "lines": fits["no-facts"]["fit"]["lines"],
                                       "fits": True}  # fmt: skip
    assert fits["no-facts"]["fit"]["lines"] < -200  # two pages and part of a third to fill
    # over budget even with every step (pull quotes dropped among them): set as written
    over = fits["pullquotes-3"]["fit"]
    assert not over["fits"] and over["lines"] > 50 and "pull quotes dropped" in over["tried"]
    assert 0 < over["lines_with_steps"] < over["lines"]
    assert fits["pullquotes-3"]["pages"] == 3
    assert "fit" not in fits["baseline"]  # no budget, no short page
    # the report carries it
    report = json.loads((gallery / "build" / "report.json").read_text())
    (item,) = [i for i in report["items"] if i["item"] == "budgets"]
    assert item["copyfit"]["pullquotes-3"]["fit"]["budget"] == 2


def test_dropped_pull_quotes_are_gone_from_the_page_only_when_a_budget_asks(gallery, budgets):
    # pullquotes-3 kept its pull quotes, set at 15.5 pt (no step got it to its budget)...
    pdf = (gallery / "build" / "budgets" / "screen" / "budgets.pdf").read_bytes()
    # ...and the variable the step sets really removes them
    plain = profile(gallery, "pullquotes-3")
    plain.meta.variables = {"pullquotes": False}

    def quoted(pdf_bytes: bytes) -> int:
        with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
            return sum(1 for page in pdf.pages for c in page.chars if 15 < c["size"] < 16)

    assert quoted(render(plain).pdf) == 0 < quoted(pdf)


def test_the_build_summary_says_what_fitting_did(gallery, budgets, monkeypatch):
    monkeypatch.chdir(gallery)
    result = CliRunner().invoke(main, ["build", "budgets", "--force"], catch_exceptions=False)
    assert "copyfit: pullquotes-3 in budgets (screen): budget 2 pages: over by" in result.output
    assert "no step fits (tried: timeline set in the story" in result.output
    assert "copyfit: timeline-12 in budgets (screen): budget 3 pages:" in result.output


def test_a_budget_must_be_a_whole_number_of_pages(gallery):
    path = gallery / "content" / "editions" / "bad-budget.yaml"
    path.write_text("title: Bad\nprofiles:\n  - baseline\n  - {profile: no-art, pages: 0}\n")
    with pytest.raises(ContentError) as caught:
        load_edition(path, Workspace.load(gallery))
    (problem,) = caught.value.diagnostics
    assert problem.line == 4 and problem.field == "profiles[1].pages"
    assert "greater than or equal to 1" in problem.message
    path.write_text("title: Bad\nprofiles:\n  - {profile: nobody, pages: 2}\n")
    with pytest.raises(ContentError, match="no profile 'nobody'"):
        load_edition(path, Workspace.load(gallery))
    path.unlink()


def test_a_fitting_step_must_set_a_declared_variable(gallery):
    folder = gallery / "layouts" / "sloppy"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text(
        "name: sloppy\nextends: magazine\nfitting:\n  steps:\n"
        "    - {name: tighter, variables: {trackin: -0.01em}}\n"
    )
    with pytest.raises(LayoutError) as caught:
        find_layout("sloppy", Workspace.load(gallery))
    message = str(caught.value)
    assert "layout.yaml: fitting.steps[0] ('tighter')" in message
    assert "'trackin'" in message and "did you mean 'tracking'" in message


def test_a_child_layout_inherits_or_replaces_the_steps(gallery):
    workspace = Workspace.load(gallery)
    steps = find_layout("dossier", workspace).fitting.steps
    assert steps[0].name == "timeline set in the story" and len(steps) == 4
    assert find_layout("magazine", workspace).fitting.short_page == 40
    assert find_layout(no_fitting(gallery), workspace).fitting.steps == []


@pytest.fixture(scope="module")
def teased(gallery):
    """An edition of three-page profiles in print and screen: every second one opens after
    a page left over; the colophon (more than a page: it lists 3 pictures) goes at the end."""
    (gallery / "content" / "editions" / "teased.yaml").write_text(
        "title: Teased\nprofiles: [baseline, pullquotes-3, no-facts, headline-16]\n"
        "formats: [print, screen]\nmasthead: {Editor: Desk}\n"
    )
    outcomes = build_workspace(Workspace.load(gallery), ["teased"], jobs=2)
    assert all(o.status == "built" for o in outcomes), [o.messages for o in outcomes]
    return gallery / "build" / "teased"


def page_texts(path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_a_page_left_over_faces_its_opener_with_a_pull_quote(gallery, teased):
    pages = page_texts(teased / "print" / "teased.pdf")
    assert all(text.strip() for text in pages), "a blank page in print"
    quotes = {}  # title -> the first words of its first pull quote
    for slug in ("baseline", "pullquotes-3", "no-facts", "headline-16"):
        loaded = profile(gallery, slug)
        quote = re.search(r"::: pullquote\n(.+?)\n:::", loaded.body)[1]
        quotes[loaded.meta.title.upper()] = " ".join(quote.split()[:4])
    teasers = [n for n, text in enumerate(pages) if text.startswith("GALLERY") and "\u201c" in text]
    assert teasers, pages
    for number in teasers:
        # a left-hand page (even folio), facing the opener of the profile it quotes
        assert number % 2 == 1  # index 1, 3...: pages 2, 4...
        title = " ".join(pages[number].split("\u201d")[-1].split())  # after the quote
        assert title in " ".join(pages[number + 1].upper().split())
        assert quotes[title] in " ".join(pages[number].split())
    first_quoted = pages[teasers[0]]
    # no running head, no folio on it: kicker, quote, title only
    assert not re.search(r"^\d+$", first_quoted, re.M)


def test_screen_drops_the_pages_a_teaser_holds_in_print(teased):
    printed = page_texts(teased / "print" / "teased.pdf")
    screen = page_texts(teased / "screen" / "teased.pdf")
    teasers = sum(1 for text in printed if text.startswith("GALLERY") and "\u201c" in text)
    assert len(screen) == len(printed) - teasers


def test_teasers_false_leaves_the_pages_blank(gallery, teased):
    path = gallery / "content" / "editions" / "teased.yaml"
    path.write_text(path.read_text() + "teasers: false\n")
    outcomes = build_workspace(Workspace.load(gallery), ["teased"], ["print"], jobs=2)
    assert all(o.status == "built" for o in outcomes)
    pages = page_texts(teased / "print" / "teased.pdf")
    assert sum(1 for text in pages if not text.strip()) >= 1
    assert not any(text.startswith("GALLERY") and "\u201c" in text for text in pages)


def test_an_unstranded_box_stops_the_steps_once_the_last_page_is_not_short():
    """Each step is a full layout: after the timeline moves into the story, the later
    steps are tried only while the last page is still short."""
    from types import SimpleNamespace

    from pressroom.layouts import FittingSpec

    spec = FittingSpec.model_validate(
        {
            "short_page": 40,
            "steps": [
                {"name": "into the story", "variables": {"timeline_place": "story"}},
                {"name": "tracking", "variables": {"tracking": "-0.01em"}},
                {"name": "smaller art", "variables": {"art_height": "92mm"}},
            ],
        }
    )

    def run(fill_after_unstranding: int) -> list[dict]:
        laid_out = []

        def make(fitted):
            html = json.dumps(fitted, sort_keys=True)
            return SimpleNamespace(html=html, extra_css="", page_css="")

        def lay_out(document):
            fitted = json.loads(document.html)  # the variables make() was given
            laid_out.append(fitted)
            stranded = "timeline_place" not in fitted
            fill = 20 if stranded else fill_after_unstranding
            copyfit = {"pages": 4, "end_page": 3 if stranded else 4, "last_page_fill": fill}
            return SimpleNamespace(copyfit=copyfit, pages=4)

        result = fit(make, lay_out, spec)
        assert result.copyfit["fit"]["result"] == "unstranded"
        return laid_out

    assert len(run(fill_after_unstranding=55)) == 2  # the first layout and one step
    assert len(run(fill_after_unstranding=25)) == 4  # still short: every step is tried


class InlinePool:
    """Tasks run one by one in this process, in the order they become ready (so that a
    test can count the layouts a build makes)."""

    def __init__(self, root):
        self.root, self.pending = str(root), []

    def submit(self, task):
        self.pending.append(task)

    @property
    def busy(self):
        return bool(self.pending)

    def completed(self):
        from pressroom.builds import run_task

        task = next(t for t in self.pending if t.ready())
        self.pending.remove(task)
        yield task, run_task(self.root, task)

    def close(self):
        pass


def test_a_piece_is_fitted_as_its_profiles_own_pdf_in_one_layout(gallery, monkeypatch):
    """Where a build makes a profile's own PDF in the edition's format and layout, its
    piece takes the own PDF's fitting in one layout instead of trying the steps again."""
    import pressroom.api
    import pressroom.render
    from pressroom.builds import plan_build, run_build

    (gallery / "content" / "editions" / "shared-fit.yaml").write_text(
        "title: Shared Fitting\nprofiles: [facts-14]\nformats: [screen]\n"
    )
    layouts = []
    original = pressroom.render.render_document

    def counting(document, *args, **kwargs):
        if "Shared Fitting" in document.html and 'class="story' in document.html:
            layouts.append(document)  # a layout of the edition's profile piece
        return original(document, *args, **kwargs)

    monkeypatch.setattr(pressroom.render, "render_document", counting)
    monkeypatch.setattr(pressroom.api, "render_document", counting)
    workspace = Workspace.load(gallery)

    def build(targets):
        layouts.clear()
        plan = plan_build(workspace, targets, ["screen"])
        outcomes = run_build(workspace, plan, force=True, pool=InlinePool(gallery))
        assert all(o.ok for o in outcomes), [o.messages for o in outcomes]
        return {o.kind: o for o in outcomes}

    alone = build(["shared-fit"])  # no own PDF in this build: the piece fits itself
    assert len(layouts) >= 2  # as it was, then with each step it tried
    fitted_alone = alone["edition"].copyfit["facts-14"]["fit"]
    both = build(["facts-14", "shared-fit"])
    assert len(layouts) == 1  # the own PDF decided; the piece is laid out once
    own, piece = both["profile"].copyfit["fit"], both["edition"].copyfit["facts-14"]["fit"]
    assert piece["steps"] == own["steps"] == fitted_alone["steps"] == ["timeline set in the story"]
    assert piece["result"] == own["result"] == "unstranded"
    laid_out = both["edition"].copyfit["facts-14"]
    assert laid_out["end_page"] == laid_out["pages"]  # the timeline is not alone at the end


def test_the_summary_lists_what_did_not_fit_and_counts_what_did():
    """A large edition's summary: every profile that does not fit (or has a budget) by
    name; the edition's line left out where it repeats the own PDF's; beyond a dozen,
    the profiles fitted to a short page are counted, not listed."""
    from pressroom.builds import Outcome
    from pressroom.cli import _fitting_lines

    unstranded = {"reason": "short page", "steps": ["timeline set in the story"]}
    unstranded |= {"result": "unstranded", "fits": True}
    kept = {"reason": "short page", "steps": [], "tried": ["tracking -1%"], "fits": False}
    budget = {"budget": 3, "reason": "budget", "steps": [], "lines": -6, "fits": True}

    def profile(slug, fit):
        return Outcome(slug, "profile", "screen", "built", copyfit={"pages": 4, "fit": fit})

    few = [profile("a", unstranded), profile("b", kept)]
    edition = Outcome("ed", "edition", "screen", "built")
    edition.copyfit = {"a": {"pages": 4, "fit": unstranded}, "c": {"pages": 3, "fit": budget}}
    assert _fitting_lines([edition, *few]) == [
        "copyfit: b (screen): short last page kept; no step fits (tried: tracking -1%)",
        "copyfit: c in ed (screen): budget 3 pages: 6 lines to spare",
        "copyfit: a (screen): short last page now ends with the story's text; "
        "steps: timeline set in the story",
    ]
    many = [profile(f"p{i}", unstranded) for i in range(13)] + few
    lines = _fitting_lines(many)
    assert lines[0].startswith("copyfit: b (screen): short last page kept")
    assert lines[1:] == [
        "copyfit: 14 profiles fitted by the layout's steps "
        "(build/report.json says how, under copyfit.fit)"
    ]
