"""The command line's contracts, one test per bug met on the way (issue 15): formats an
edition leaves out, where `proof` writes, usage errors, `render` outside a workspace and its
preflight, one spelling of errors, and a child layout's page size."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from pressroom.cli import main

from .test_builds import copy_sample

pytestmark = pytest.mark.slow


@pytest.fixture
def sample(tmp_path, monkeypatch):
    root = copy_sample(tmp_path / "ws")
    monkeypatch.chdir(root)
    return root


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_format_narrows_an_edition_but_never_adds_a_format_it_leaves_out(sample):
    result = run("build", "2021-winter-ar", "--format", "archive")
    assert result.exit_code == 1, result.output  # nothing asked for can be built
    assert not (sample / "build" / "2021-winter-ar" / "archive").exists()
    assert (
        "content/editions/2021-winter-ar.yaml:17: formats: warning: not built in archive: "
        "the edition is published only in print, screen\nnothing to build"
    ) in result.output
    result = run("build", "2021-winter-ar", "--format", "screen")
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(sample / "build" / "2021-winter-ar")) == ["screen"]


def test_proof_of_a_target_writes_beside_its_pdf_not_in_the_working_folder(sample):
    before = set(os.listdir(sample))
    result = run("proof", "wierzbicki")
    assert result.exit_code == 0, result.output
    assert set(os.listdir(sample)) == before | {"build"}
    assert (sample / "build" / "wierzbicki-proof.png").is_file()
    assert "wrote build/wierzbicki-proof.png" in result.output
    help_text = run("proof", "--help").output
    assert "--columns INTEGER RANGE  Spreads (facing pages) per row" in help_text


def test_an_unknown_format_is_a_usage_error_in_pressrooms_words(sample):
    result = run("render", "content/profiles/wierzbicki.md", "--format", "zine")
    assert result.exit_code == 2
    assert "error: Invalid value for '--format': unknown format 'zine'; known formats: " in (
        result.output
    )
    for args in (["bogus"], ["render", "--nope", "x.md"], ["proof"]):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "\nerror: " in result.output and "Error:" not in result.output, result.output


def test_a_profile_on_its_own_names_its_folder_not_a_workspace(tmp_path, monkeypatch):
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "k.md").write_text(
        (copy_sample(tmp_path / "ws") / "content" / "profiles" / "al-kadhimi.md").read_text()
    )
    monkeypatch.chdir(lone)
    result = run("render", "k.md")
    assert result.exit_code == 1
    assert (
        "k.md:14: illustration.src: '../../assets/illustrations/al-kadhimi.svg' is outside "
        "the profile's folder (no pressroom.yaml above it makes a workspace"
    ) in result.output
    assert "outside the workspace" not in result.output


def test_render_runs_the_preflight_build_runs(sample):
    # FPO art in print: an error, and nothing is written (as `build` refuses it)
    result = run("render", "content/profiles/al-kadhimi.md", "--format", "print", "-o", "k.pdf")
    assert result.exit_code == 1
    assert "illustration.status: error: 'assets/illustrations/al-kadhimi.svg' is FPO art" in (
        result.output
    )
    assert "error: preflight failed: nothing written" in result.output
    assert not (sample / "k.pdf").exists()
    # a character no font of the layout has: a warning, the PDF written
    path = sample / "content" / "profiles" / "wierzbicki.md"
    path.write_text(path.read_text() + "\nA Tifinagh letter: \u2d63.\n")
    result = run("render", str(path), "--format", "print", "-o", "w.pdf")
    assert result.exit_code == 0, result.output
    assert "no glyph for '\u2d63' (U+2D63)" in result.output
    assert (sample / "w.pdf").is_file()  # and print (CMYK, its ICC profile) renders from the CLI


def test_a_child_layouts_page_size_wins_over_the_page_size_variable(sample):
    import pypdf

    folder = sample / "layouts" / "small"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text("name: small\nextends: magazine\nstylesheets: [s.css]\n")
    (folder / "s.css").write_text("@page { size: A5; }\n")
    result = run("render", "content/profiles/wierzbicki.md", "--layout", "small", "-o", "s.pdf")
    assert result.exit_code == 0, result.output
    box = pypdf.PdfReader(sample / "s.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)
    # without the child's rule, the variable (pressroom.yaml's page_size, A4) sets it
    result = run("render", "content/profiles/wierzbicki.md", "-o", "a.pdf")
    box = pypdf.PdfReader(sample / "a.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_no_op_check_is_the_librarys_so_every_entry_point_uses_it(sample):
    from pressroom import build_workspace
    from pressroom.config import Workspace

    first = build_workspace(Workspace.load(sample), ["wierzbicki"], jobs=1)
    assert [o.status for o in first] == ["built"]
    pdf = sample / "build" / "wierzbicki.pdf"
    written = pdf.stat().st_mtime_ns
    again = build_workspace(Workspace.load(sample), ["wierzbicki"], jobs=1)
    assert [o.status for o in again] == ["cached"]
    assert again[0].outputs[0].path == str(pdf) and again[0].pages == first[0].pages
    assert pdf.stat().st_mtime_ns == written
    # the command finds the library's stamp: a no-op too
    result = run("build", "wierzbicki")
    assert result.exit_code == 0 and "0 built, 1 up to date" in result.output
    # an edit is seen: built again
    profile = sample / "content" / "profiles" / "wierzbicki.md"
    profile.write_text(profile.read_text() + "\nOne more sentence.\n")
    assert [o.status for o in build_workspace(Workspace.load(sample), ["wierzbicki"])] == ["built"]
