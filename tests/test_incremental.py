"""Incremental edition builds: pieces re-rendered only when needed, same bytes as --force."""

from __future__ import annotations

import json
import re

import pdfplumber
import pytest

from pressroom import build_workspace
from pressroom.config import Workspace

from .test_builds import EPOCH, copy_sample, edition_pdf, page_texts

pytestmark = pytest.mark.slow


@pytest.fixture
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def outputs(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in (root / "build").rglob("*.pdf")
        if "2021-winter-ar" not in str(p)
    }


def build(root, force=False, jobs=2):
    (outcome,) = build_workspace(
        Workspace.load(root), ["2021-winter"], ["screen"], jobs=jobs, force=force
    )
    assert outcome.ok, outcome.messages
    return outcome


def folio(path, number: int) -> str:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[number - 1]
        foot = page.crop((0, page.height - 22 * 72 / 25.4, page.width, page.height))
        return (foot.extract_text() or "").split()[-1]


def test_one_profile_edit_renders_one_piece_and_equals_a_forced_build(tmp_path, fixed_date):
    root = copy_sample(tmp_path / "ws")
    build(root)
    folder = root / "build" / "2021-winter" / "screen"
    written = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pdf")}
    segments = root / "build" / ".pressroom-cache" / "segments"
    kept = {p.name: p.stat().st_mtime_ns for p in segments.rglob("*.segment")}
    source = root / "content" / "profiles" / "wierzbicki.md"
    source.write_text(source.read_text().replace("grudge", "temper"), encoding="utf-8")
    second = build(root)
    assert second.pieces == {"rendered": 1, "cached": 4}  # the colophon too: same credits
    # The assembly wrote one segment, the changed piece's, and copied the others.
    now = {p.name: p.stat().st_mtime_ns for p in segments.rglob("*.segment")}
    assert len(set(now) - set(kept)) == 1
    assert all(now[name] == kept[name] for name in set(now) & set(kept))
    # Only what changed is written again: the edition and that profile's offprint.
    rewritten = {p.name for p in folder.glob("*.pdf") if p.stat().st_mtime_ns != written[p.name]}
    assert rewritten == {"2021-winter.pdf", "wierzbicki.pdf"}
    assert any("temper" in text for text in page_texts(edition_pdf(root, "screen")))
    incremental = outputs(root)
    build(root, force=True, jobs=1)
    assert outputs(root) == incremental


def test_a_damaged_segment_is_made_again(tmp_path, fixed_date):
    root = copy_sample(tmp_path / "ws")
    build(root)
    first, second, *_ = sorted((root / "build" / ".pressroom-cache").rglob("*.segment"))
    first.write_bytes(first.read_bytes()[:-100])  # cut short
    data = bytearray(second.read_bytes())
    data[len(data) // 2] ^= 1  # one bit flipped
    second.write_bytes(bytes(data))
    source = root / "content" / "profiles" / "wierzbicki.md"
    source.write_text(source.read_text().replace("grudge", "temper"), encoding="utf-8")
    build(root)
    incremental = outputs(root)
    build(root, force=True)  # every segment made again
    assert outputs(root) == incremental


def test_a_shorter_profile_moves_every_later_page_number(tmp_path, fixed_date):
    root = copy_sample(tmp_path / "ws")
    build(root)
    before = edition_pdf(root, "screen")
    assert len(page_texts(before)) == 10  # Al-Kadhimi's 3 pages, then the colophon on page 6
    assert page_texts(before)[5].startswith("Credits")
    source = root / "content" / "profiles" / "al-kadhimi.md"
    text = source.read_text(encoding="utf-8")
    body_start = text.index("\n---\n", 4) + 5
    paragraphs = text[body_start:].split("\n\n")
    source.write_text(text[:body_start] + "\n\n".join(paragraphs[:6]) + "\n", encoding="utf-8")
    outcome = build(root)
    assert outcome.pieces["rendered"] >= 2  # the shorter profile and the front's contents
    after = page_texts(edition_pdf(root, "screen"))
    assert len(after) == 9  # two pages, no page left over: the colophon moves to the end
    contents = after[1]
    assert "The Woman Who Lets the River In" in contents
    assert re.search(r"River In[ .]*(\d+)", contents)[1] == "5"
    assert "The Woman Who Lets the River In, page 5" in " ".join(after)
    # the colophon lists each picture on the page it moved to
    assert re.search(r"\b(\d+)\s+The Woman Who Lets the River In", after[-1])[1] == "5"
    assert re.search(r"\b(\d+)\s+The Last Man Who Casts Letters", after[-1])[1] == "7"
    for number in (4, 6, 8):
        assert folio(edition_pdf(root, "screen"), number) == str(number)
    incremental = outputs(root)
    build(root, force=True)
    assert outputs(root) == incremental


def test_the_piece_cache_keeps_only_what_outputs_use(tmp_path, fixed_date):
    root = copy_sample(tmp_path / "ws")
    build(root)
    cache = root / "build" / ".pressroom-cache"
    count = len(list(cache.iterdir()))
    segments = cache / "segments"
    segment_count = len(list(segments.rglob("*.segment")))
    for word in ("temper", "mood"):
        source = root / "content" / "profiles" / "wierzbicki.md"
        source.write_text(source.read_text().replace("grudge", word), encoding="utf-8")
        build(root)
    assert len(list(cache.iterdir())) == count
    manifest = json.loads((root / "build" / ".pressroom-manifest.json").read_text())
    (key,) = [k for k in manifest if k.startswith("edition:")]
    pieces = {p.name.split("-")[0].split(".")[0] for p in cache.iterdir() if p != segments}
    assert pieces == set(manifest[key]["pieces"])
    # The edition's segments: the changed piece's replaced, not added to.
    assert [p.name for p in segments.iterdir()] == [key.replace(":", ".")]
    assert len(list(segments.rglob("*.segment"))) == segment_count >= 5
    # Segments of an edition the manifest no longer knows go.
    (segments / "edition.gone.screen").mkdir()
    (segments / "edition.gone.screen" / "x.segment").write_bytes(b"old")
    source.write_text(source.read_text().replace("mood", "humour"), encoding="utf-8")
    build(root)
    assert [p.name for p in segments.iterdir()] == [key.replace(":", ".")]


def test_build_on_a_dask_cluster_gives_the_same_outputs(tmp_path, fixed_date):
    distributed = pytest.importorskip("distributed")
    root = copy_sample(tmp_path / "ws")
    # Far above the runaway word's layout (25-60 s on a loaded 2-core machine): preflight,
    # not the clock, must stop it, locally and on the cluster alike.
    (root / "pressroom.yaml").write_text(
        (root / "pressroom.yaml").read_text() + "\nlimits: {render_seconds: 300}\n"
    )
    (root / "content" / "profiles" / "runaway.md").write_text(
        "---\ntitle: Runaway\n---\n\n" + "x" * 100_000 + "\n", encoding="utf-8"
    )
    local = {o.item: o for o in build_workspace(Workspace.load(root), jobs=2)}
    expected = outputs(root)
    # Workers in their own processes, on loopback; dashboard off (no port to bind).
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:  # the build's SOURCE_DATE_EPOCH travels with each task
        remote = build_workspace(
            Workspace.load(root), jobs=2, force=True, scheduler=cluster.scheduler_address
        )
    remote_status = {o.item: o for o in remote}
    assert outputs(root) == expected
    for item, outcome in local.items():
        assert remote_status[item].status == outcome.status, item
    # the runaway profile fails alone, with the same preflight messages as locally
    assert remote_status["runaway"].status == "failed"
    assert remote_status["runaway"].messages == local["runaway"].messages
    report = json.loads((root / "build" / "report.json").read_text())
    assert report["ok"] is False and report["peak_worker_mb"] > 0


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    from pressroom.config import Limits
    from pressroom.diagnostics import PressroomError
    from pressroom.distributed import DaskPool

    with pytest.raises(
        PressroomError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        DaskPool("tcp://127.0.0.1:9", str(tmp_path), Limits(), timeout=1)


class LastFirstPool:
    """Runs tasks in this process, the last submitted first, and records what happens."""

    def __init__(self, root):
        self.root, self.pending, self.events = str(root), [], []

    def submit(self, task):
        self.pending.append(task)
        self.events.append(("submit", task))

    @property
    def busy(self):
        return bool(self.pending)

    def completed(self):
        from pressroom.builds import run_task

        task = next(t for t in reversed(self.pending) if t.ready())
        self.pending.remove(task)
        result = run_task(self.root, task)
        self.events.append(("done", task))
        yield task, result

    def close(self):
        pass


def test_a_title_edit_lays_out_the_colophon_beside_the_front(tmp_path, fixed_date):
    """The colophon (it lists the titles) waits for the profile pieces, not for the front,
    whose page count the last build measured: it is laid out while the front still is,
    and the edition is the same as a forced build's."""
    from pressroom.anchors import BACK, FRONT
    from pressroom.builds import plan_build, run_build

    root = copy_sample(tmp_path / "ws")
    build(root)
    source = root / "content" / "profiles" / "wierzbicki.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("title: ", "title: Again, ", 1), encoding="utf-8")
    workspace = Workspace.load(root)
    pool = LastFirstPool(root)
    plan = plan_build(workspace, ["2021-winter"], ["screen"])
    (outcome,) = run_build(workspace, plan, pool=pool)
    # The front, the profile, Ortega-Baines (its "see also" prints the title), the colophon.
    assert outcome.ok and outcome.pieces["rendered"] == 4
    order = [(what, task.spec.part) for what, task in pool.events if task.spec is not None]
    assert order.index(("submit", BACK)) < order.index(("done", FRONT))
    edition = page_texts(edition_pdf(root, "screen"))
    assert any("Again," in page for page in edition[1:2])  # the contents
    assert any(page.startswith("Credits") and "Again," in page for page in edition)
    incremental = outputs(root)
    build(root, force=True)
    assert outputs(root) == incremental
