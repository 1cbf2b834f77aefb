"""Loading and validating profiles: every bad input gets an exact, located message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pressroom import ContentError, load_profile
from pressroom.config import Workspace
from pressroom.content import PartialDate, check_profile

from .conftest import GOOD_FRONT_MATTER, SAMPLE_PROFILE


def messages(path: Path) -> list[str]:
    root = path.parents[2]
    return [d.format(root) for d in check_profile(path, Workspace.load(root))]


def test_good_profile_loads_with_defaults(workspace):
    profile = load_profile(workspace.profile("good"))
    assert profile.meta.title == "A Test Profile"
    assert profile.slug == "good"
    assert profile.lang == "en"
    assert profile.layout == "magazine"
    assert profile.meta.date == dt.date(2024, 5, 1)
    assert profile.meta.facts[0].value == "1950"  # numbers in YAML are text in a fact box
    assert [str(e.date) for e in profile.meta.timeline] == ["1950", "2001-09"]
    assert profile.illustration_path.name == "portrait.svg"
    assert profile.warnings == []


def test_sample_profile_meets_the_brief():
    profile = load_profile(SAMPLE_PROFILE)
    words = len(profile.body.split())
    assert 1200 <= words <= 1800
    assert profile.meta.illustration.credit == "Illustration by Jeanette Khouri"
    assert len(profile.meta.timeline) >= 8
    assert profile.meta.facts


def test_missing_title_is_reported_with_its_line(workspace):
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("title: A Test Profile\n", ""))
    assert messages(path) == ["content/profiles/p.md:2: title: required"]


def test_yaml_syntax_error_has_line_and_column(workspace):
    path = workspace.profile("p", 'title: "unterminated\ndek: x\n')
    assert messages(path) == [
        "content/profiles/p.md:4: YAML syntax error, column 1: found unexpected end of stream "
        "(while scanning a quoted scalar that starts on line 2)"
    ]


def test_yaml_bad_indentation(workspace):
    path = workspace.profile("p", "title: T\nfacts:\n  - label: a\n   value: b\n")
    (message,) = messages(path)
    assert message == (
        "content/profiles/p.md:5: YAML syntax error, column 4: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block collection that starts on line 4)"
    )


def test_every_problem_is_reported_at_once(workspace):
    front = """\
title: 42
titel: Oops
dek: [a, b]
date: 2021-13-01
illustration:
  src: missing.png
  alt: x
facts:
  - label: Born
  - label: Died
    value: 2000
    note: extra
timeline:
  - date: June 2016
    event: Something
  - date: 2016-02-30
    event: Else
  - date: 2016-06
tags: notalist
"""
    path = workspace.profile("bad", front)
    assert messages(path) == [
        "content/profiles/bad.md:2: title: must be text, found a number",
        "content/profiles/bad.md:3: titel: warning: unknown field, ignored; did you mean 'title'?",
        "content/profiles/bad.md:4: dek: must be text, found a list",
        "content/profiles/bad.md:5: date: '2021-13-01' is not a date; write it as YYYY-MM-DD",
        "content/profiles/bad.md:6: illustration.credit: required "
        "(or list the picture in credits.yaml, the rights ledger)",
        "content/profiles/bad.md:7: illustration.src: file not found: 'missing.png'",
        "content/profiles/bad.md:10: facts[0].value: required",
        "content/profiles/bad.md:13: facts[1].note: warning: unknown field, ignored",
        "content/profiles/bad.md:15: timeline[0].date: 'June 2016' is not a date; "
        "write YYYY, YYYY-MM or YYYY-MM-DD",
        "content/profiles/bad.md:17: timeline[1].date: '2016-02-30' is not a date; "
        "write YYYY, YYYY-MM or YYYY-MM-DD",
        "content/profiles/bad.md:19: timeline[2].event: required",
        "content/profiles/bad.md:20: tags: must be a list, found text",
    ]


def test_load_profile_raises_with_all_errors(workspace):
    path = workspace.profile("p", "dek: no title\nfacts: 3\n")
    with pytest.raises(ContentError) as caught:
        load_profile(path)
    assert [d.field for d in caught.value.errors] == ["title", "facts"]


def test_unknown_field_is_only_a_warning(workspace):
    path = workspace.profile("p", GOOD_FRONT_MATTER + "bylin: Someone\n")
    profile = load_profile(path)
    assert [d.format(workspace.root) for d in profile.warnings] == [
        "content/profiles/p.md:20: bylin: warning: unknown field, ignored; did you mean 'byline'?"
    ]


def test_illustration_that_is_not_an_image(workspace):
    (workspace.root / "content" / "profiles" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot")
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("portrait.svg", "broken.png"))
    (message,) = messages(path)
    assert message.startswith(
        "content/profiles/p.md:9: illustration.src: 'broken.png' is not a readable image"
    )


def test_illustration_that_is_a_folder(workspace):
    (workspace.root / "content" / "profiles" / "folder.svg").mkdir()
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("portrait.svg", "folder.svg"))
    assert messages(path) == [
        "content/profiles/p.md:9: illustration.src: 'folder.svg' is not a regular file"
    ]


def test_illustration_outside_the_workspace(workspace, tmp_path):
    outside = tmp_path / "outside.svg"
    outside.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("portrait.svg", "../../../outside.svg"))
    assert messages(path) == [
        "content/profiles/p.md:9: illustration.src: '../../../outside.svg' is outside the workspace"
    ]


def test_symlink_leading_out_of_the_workspace_is_refused(workspace, tmp_path):
    outside = tmp_path / "secret.svg"
    outside.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (workspace.root / "content" / "profiles" / "link.svg").symlink_to(outside)
    path = workspace.profile("p", GOOD_FRONT_MATTER.replace("portrait.svg", "link.svg"))
    assert messages(path) == [
        "content/profiles/p.md:9: illustration.src: 'link.svg' is outside the workspace"
    ]


def test_body_images_pointing_outside_or_online_are_errors(workspace):
    body = "Intro.\n\n![a](/etc/passwd)\n\nMore.\n\n![b](https://example.com/b.png)\n"
    path = workspace.profile("p", body=body)
    assert messages(path) == [
        "content/profiles/p.md:23: body: image '/etc/passwd' is outside the workspace",
        "content/profiles/p.md:27: body: image 'https://example.com/b.png' is a https: URL; "
        "pressroom never fetches from the network, so copy the file into the workspace and "
        "use a relative path",
    ]


def test_missing_front_matter(workspace):
    path = workspace.root / "content" / "profiles" / "p.md"
    path.write_text("# Just markdown\n", encoding="utf-8")
    assert messages(path) == [
        "content/profiles/p.md:1: front matter: missing; a profile starts with a '---' line, "
        "its fields, then another '---'"
    ]


def test_unclosed_front_matter(workspace):
    path = workspace.root / "content" / "profiles" / "p.md"
    path.write_text("---\ntitle: x\n", encoding="utf-8")
    assert messages(path) == [
        "content/profiles/p.md:1: front matter: not closed; add a '---' line after the last field"
    ]


def test_non_utf8_file(workspace):
    path = workspace.root / "content" / "profiles" / "p.md"
    path.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    assert messages(path) == ["content/profiles/p.md:2: not UTF-8 text (byte 14); save it as UTF-8"]


def test_bad_lang_and_slug(workspace):
    path = workspace.profile("p", GOOD_FRONT_MATTER + "lang: english!\nslug: Not A Slug\n")
    assert messages(path) == [
        "content/profiles/p.md:20: lang: 'english!' is not a BCP 47 language tag "
        "(for example en, en-GB, ar)",
        "content/profiles/p.md:21: slug: 'Not A Slug' is not a slug; use lower-case letters, "
        "digits, '-', '.' and '_'",
    ]


def test_lang_defaults_from_workspace(workspace):
    (workspace.root / "pressroom.yaml").write_text("lang: en-GB\n", encoding="utf-8")
    assert load_profile(workspace.profile("p")).lang == "en-GB"


def test_bad_config_is_reported(workspace):
    (workspace.root / "pressroom.yaml").write_text("page_size: A9\nlang: 12\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        Workspace.load(workspace.root)
    assert [d.format(workspace.root) for d in caught.value.diagnostics] == [
        "pressroom.yaml:2: lang: must be text, found a number",
        "pressroom.yaml:1: page_size: 'A9' is not a page size; use one of a3, a4, a5, b4, b5, "
        "jis-b4, jis-b5, ledger, legal, letter, or two lengths like '170mm 240mm'",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1967, PartialDate(1967)),
        ("2016-06", PartialDate(2016, 6)),
        ("2021-11-07", PartialDate(2021, 11, 7)),
    ],
)
def test_partial_dates(value, expected):
    assert PartialDate.parse(value) == expected


@pytest.mark.parametrize("value", ["16-06", "2016-13", "2016-06-31", "June 2016", 3.5])
def test_partial_dates_refused(value):
    with pytest.raises(ValueError, match="is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"):
        PartialDate.parse(value)
