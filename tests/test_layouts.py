"""Layout lookup, template errors, and the HTML a layout produces."""

from __future__ import annotations

import io

import pytest

from pressroom import LayoutError, load_profile
from pressroom.config import Workspace, builtin_root
from pressroom.content import PartialDate
from pressroom.layouts import (
    find_layout,
    format_any_date,
    layout_dirs,
    render_profile_html,
)


def test_search_path_is_workspace_then_builtin(workspace):
    ws = Workspace.load(workspace.root)
    assert layout_dirs(ws) == [workspace.root / "layouts", builtin_root() / "layouts"]


def test_builtin_magazine_is_found_from_any_workspace(workspace):
    layout = find_layout("magazine", Workspace.load(workspace.root))
    assert layout.builtin
    assert [p.name for p in layout.stylesheets] == ["fonts.css", "magazine.css"]


def test_workspace_layout_wins_and_extends_builtin(workspace):
    child = workspace.root / "layouts" / "magazine-red"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text(
        "name: magazine-red\nextends: magazine\nstylesheets: [red.css]\n", encoding="utf-8"
    )
    (child / "red.css").write_text(":root { --accent: red; }\n", encoding="utf-8")
    layout = find_layout("magazine-red", Workspace.load(workspace.root))
    assert [entry.name for entry in layout.chain] == ["magazine-red", "magazine"]
    assert layout.template_dirs == [child, builtin_root() / "layouts" / "magazine"]
    # parents' CSS first, so the child's rules win
    assert [p.name for p in layout.stylesheets] == ["fonts.css", "magazine.css", "red.css"]


def test_unknown_layout_lists_the_available_ones(workspace):
    with pytest.raises(
        LayoutError, match="layout 'nope' not found; available layouts: dossier, magazine"
    ):
        find_layout("nope", Workspace.load(workspace.root))


def test_extends_cycle_is_an_error(workspace):
    for name, parent in (("a", "b"), ("b", "a")):
        folder = workspace.root / "layouts" / name
        folder.mkdir(parents=True)
        (folder / "layout.yaml").write_text(f"name: {name}\nextends: {parent}\n")
    with pytest.raises(LayoutError, match="layout 'a' extends itself: a -> b -> a"):
        find_layout("a", Workspace.load(workspace.root))


def test_template_typo_is_an_error_with_file_and_line(workspace):
    child = workspace.root / "layouts" / "typo"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text("name: typo\nextends: magazine\n")
    (child / "profile.html.j2").write_text(
        "<h1>{{ profile.title }}</h1>\n<p>{{ profile.titel }}</p>\n"
    )
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(LayoutError) as caught:
        render_profile_html(profile, find_layout("typo", profile.workspace))
    assert str(caught.value).endswith(
        "layouts/typo/profile.html.j2:2: layout 'typo': "
        "profile has no attribute 'titel'; did you mean 'title'?"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "profile.facts[0].lable",
            "profile.facts[] has no attribute 'lable'; did you mean 'label'?",
        ),
        ("profile.illustration['credti']", "profile.illustration has no attribute 'credti'"),
        ("format.linx", "format has no attribute 'linx'; did you mean 'links'?"),
        ("vars.acent", "vars has no attribute 'acent'; did you mean 'accent'?"),
        ("document.zzz", "document has no attribute 'zzz' (it has: title, author, description"),
    ],
)
def test_an_unknown_attribute_names_the_object_and_the_right_name(workspace, expression, message):
    child = workspace.root / "layouts" / "typo"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text("name: typo\nextends: magazine\n")
    # "is defined" still answers, without an error: layouts test for optional things.
    (child / "profile.html.j2").write_text(
        "{% if profile.nothing is defined %}no{% endif %}\n{{ " + expression + " }}\n"
    )
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(LayoutError) as caught:
        render_profile_html(profile, find_layout("typo", profile.workspace))
    assert "layouts/typo/profile.html.j2:2: layout 'typo': " + message in str(caught.value)


def test_profile_html_has_metadata_boxes_and_escaping(workspace):
    path = workspace.profile("p", body="Text with <b>tags</b>.\n")
    document = render_profile_html(load_profile(path))
    html = document.html
    assert '<html lang="en" dir="ltr">' in html
    assert "<title>A Test Profile</title>" in html
    assert '<span class="credit">Illustration by Test Artist</span>' in html
    assert '<aside class="factbox"' in html and '<aside class="timeline"' in html
    assert "&lt;b&gt;tags&lt;/b&gt;" in html
    assert document.metadata == {
        "title": "A Test Profile",
        "author": "Test Writer",
        "subject": "A short dek.",
        "keywords": ["one", "two"],
        "lang": "en",
        "images": [
            {
                "file": "content/profiles/portrait.svg",
                "field": "illustration",
                "title": "A Test Profile",
                "lang": "en",
                "credit": "Illustration by Test Artist",
                "creator": "",
                "licence": "",
                "source": "",
                "status": "final",
                "fpo": False,
                "page": None,
            }
        ],
    }
    assert "@page { size: A4; margin: 20mm 17mm 22mm 17mm; }" in document.page_css


def test_page_size_comes_from_config(workspace):
    (workspace.root / "pressroom.yaml").write_text("page_size: letter\n", encoding="utf-8")
    document = render_profile_html(load_profile(workspace.profile("p")))
    assert "@page { size: letter; margin: 20mm 17mm 22mm 17mm; }" in document.page_css


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (PartialDate(1967), "en", "1967"),
        (PartialDate(2016, 6), "en", "June 2016"),
        (PartialDate(2021, 11, 7), "en-GB", "7 November 2021"),
        (PartialDate(2021, 11, 7), "fr", "7 novembre 2021"),
    ],
)
def test_dates_are_formatted_for_the_language(value, lang, expected):
    assert format_any_date(value, lang) == expected


def test_workspace_layout_of_the_same_name_extends_the_builtin(workspace):
    own = workspace.root / "layouts" / "magazine"
    (own / "partials").mkdir(parents=True)
    (own / "layout.yaml").write_text("name: magazine\nextends: magazine\n")
    (own / "profile.html.j2").write_text(
        '{% extends "builtin/magazine/profile.html.j2" %}\n'
        "{% block body_class %}house-style{% endblock %}\n"
    )
    layout = find_layout("magazine", Workspace.load(workspace.root))
    assert [entry.builtin for entry in layout.chain] == [False, True]
    html = render_profile_html(load_profile(workspace.profile("p")), layout).html
    assert '<body class="house-style format-screen">' in html  # the overridden block
    assert '<aside class="factbox"' in html  # everything else from the built-in


def test_child_layout_overrides_one_block_and_adds_css(workspace):
    child = workspace.root / "layouts" / "plain"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text("name: plain\nextends: magazine\nstylesheets: [plain.css]\n")
    (child / "profile.html.j2").write_text(
        '{% extends "builtin/magazine/profile.html.j2" %}'
        '{% block head %}<meta name="x-plain" content="1">{% endblock %}\n'
    )
    (child / "plain.css").write_text(".kicker { color: green; }\n")
    layout = find_layout("plain", Workspace.load(workspace.root))
    document = render_profile_html(load_profile(workspace.profile("p")), layout)
    assert '<meta name="x-plain" content="1">' in document.html
    assert [p.name for p in document.stylesheets] == ["fonts.css", "magazine.css", "plain.css"]


@pytest.mark.slow
def test_dossier_sets_one_column_with_marginalia(workspace):
    import pdfplumber

    from pressroom import render_pdf

    layout = find_layout("dossier", Workspace.load(workspace.root))
    assert [entry.name for entry in layout.chain] == ["dossier", "magazine"]
    body = "\n\n".join(["A paragraph of the story that runs on for a while. " * 6] * 8)
    pdf = render_pdf(load_profile(workspace.profile("p", body=body)), layout="dossier")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        mm = 72 / 25.4
        text_right = page.width - 76 * mm  # the wide right margin of the dossier
        body_words = [w for w in page.extract_words() if w["text"] == "paragraph"]
        assert body_words and all(w["x1"] < text_right + 1 for w in body_words)
        assert len({round(w["x0"]) for w in body_words}) > 3  # one ragged column, not two
        label = next(w for w in page.extract_words() if w["text"] == "BORN")
        assert label["x0"] > text_right  # the fact box sits in the margin


ARTICLE_BLOCKS = [
    "art", "factbox", "headline", "headline_text", "article_class", "masthead", "opener",
    "story", "story_block", "see_also", "timeline", "end",
]  # fmt: skip


def test_the_article_is_built_from_named_blocks_a_child_overrides_one_at_a_time(workspace):
    from pressroom.layouts import make_environment

    layout = find_layout("magazine", Workspace.load(workspace.root))
    template = make_environment(layout).get_template("partials/article.html.j2")
    assert sorted(template.blocks) == sorted(ARTICLE_BLOCKS)  # the documented ones, pinned
    partials = workspace.root / "layouts" / "house" / "partials"
    partials.mkdir(parents=True)
    (partials.parent / "layout.yaml").write_text("name: house\nextends: magazine\n")
    (partials / "article.html.j2").write_text(
        '{% extends "builtin/magazine/partials/article.html.j2" %}\n'
        '{% block factbox %}<aside class="factbox"><p>House facts</p></aside>{% endblock %}\n'
        '{% block end %}<p class="sign-off">Filed by the desk.</p>{% endblock %}\n'
    )
    profile = load_profile(workspace.profile("p", body="One paragraph.\n"))
    html = render_profile_html(profile, find_layout("house", profile.workspace)).html
    assert "<p>House facts</p>" in html and "At a glance" not in html  # replaced...
    assert html.count('class="factbox"') == 1  # ...where the sidebar was, once
    assert '<p class="sign-off">Filed by the desk.</p></article>' in html
    assert '<h1 class="headline">' in html and 'class="story"' in html  # the rest as it was


def test_the_dossier_copies_nothing_of_the_magazine_article():
    text = (builtin_root() / "layouts" / "dossier" / "partials" / "article.html.j2").read_text()
    assert '{% extends "builtin/magazine/partials/article.html.j2" %}' in text
    for copied in ('class="masthead"', "<h1", 'class="byline"', 'class="see-also"'):
        assert copied not in text
