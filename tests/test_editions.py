"""Edition files: validation, with every problem reported at once before rendering."""

from __future__ import annotations

import textwrap

import pytest

from pressroom.config import Workspace
from pressroom.editions import inspect_edition

from .conftest import GOOD_FRONT_MATTER, SAMPLE_ILLUSTRATION

GOOD_EDITION = """\
title: Test Weekly
issue: 7
date: 2024-06-01
cover:
  src: cover.svg
  alt: A cover.
  credit: Cover by Someone
  lines: [One, Two]
profiles: [one, two]
formats: [screen, archive]
"""


@pytest.fixture
def editions(workspace):
    workspace.profile("one")
    workspace.profile("two", GOOD_FRONT_MATTER.replace("A Test Profile", "Second"))
    folder = workspace.root / "content" / "editions"
    folder.mkdir()
    (folder / "cover.svg").write_bytes(SAMPLE_ILLUSTRATION.read_bytes())

    def write(text: str, name: str = "e"):
        path = folder / f"{name}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        edition, diagnostics = inspect_edition(path, Workspace.load(workspace.root))
        return edition, [d.format(workspace.root) for d in diagnostics]

    return write


def test_good_edition(editions):
    edition, messages = editions(GOOD_EDITION)
    assert messages == []
    assert edition.slug == "e"
    assert edition.meta.issue == 7
    assert [p.name for p in edition.profile_paths] == ["one.md", "two.md"]
    assert edition.format_names == ["screen", "archive"]
    assert edition.cover_path.name == "cover.svg"


def test_formats_default_to_every_defined_format(editions):
    edition, _ = editions(GOOD_EDITION.replace("formats: [screen, archive]\n", ""))
    assert edition.format_names == ["print", "screen", "archive"]


def test_every_edition_problem_at_once(editions):
    text = """\
    title: Test Weekly
    cover:
      src: missing.svg
      alt: A cover.
      credit: Cover by Someone
    profiles:
      - one
      - nobody
      - one
    formats: [screen, zine]
    colour: blue
    """
    edition, messages = editions(text)
    assert edition is None
    assert messages == [
        "content/editions/e.yaml:3: cover.src: file not found: 'missing.svg'",
        "content/editions/e.yaml:8: profiles[1]: no profile 'nobody'; profiles: one, two",
        "content/editions/e.yaml:9: profiles[2]: 'one' is listed twice (first as profiles[0])",
        "content/editions/e.yaml:10: formats[1]: unknown format 'zine'; "
        "known formats: archive, print, screen",
        "content/editions/e.yaml:11: colour: warning: unknown field, ignored",
    ]


def test_missing_required_fields(editions):
    _, messages = editions("issue: Winter\n")
    assert messages == [
        "content/editions/e.yaml:1: title: required",
        "content/editions/e.yaml:1: profiles: required",
    ]


def test_yaml_error_in_edition(editions):
    _, messages = editions("title: [unclosed\n")
    assert messages == [
        "content/editions/e.yaml:2: YAML syntax error, column 1: expected ',' or ']', but got "
        "'<stream end>' (while parsing a flow sequence that starts on line 1)"
    ]


def test_a_custom_format_from_the_config_is_known(editions, workspace):
    (workspace.root / "pressroom.yaml").write_text(
        "formats:\n  proof: {description: Proofs, image_dpi: 72}\n", encoding="utf-8"
    )
    edition, messages = editions(GOOD_EDITION.replace("[screen, archive]", "[proof]"))
    assert messages == []
    fmt = edition.workspace.formats["proof"]
    assert (fmt.image_dpi, fmt.links, fmt.pdf_variant) == (72, True, None)


def test_plan_picks_formats_and_targets(editions, workspace):
    from pressroom.builds import UnknownTarget, plan_build

    editions(GOOD_EDITION)
    ws = Workspace.load(workspace.root)
    everything = plan_build(ws)
    assert [(j.kind, j.item, j.format) for j in everything.jobs] == [
        ("profile", "one", "screen"),
        ("profile", "two", "screen"),
        ("edition", "e", "screen"),
        ("edition", "e", "archive"),
    ]
    edition_job = everything.jobs[2]
    assert {k: str(v.relative_to(workspace.root)) for k, v in edition_job.outputs.items()} == {
        "e": "build/e/screen/e.pdf",
        "one": "build/e/screen/one.pdf",
        "two": "build/e/screen/two.pdf",
    }
    archive_only = plan_build(ws, formats=["archive"])
    assert [(j.item, j.format) for j in archive_only.jobs] == [("e", "archive")]
    just_one = plan_build(ws, targets=["one"])
    assert [(j.item, j.format) for j in just_one.jobs] == [("one", "screen")]
    by_path = plan_build(ws, targets=["content/editions/e.yaml"], formats=["screen"])
    assert [(j.item, j.format) for j in by_path.jobs] == [("e", "screen")]
    with pytest.raises(UnknownTarget, match="unknown format 'zine'; known formats: archive, "):
        plan_build(ws, formats=["zine"])


def test_check_command_covers_editions(editions, workspace, monkeypatch):
    from click.testing import CliRunner

    from pressroom.cli import main

    editions(GOOD_EDITION.replace("[one, two]", "[one, ghost]"))
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert "content/editions/e.yaml:9: profiles[1]: no profile 'ghost'; profiles: one, two" in (
        result.output
    )
    assert "checked 2 profiles and 1 editions: 1 errors, 0 warnings" in result.output
