"""Benchmark: how fast pressroom builds, against the rendering engine's own floor.

Not part of the test run (timings on shared machines are noisy: compare the ratios
measured in one run). Usage::

    python tests/benchmarks/run.py [--profiles 24] [--runs 3]

It generates a synthetic workspace (N profiles of realistic length with fact boxes,
timelines and illustrations, and one edition holding them all), then prints medians:

- one profile: the whole ``pressroom render`` process against a plain WeasyPrint
  script rendering the same HTML and CSS (the tool's overhead);
- the full build with ``--jobs 1`` and ``--jobs 2`` (wall time, pages per second,
  speed-up) against the engine floor: plain WeasyPrint rendering the same documents in
  two pre-forked workers;
- a no-op rebuild, a rebuild after editing one profile's body text, its title (the
  contents page changes too), and one shared CSS file (whole processes);
- the peak memory (maximum resident set) of the build's own process and of its workers
  (render or assembly), as ``build/report.json`` records them.

``--lean`` leaves out ``--jobs 1``, the engine floor and the CSS rebuild (for large N).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORDS = """
the minister said city river council election press report after before where while government
parliament capital office years later early record public service history during country people
region talks border morning evening letter paper story voters party faction alliance crisis
reform budget court law order family school
""".split()  # noqa: SIM905 (a word list reads better as text)


def paragraph(rng: random.Random, sentences: int = 5) -> str:
    out = []
    for _ in range(sentences):
        words = rng.choices(WORDS, k=rng.randint(12, 24))
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def make_workspace(root: Path, count: int) -> None:
    rng = random.Random(7)
    (root / "content" / "profiles").mkdir(parents=True)
    (root / "content" / "editions").mkdir(parents=True)
    (root / "layouts" / "bench").mkdir(parents=True)
    (root / "pressroom.yaml").write_text(
        "publication: Benchmark Weekly\nlayout: bench\nprofile_formats: [screen]\n"
        "limits: {render_seconds: 600}\n"
    )
    (root / "layouts" / "bench" / "layout.yaml").write_text(
        "name: bench\nextends: magazine\nstylesheets: [bench.css]\n"
    )
    (root / "layouts" / "bench" / "bench.css").write_text(".kicker { letter-spacing: 0.2em; }\n")
    art = root / "content" / "profiles" / "art.svg"
    shutil.copy(REPO / "assets" / "illustrations" / "al-kadhimi.svg", art)
    slugs = []
    for number in range(count):
        slug = f"subject-{number:02d}"
        slugs.append(slug)
        facts = "".join(
            f"  - label: Fact {i}\n    value: {' '.join(rng.choices(WORDS, k=6))}\n"
            for i in range(6)
        )
        timeline = "".join(
            f"  - date: {1960 + i * 6}\n    event: {paragraph(rng, 1)}\n" for i in range(9)
        )
        sections = []
        for section in range(5):
            sections.append(f"## Section {section + 1}\n")
            sections += [paragraph(rng) for _ in range(4)]
        quote = "::: pullquote\n" + paragraph(rng, 1) + "\n:::"
        body = "\n\n".join([*sections[:3], quote, *sections[3:]])
        (root / "content" / "profiles" / f"{slug}.md").write_text(
            f"---\ntitle: Profile number {number}\nkicker: Profile\n"
            f"dek: {paragraph(rng, 2)}\nbyline: Bench Writer\ndate: 2024-01-01\n"
            "fictional: true\nillustration:\n  src: art.svg\n  alt: A portrait.\n"
            f"  credit: Illustration by Nobody\nfacts:\n{facts}timeline:\n{timeline}---\n\n{body}\n"
        )
    (root / "content" / "editions" / "bench.yaml").write_text(
        "title: Benchmark Weekly\nissue: 1\ndate: 2024-01-01\nformats: [screen]\n"
        f"profiles: [{', '.join(slugs)}]\n"
    )


def timed(command: list[str], cwd: Path) -> float:
    """Wall seconds of a whole process."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


PLAIN_ONE = """
import json, sys, weasyprint
spec = json.load(open(sys.argv[1]))
css = [weasyprint.CSS(filename=p) for p in spec["stylesheets"]]
css.append(weasyprint.CSS(string=spec["css"]))
html = weasyprint.HTML(string=spec["html"], base_url=spec["base"])
html.write_pdf(sys.argv[2], stylesheets=css, pdf_tags=True, dpi=150, optimize_images=True)
"""

PLAIN_POOL = """
import json, sys, multiprocessing, weasyprint
def render(path):
    spec = json.load(open(path))
    css = [weasyprint.CSS(filename=p) for p in spec["stylesheets"]]
    css.append(weasyprint.CSS(string=spec["css"]))
    html = weasyprint.HTML(string=spec["html"], base_url=spec["base"])
    document = html.render(stylesheets=css, dpi=150, optimize_images=True)
    document.write_pdf(pdf_tags=True, dpi=150, optimize_images=True)  # the same work as pressroom
    return len(document.pages)
if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    with multiprocessing.Pool(2) as pool:  # forked after the import: workers are warm
        print(sum(pool.map(render, sys.argv[1:])))
"""


def dump_documents(root: Path, out: Path) -> list[Path]:
    """The HTML and CSS pressroom hands to WeasyPrint in a full build, for the plain
    scripts: each profile on its own, and the edition's pieces (front, each profile)
    with the page numbers of a real build."""
    sys.path.insert(0, str(REPO / "src"))
    from pressroom import load_edition, load_profile
    from pressroom.anchors import FRONT
    from pressroom.config import Workspace
    from pressroom.layouts import render_edition_html, render_profile_html
    from pressroom.pieces import page_numbers

    workspace = Workspace.load(root)
    fmt = workspace.formats["screen"]
    documents = [render_profile_html(load_profile(p, workspace), None, fmt)
                 for p in workspace.profile_paths()]  # fmt: skip
    edition = load_edition(root / "content" / "editions" / "bench.yaml", workspace)
    profiles = [load_profile(p, workspace) for p in edition.profile_paths]
    report = json.loads((root / "build" / "report.json").read_text())
    counts = {FRONT: 2}
    for item in report["items"]:
        if item["kind"] == "edition":
            counts.update({Path(o["path"]).stem: o["pages"] for o in item["outputs"][1:]})
    starts, _ = page_numbers(list(edition.meta.slugs), counts)
    for part in [FRONT, *edition.meta.slugs]:
        documents.append(render_edition_html(edition, profiles, fmt, None, part, starts))
    paths = []
    for index, document in enumerate(documents):
        path = out / f"doc-{index:02d}.json"
        path.write_text(json.dumps({
            "html": document.html, "base": document.base_url, "css": document.extra_css,
            "stylesheets": [str(p) for p in document.stylesheets],
        }))  # fmt: skip
        paths.append(path)
    return paths


def font_bytes(path: Path) -> tuple[int, int]:
    """The bytes of the font programs a PDF embeds (as stored), and its page count."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        programs = {
            obj.get(key).objgen
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"
            for key in ("/FontFile", "/FontFile2", "/FontFile3")
            if key in obj
        }
        total = sum(len(pdf.get_object(objgen).read_raw_bytes()) for objgen in programs)
        return total, len(pdf.pages)


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--lean",
        action="store_true",
        help="skip --jobs 1, the engine floor and the CSS rebuild (for large N)",
    )
    args = parser.parse_args()
    pressroom = [sys.executable, "-m", "pressroom"]
    scratch = Path(tempfile.mkdtemp(prefix="pressroom-bench-"))
    root = scratch / "ws"
    make_workspace(root, args.profiles)
    subprocess.run([*pressroom, "build"], cwd=root, capture_output=True, check=False)
    docs = dump_documents(root, scratch)
    one = root / "content" / "profiles" / "subject-00.md"
    plain_one = scratch / "plain_one.py"
    plain_one.write_text(PLAIN_ONE)
    plain_pool = scratch / "plain_pool.py"
    plain_pool.write_text(PLAIN_POOL)

    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds)

    main_peak = worker_peak = 0.0
    report_path = root / "build" / "report.json"

    def peaks() -> None:  # as the build's report says: its own process, and its workers'
        nonlocal main_peak, worker_peak
        report = json.loads(report_path.read_text())
        main_peak = max(main_peak, report.get("peak_main_mb", 0.0))
        worker_peak = max(worker_peak, report["peak_worker_mb"])

    for _ in range(args.runs):  # each comparison measured alternately within the run
        seconds = timed([*pressroom, "render", str(one), "-o", str(scratch / "a.pdf")], root)
        record("render one (pressroom)", seconds)
        seconds = timed([sys.executable, str(plain_one), str(docs[0]), "b.pdf"], scratch)
        record("render one (plain WeasyPrint)", seconds)
        for jobs in (2,) if args.lean else (1, 2):
            seconds = timed([*pressroom, "build", "--force", "--jobs", str(jobs)], root)
            record(f"build --jobs {jobs}", seconds)
            peaks()
        if not args.lean:
            seconds = timed([sys.executable, str(plain_pool), *map(str, docs)], scratch)
            record("engine floor (2 warm workers)", seconds)
        seconds = timed([*pressroom, "build"], root)
        record("no-op rebuild", seconds)
        text = one.read_text()
        # A correction in the body: the profile's own PDF and its piece of the edition.
        one.write_text(text.replace("## Section 1\n\n", "## Section 1\n\nIndeed, ", 1))
        seconds = timed([*pressroom, "build"], root)
        record("rebuild after one profile's text", seconds)
        peaks()
        # A new headline: the contents page changes too.
        one.write_text(text.replace("Profile number 0", "Profile number zero", 1))
        seconds = timed([*pressroom, "build"], root)
        record("rebuild after one profile's title", seconds)
        peaks()
        one.write_text(text)
        timed([*pressroom, "build"], root)
        if not args.lean:
            css = root / "layouts" / "bench" / "bench.css"
            css.write_text(css.read_text() + "/* touched */\n")
            seconds = timed([*pressroom, "build"], root)
            record("rebuild after one shared CSS file", seconds)

    report = json.loads((root / "build" / "report.json").read_text())
    pages = sum(item["pages"] for item in report["items"])
    print(f"\n{args.profiles} profiles + 1 edition, {pages} pages per full build, "
          f"median of {args.runs} runs\n")  # fmt: skip
    width = max(map(len, results))
    for name, values in results.items():
        rate = ""
        if name.startswith(("build", "engine")):
            rate = f"  {pages / median(values):6.1f} pages/s"
        print(f"  {name:<{width}}  {median(values):7.2f} s{rate}")
    overhead = median(results["render one (pressroom)"]) / median(
        results["render one (plain WeasyPrint)"]
    )
    print(f"\n  overhead, one profile:           {100 * (overhead - 1):+.0f}%")
    if not args.lean:
        speedup = median(results["build --jobs 1"]) / median(results["build --jobs 2"])
        floor = median(results["engine floor (2 warm workers)"]) / median(results["build --jobs 2"])
        print(f"  --jobs 2 speed-up over --jobs 1:  {speedup:.2f}x")
        print(f"  --jobs 2 against the engine floor: {100 * floor:.0f}% of its pages per second")
    print(f"  peak memory of the main process:    {main_peak:.0f} MB")
    print(f"  peak memory of a worker (render or assembly): {worker_peak:.0f} MB")
    edition = next((root / "build").rglob("bench.pdf"))
    fonts, edition_pages = font_bytes(edition)
    print(f"  edition: {edition.stat().st_size / 1e6:.1f} MB, "
          f"{edition.stat().st_size / edition_pages / 1e3:.0f} KB a page, "
          f"font programs {fonts / 1e6:.2f} MB")  # fmt: skip
    alone = median(results["render one (pressroom)"])
    for edit in ("text", "title"):
        ratio = median(results[f"rebuild after one profile's {edit}"]) / alone
        print(f"  rebuild after one profile's {edit} / render one: {ratio:.2f}x")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
