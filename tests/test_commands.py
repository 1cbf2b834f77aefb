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
