"""Independent validation: veraPDF checks every screen output against PDF/UA-1 and every
archive output against PDF/A-3b, for the sample publication and for profiles of other
shapes (body images, footnotes, links, right-to-left text, no illustration), in both
built-in layouts.

veraPDF is found through ``VERAPDF``, then ``verapdf`` on PATH, then the copy in the
workplace's shared tools. Without it the test skips and says how to get it; CI sets
``PRESSROOM_REQUIRE_VERAPDF`` so that a missing validator fails instead.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from pressroom.api import load_profile, render
from pressroom.builds import build_workspace
from pressroom.config import Workspace
from pressroom.conformance import find_verapdf, validate

from .conftest import REPO
from .test_builds import EPOCH, copy_sample

pytestmark = pytest.mark.slow


SHARED_COPY = REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"


@functools.cache
def verapdf() -> tuple[list[str] | None, str]:
    """The command that runs veraPDF where pressroom finds it (VERAPDF, PATH), else the
    workplace's shared copy beside the repository; or None, and why it cannot run here."""
    command = find_verapdf() or (["sh", str(SHARED_COPY)] if SHARED_COPY.is_file() else None)
    if command is None:
        return None, "veraPDF not found: set VERAPDF=/path/to/verapdf (it needs Java 11+)"
    probe = subprocess.run([*command, "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"veraPDF ({command[-1]}) cannot run: {probe.stderr.strip()[-400:]}"
    return command, ""


def failures(files: list[Path], variant: str) -> list[str]:
    """``file: clause-test (n x): description [first object]`` for every failed rule."""
    verdicts = validate([(path, variant) for path in files], verapdf()[0])
    assert [v.path for v in verdicts] == files  # a verdict for every file
    return [f"{v.path.name}: {failure}" for v in verdicts for failure in v.failures]


SHAPES = {
    # A body image (JPEG), footnotes, a link, no illustration.
    "no-art": """\
---
title: The Clockmaker of Via Roma
dek: A shop with no sign and a waiting list of four years.
byline: Test Writer
date: 2024-05-01
facts:
  - label: Trade
    value: Clockmaker
timeline:
  - date: 1981
    event: Opened the shop.
  - date: 2019-03
    event: Restored the *town hall* clock.
---

He opens at nine, if he opens at all.[^1] The [guild](https://example.org/guild) lists
him as retired.

![A brass movement on a workbench.](bench.jpg "Photo: Test Photographer")

## The waiting list

Four years, and nobody has left it.[^2]

[^1]: Customers say nine-thirty.
[^2]: One customer moved abroad and kept her place.
""",
    # Right-to-left text with an English name inside, and a portrait illustration.
    "rtl": """\
---
title: صانع الساعات
dek: متجر بلا لافتة وقائمة انتظار من أربع سنوات.
byline: كاتب الاختبار
date: 2024-05-01
lang: ar
illustration:
  src: portrait.svg
  alt: رسم لرجل يحمل ساعة.
  credit: رسم فنان الاختبار
facts:
  - label: المهنة
    value: صانع ساعات
timeline:
  - date: 1981
    event: افتتح المتجر.
---

يفتح متجره في التاسعة، إن فتحه أصلاً.[^1] ويعرفه زبائنه باسم Via Roma.

## قائمة الانتظار

أربع سنوات، ولم يغادرها أحد.

[^1]: يقول الزبائن التاسعة والنصف.
""",
}


# An edition whose left-over page holds a teaser (the colophon goes at the end), kept in
# screen too, so that veraPDF sees the teaser page in PDF/UA and in PDF/A.
TEASERS = """\
title: Teasers
profiles: [al-kadhimi, ortega-baines, wierzbicki]
formats: [screen, archive]
blank_pages: {screen: keep}
colophon: end
allow_fpo: true
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, list[Path]]:
    command, why_not = verapdf()
    if command is None:
        if os.environ.get("PRESSROOM_REQUIRE_VERAPDF"):  # CI: a skip would hide a failure
            pytest.fail(why_not)
        pytest.skip(why_not)
    root = copy_sample(tmp_path_factory.mktemp("validation"))
    (root / "content" / "editions" / "teasers.yaml").write_text(TEASERS, encoding="utf-8")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        outcomes = build_workspace(Workspace.load(root), jobs=2)
        assert all(o.status == "built" for o in outcomes), [o.messages for o in outcomes]
        profiles = root / "content" / "profiles"
        Image.new("RGB", (600, 400), (120, 90, 60)).save(profiles / "bench.jpg", quality=85)
        shutil.copy(REPO / "assets" / "illustrations" / "al-kadhimi.svg", profiles / "portrait.svg")
        workspace = Workspace.load(root)
        made = {"pdf/ua-1": [], "pdf/a-3b": []}
        for slug, text in SHAPES.items():
            (profiles / f"shape-{slug}.md").write_text(text, encoding="utf-8")
            profile = load_profile(profiles / f"shape-{slug}.md", workspace)
            for layout in ("magazine", "dossier"):
                for fmt, variant in (("screen", "pdf/ua-1"), ("archive", "pdf/a-3b")):
                    out = root / "shapes" / f"{slug}-{layout}-{fmt}.pdf"
                    out.parent.mkdir(exist_ok=True)
                    out.write_bytes(render(profile, layout, fmt).pdf)
                    made[variant].append(out)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    built = [p for p in (root / "build").rglob("*.pdf") if ".pressroom-cache" not in p.parts]
    made["pdf/ua-1"] += [p for p in built if "print" not in p.parts and "archive" not in p.parts]
    made["pdf/a-3b"] += [p for p in built if "archive" in p.parts]
    return made


def test_every_screen_output_passes_pdf_ua_1(outputs):
    files = outputs["pdf/ua-1"]
    assert len(files) >= 14  # 4 profiles, 2 editions with their offprints, 4 shapes
    assert failures(files, "pdf/ua-1") == []


def test_every_archive_output_passes_pdf_a_3b(outputs):
    files = outputs["pdf/a-3b"]
    assert len(files) >= 8  # the edition and its 3 offprints, 4 shapes
    assert failures(files, "pdf/a-3b") == []


def test_each_attached_source_is_listed_once(outputs):
    import pikepdf

    edition = next(p for p in outputs["pdf/a-3b"] if p.name == "2021-winter.pdf")
    with pikepdf.open(edition) as pdf:
        listed = [str(spec.UF) for spec in pdf.Root.AF]
    assert listed == ["al-kadhimi.md", "ortega-baines.md", "wierzbicki.md"]


# ---------- pressroom build --validate, pressroom check --validate ----------


@pytest.fixture
def skipping_headings(workspace, monkeypatch):
    """A workspace whose layout sets the fact box label as an h2 before the headline's h1:
    PDF/UA-1 clause 7.4.2 (heading levels skipped)."""
    command, why_not = verapdf()
    if command is None:
        if os.environ.get("PRESSROOM_REQUIRE_VERAPDF"):
            pytest.fail(why_not)
        pytest.skip(why_not)
    monkeypatch.setenv("VERAPDF", command[-1])
    partials = workspace.root / "layouts" / "skipping" / "partials"
    partials.mkdir(parents=True)
    (partials.parent / "layout.yaml").write_text("name: skipping\nextends: magazine\n")
    (partials / "factbox.html.j2").write_text(
        '<aside class="factbox"><h2 class="box-title">Facts</h2>'
        "{% for fact in profile.facts %}<p>{{ fact.label }}: {{ fact.value }}</p>{% endfor %}"
        "</aside>\n"
    )
    (workspace.root / "pressroom.yaml").write_text("layout: skipping\n")
    workspace.profile("p")
    monkeypatch.chdir(workspace.root)
    return workspace.root


def test_build_validate_records_each_verdict_and_strict_fails_the_item(skipping_headings):
    from click.testing import CliRunner

    from pressroom.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["build", "--validate"])
    assert result.exit_code == 0, result.output  # without --strict, a finding is reported
    assert "build/p.pdf: not PDF/UA-1: 7.4.2-1 (1 x): " in result.output
    assert "validated with veraPDF (PDF/UA-1): 0 of 1 outputs pass" in result.output
    report = json.loads((skipping_headings / "build" / "report.json").read_text())
    (verdict,) = [out["validation"] for item in report["items"] for out in item["outputs"]]
    assert verdict["standard"] == "PDF/UA-1" and verdict["passed"] is False
    assert verdict["failures"][0].startswith("7.4.2-1 (1 x): ")
    strict = runner.invoke(main, ["build", "--validate", "--strict", "--force"])
    assert strict.exit_code == 1 and "FAILED" in strict.output
    assert json.loads((skipping_headings / "build" / "report.json").read_text())["ok"] is False


def test_check_validate_reports_the_clause(skipping_headings):
    from click.testing import CliRunner

    from pressroom.cli import main

    result = CliRunner().invoke(main, ["check", "--validate"])
    assert result.exit_code == 1
    assert "p (screen): not PDF/UA-1: 7.4.2-1 (1 x): " in result.output
    assert not (skipping_headings / "build").exists()  # check writes nothing


def test_without_verapdf_the_build_says_how_to_get_it(workspace, monkeypatch):
    from click.testing import CliRunner

    from pressroom.cli import main

    monkeypatch.delenv("VERAPDF", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no verapdf there
    if find_verapdf() is not None:
        pytest.skip("verapdf is installed in /usr/bin")
    workspace.profile("p")
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["build", "--validate"])
    assert result.exit_code == 0, result.output
    assert "veraPDF was not found, so nothing was validated: install veraPDF" in result.output


def test_a_change_of_language_is_tagged(outputs):
    import pikepdf

    rtl = next(p for p in outputs["pdf/ua-1"] if p.name == "rtl-magazine-screen.pdf")
    found = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") not in ("/MCR", "/OBJR"):
            if "/Lang" in node:
                found.append((str(node.S), str(node.Lang)))
            if "/K" in node:
                walk(node.K)

    with pikepdf.open(rtl) as pdf:
        assert pdf.Root.Lang == "ar"
        walk(pdf.Root.StructTreeRoot.K)
    assert ("/Span", "en") in found  # "Via Roma" in the Arabic text
