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

from .conftest import REPO
from .test_builds import EPOCH, copy_sample

pytestmark = pytest.mark.slow


@functools.cache
def verapdf() -> tuple[list[str] | None, str]:
    """The command that runs veraPDF, or None and why it cannot run here."""
    for candidate in (
        os.environ.get("VERAPDF"),
        shutil.which("verapdf"),
        str(REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"),
    ):
        if not candidate or not Path(candidate).is_file():
            continue
        command = [candidate] if os.access(candidate, os.X_OK) else ["sh", candidate]
        probe = subprocess.run([*command, "--version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return command, ""
        return None, f"veraPDF at {candidate} cannot run: {probe.stderr.strip()[-400:]}"
    return None, "veraPDF not found: set VERAPDF=/path/to/verapdf (it needs Java 11+)"


def failures(flavour: str, files: list[Path]) -> list[str]:
    """``file: clause-test (n x): description [first object]`` for every failed rule."""
    done = subprocess.run(
        [*verapdf()[0], "--flavour", flavour, "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode not in (0, 1):
        pytest.fail(f"veraPDF could not run (exit {done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    found, checked = [], set()
    for job in report["report"]["jobs"]:
        name = Path(job["itemDetails"]["name"]).name
        results = job.get("validationResult") or []
        for result in results if isinstance(results, list) else [results]:
            checked.add(job["itemDetails"]["name"])
            for rule in result["details"].get("ruleSummaries", []):
                context = (rule.get("checks") or [{}])[0].get("context", "")
                found.append(
                    f"{name}: {rule['clause']}-{rule['testNumber']} ({rule['failedChecks']} x): "
                    f"{rule['description'][:120]} [{context[-140:]}]"
                )
    assert len(checked) == len(files), "veraPDF did not report on every file"
    return found


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


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, list[Path]]:
    command, why_not = verapdf()
    if command is None:
        if os.environ.get("PRESSROOM_REQUIRE_VERAPDF"):  # CI: a skip would hide a failure
            pytest.fail(why_not)
        pytest.skip(why_not)
    root = copy_sample(tmp_path_factory.mktemp("validation"))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        outcomes = build_workspace(Workspace.load(root), jobs=2)
        assert all(o.status == "built" for o in outcomes), [o.messages for o in outcomes]
        profiles = root / "content" / "profiles"
        Image.new("RGB", (600, 400), (120, 90, 60)).save(profiles / "bench.jpg", quality=85)
        shutil.copy(REPO / "assets" / "illustrations" / "al-kadhimi.svg", profiles / "portrait.svg")
        workspace = Workspace.load(root)
        made = {"ua1": [], "3b": []}
        for slug, text in SHAPES.items():
            (profiles / f"shape-{slug}.md").write_text(text, encoding="utf-8")
            profile = load_profile(profiles / f"shape-{slug}.md", workspace)
            for layout in ("magazine", "dossier"):
                for fmt, flavour in (("screen", "ua1"), ("archive", "3b")):
                    out = root / "shapes" / f"{slug}-{layout}-{fmt}.pdf"
                    out.parent.mkdir(exist_ok=True)
                    out.write_bytes(render(profile, layout, fmt).pdf)
                    made[flavour].append(out)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    built = [p for p in (root / "build").rglob("*.pdf") if ".pressroom-cache" not in p.parts]
    made["ua1"] += [p for p in built if "print" not in p.parts and "archive" not in p.parts]
    made["3b"] += [p for p in built if "archive" in p.parts]
    return made


def test_every_screen_output_passes_pdf_ua_1(outputs):
    files = outputs["ua1"]
    assert len(files) >= 14  # 4 profiles, 2 editions with their offprints, 4 shapes
    assert failures("ua1", files) == []


def test_every_archive_output_passes_pdf_a_3b(outputs):
    files = outputs["3b"]
    assert len(files) >= 8  # the edition and its 3 offprints, 4 shapes
    assert failures("3b", files) == []


def test_each_attached_source_is_listed_once(outputs):
    import pikepdf

    edition = next(p for p in outputs["3b"] if p.name == "2021-winter.pdf")
    with pikepdf.open(edition) as pdf:
        listed = [str(spec.UF) for spec in pdf.Root.AF]
    assert listed == ["al-kadhimi.md", "ortega-baines.md", "wierzbicki.md"]
