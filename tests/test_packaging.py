"""A pip-installed pressroom carries its layouts and fonts and renders from any folder."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow


def test_wheel_ships_layouts_and_fonts_and_renders_anywhere(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path / "dist")],
        check=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("pressroom-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "pressroom/data/layouts/magazine/layout.yaml",
        "pressroom/data/layouts/magazine/magazine.css",
        "pressroom/data/layouts/magazine/profile.html.j2",
        "pressroom/data/layouts/dossier/layout.yaml",
        "pressroom/data/layouts/dossier/partials/article.html.j2",
        "pressroom/data/assets/fonts/eb-garamond/EBGaramond12-Regular.otf",
        "pressroom/data/assets/fonts/eb-garamond/LICENSE.txt",
        "pressroom/data/assets/fonts/amiri/Amiri-Regular.ttf",
        "pressroom/data/assets/icc/pressroom-generic-cmyk.icc",
        "pressroom/data/layouts/magazine/partials/teaser.html.j2",
        "pressroom/preview.html",  # the live preview's page
    ):
        assert required in names

    # Install the wheel alone into a folder and render a lone profile from elsewhere,
    # with the repository nowhere on the path.
    target = tmp_path / "site"
    pip_install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q"]
    subprocess.run([*pip_install, "--target", str(target), str(wheel)], check=True)
    lone = tmp_path / "elsewhere"
    lone.mkdir()
    (lone / "p.md").write_text("---\ntitle: From a wheel\n---\nText.\n", encoding="utf-8")
    script = (
        "import pressroom, sys; from pressroom.config import builtin_root;"
        "print(builtin_root()); pressroom.render_to_file('p.md', 'p.pdf')"
    )
    # -S skips .pth files, so an editable install of the repo cannot shadow the wheel;
    # the dependencies still come from site-packages, placed after the wheel's folder.
    site_packages = sysconfig.get_paths()["purelib"]
    env = {
        "PYTHONPATH": f"{target}:{site_packages}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=lone, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target / "pressroom" / "data")
    assert (lone / "p.pdf").read_bytes().startswith(b"%PDF-")


def test_assembly_does_not_load_the_template_stack():
    """Assembly needs one constant of the layouts' (the internal link prefix): it lives in
    ``pressroom.anchors``, so stitching PDFs never imports Jinja or Babel."""
    probe = "import sys, pressroom.assembly; print('jinja2' in sys.modules, 'babel' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
