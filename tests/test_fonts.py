"""Fonts come from the layout and pressroom only: a font installed on the machine changes
nothing in a PDF."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from .conftest import GOOD_FRONT_MATTER, REPO

pytestmark = pytest.mark.slow

BODY = "A lede in small caps, then **a bold claim** and *an aside*.\n\nMore text.\n"


def impostor(folder: Path) -> None:
    """What a system font package can bring: a face named like the layout's text face, in
    a weight the layout does not ship (bold EB Garamond), here Inter Bold under that name."""
    font = TTFont(REPO / "assets" / "fonts" / "inter" / "Inter-Bold.otf")
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17, 21, 22):
            names.removeNames(nameID=record.nameID)
    for name_id, text in {1: "EB Garamond", 2: "Bold", 4: "EB Garamond Bold",
                          6: "EBGaramond-Bold"}.items():  # fmt: skip
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)
    font["OS/2"].usWeightClass = 700
    folder.mkdir(parents=True)
    font.save(folder / "EBGaramond-Bold.otf")


def render_in_a_new_process(workspace_root: Path, data_home: Path, home: Path) -> bytes:
    out = home / "out.pdf"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(data_home),  # fontconfig's default setup reads fonts from here
        "XDG_CACHE_HOME": str(home / "cache"),
        "SOURCE_DATE_EPOCH": "1700000000",
    }
    env.pop("FONTCONFIG_FILE", None)
    script = "import sys, pressroom; pressroom.render_to_file(sys.argv[1], sys.argv[2])"
    profile = workspace_root / "content" / "profiles" / "p.md"
    done = subprocess.run(
        [sys.executable, "-c", script, str(profile), str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_a_font_installed_on_the_machine_changes_nothing(workspace, tmp_path):
    workspace.profile("p", GOOD_FRONT_MATTER, body=BODY)
    plain = render_in_a_new_process(workspace.root, tmp_path / "empty", tmp_path / "a")
    impostor(tmp_path / "data" / "fonts")
    with_font = render_in_a_new_process(workspace.root, tmp_path / "data", tmp_path / "b")
    assert with_font == plain
    with pikepdf.open(tmp_path / "b" / "out.pdf") as pdf:
        faces = {
            str(font.BaseFont).split("+")[-1]
            for page in pdf.pages
            for font in page.Resources.Font.values()
        }
    assert "EBGaramond-Bold" not in faces and "EB-Garamond-Bold" not in faces, faces
