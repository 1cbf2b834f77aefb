"""Shared fixtures: tiny workspaces built in a temporary folder, and the repo's sample."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PROFILE = REPO / "content" / "profiles" / "al-kadhimi.md"
SAMPLE_ILLUSTRATION = REPO / "assets" / "illustrations" / "al-kadhimi.svg"

GOOD_FRONT_MATTER = """\
title: A Test Profile
dek: A short dek.
kicker: Profile
byline: Test Writer
date: 2024-05-01
tags: [one, two]
illustration:
  src: portrait.svg
  alt: A portrait.
  credit: Illustration by Test Artist
facts:
  - label: Born
    value: 1950
timeline:
  - date: 1950
    event: Born.
  - date: 2001-09
    event: Something happened.
"""


class WorkspaceMaker:
    """Builds a workspace with ``pressroom.yaml`` and profiles under ``content/profiles``."""

    def __init__(self, root: Path):
        self.root = root
        (root / "content" / "profiles").mkdir(parents=True)
        (root / "pressroom.yaml").write_text("publication: Test Weekly\n", encoding="utf-8")
        shutil.copy(SAMPLE_ILLUSTRATION, root / "content" / "profiles" / "portrait.svg")

    def profile(
        self, name: str, front: str = GOOD_FRONT_MATTER, body: str = "Some text.\n"
    ) -> Path:
        path = self.root / "content" / "profiles" / f"{name}.md"
        path.write_text(f"---\n{textwrap.dedent(front)}---\n{body}", encoding="utf-8")
        return path


@pytest.fixture
def workspace(tmp_path: Path) -> WorkspaceMaker:
    return WorkspaceMaker(tmp_path / "ws")
