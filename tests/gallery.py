"""The stress gallery: profiles of every shape a newsroom sends, made in a workspace.

Each profile varies one axis of the sample (or several at once): facts 0/3/8/14/24,
timeline events 0/5/12/30/60, art none/landscape/portrait/square, headline of 2 or 16
words, a body of 250, 1,500 or 6,000 words, 0 or 10 footnotes, 0 or 3 pull quotes, left
to right or right to left. ``tests/test_gallery.py`` renders them and checks the pages;
``python -m tests.gallery FOLDER`` makes the workspace and its contact sheets.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

WORDS = [
    "harbour",
    "tide",
    "boats",
    "quay",
    "light",
    "engine",
    "river",
    "council",
    "water",
    "flood",
    "night",
    "market",
    "ledger",
    "letter",
    "press",
    "steel",
    "salt",
    "rope",
    "lamp",
    "bridge",
    "dyke",
    "meadow",
    "casting",
    "type",
    "workshop",
    "season",
]
ARABIC = [
    "ميناء",
    "مد",
    "قوارب",
    "رصيف",
    "ضوء",
    "محرك",
    "نهر",
    "مجلس",
    "ماء",
    "فيضان",
    "ليل",
    "سوق",
    "دفتر",
    "رسالة",
    "مطبعة",
]


@dataclass(frozen=True)
class Shape:
    name: str
    facts: int = 3
    events: int = 5
    art: str | None = "landscape"  # landscape, portrait, square or None
    headline_words: int = 6
    words: int = 1500
    footnotes: int = 0
    pullquotes: int = 1
    rtl: bool = False


SHAPES = [
    Shape("baseline"),
    Shape("no-facts", facts=0),
    Shape("facts-8", facts=8),
    Shape("facts-14", facts=14),
    Shape("facts-24", facts=24),
    Shape("no-timeline", events=0),
    Shape("timeline-12", events=12),
    Shape("timeline-30", events=30),
    Shape("timeline-60", events=60),
    Shape("no-art", art=None),
    Shape("portrait-art", art="portrait"),
    Shape("square-art", art="square"),
    Shape("headline-2", headline_words=2),
    Shape("headline-16", headline_words=16),
    Shape("short-250", words=250),
    Shape("long-6000", words=6000),
    Shape("footnotes-10", footnotes=10),
    Shape("pullquotes-3", pullquotes=3),
    Shape("everything-long", facts=14, events=30, headline_words=16, words=6000, pullquotes=3),
    Shape("no-art-long-facts", art=None, facts=14, events=12),
    Shape("rtl", rtl=True, facts=8, events=12),
    Shape("rtl-no-art", rtl=True, art=None, facts=3, events=5, words=250),
]


def _art(path: Path, kind: str) -> None:
    size = {"landscape": (1600, 1000), "portrait": (900, 1400), "square": (1200, 1200)}[kind]
    image = Image.new("RGB", size, (46, 62, 92))
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):  # a dusk gradient, so crops show
        shade = int(60 + 120 * y / size[1])
        draw.line([(0, y), (size[0], y)], fill=(shade, 70, 110 - shade // 3))
    r = min(size) // 6
    cx, cy = int(size[0] * 0.62), int(size[1] * 0.42)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(214, 170, 120))
    image.save(path)


def _sentence(chance: random.Random, words: list[str]) -> str:
    text = " ".join(chance.choice(words) for _ in range(chance.randint(8, 22)))
    return text[0].upper() + text[1:] + "."


def _body(shape: Shape, chance: random.Random) -> str:
    words = ARABIC if shape.rtl else WORDS
    paragraphs: list[str] = []
    count = 0
    while count < shape.words:
        paragraph = " ".join(_sentence(chance, words) for _ in range(chance.randint(3, 6)))
        count += len(paragraph.split())
        paragraphs.append(paragraph)
    for index in range(shape.footnotes):
        at = 1 + index * max(1, len(paragraphs) // (shape.footnotes + 1))
        paragraphs[min(at, len(paragraphs) - 1)] += f"[^n{index}]"
    for index in range(shape.pullquotes):
        at = 2 + index * max(1, len(paragraphs) // (shape.pullquotes + 1))
        quote = _sentence(chance, words)
        paragraphs.insert(min(at, len(paragraphs)), f"::: pullquote\n{quote}\n:::")
    for index in range(len(paragraphs) // 6):
        paragraphs.insert(index * 7 + 4, f"## {' '.join(chance.sample(words, 3)).title()}")
    notes = [f"[^n{i}]: A note on the source, number {i}." for i in range(shape.footnotes)]
    return "\n\n".join(paragraphs + notes) + "\n"


def front_matter(shape: Shape, chance: random.Random) -> str:
    words = ARABIC if shape.rtl else WORDS
    title = " ".join(chance.choice(words) for _ in range(shape.headline_words)).title()
    lines = [
        f"title: {title}",
        "dek: A profile of one shape of content, made to test the layout.",
        "kicker: Gallery",
        "byline: Pressroom test desk",
        "date: 2024-05-01",
        "fictional: true",
    ]
    if shape.rtl:
        lines += ["lang: ar", "variables: {text_font: '\"Amiri\", serif', label_font: "
                  "'\"Amiri\", serif', body_size: 12pt, leading: 19pt}"]  # fmt: skip
    if shape.art:
        lines += [
            "illustration:",
            f"  src: art-{shape.art}.png",
            f"  alt: A {shape.art} stand-in picture, a sun over a dusk gradient.",
            "  credit: Picture by the Pressroom test desk",
            "  caption: A caption for the picture, one line long or a little more.",
        ]
    if shape.facts:
        lines.append("facts:")
        for index in range(shape.facts):
            value = " ".join(chance.choice(words) for _ in range(chance.randint(2, 9)))
            lines += [f"  - label: Fact {index}", f"    value: {value}"]
    if shape.events:
        lines.append("timeline:")
        for index in range(shape.events):
            event = _sentence(chance, words)
            lines += [f"  - date: {1940 + index}", f"    event: {event}"]
    return "\n".join(lines) + "\n"


def make_gallery(root: Path, shapes: list[Shape] = SHAPES, seed: int = 12) -> list[str]:
    """Write a workspace of gallery profiles (and an edition of them) at ``root``."""
    chance = random.Random(seed)
    profiles = root / "content" / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    (root / "pressroom.yaml").write_text("publication: The Gallery\n", encoding="utf-8")
    for kind in ("landscape", "portrait", "square"):
        _art(profiles / f"art-{kind}.png", kind)
    for shape in shapes:
        text = f"---\n{front_matter(shape, chance)}---\n\n{_body(shape, chance)}"
        (profiles / f"{shape.name}.md").write_text(text, encoding="utf-8")
    editions = root / "content" / "editions"
    editions.mkdir(exist_ok=True)
    ltr = [s.name for s in shapes if not s.rtl]
    (editions / "gallery.yaml").write_text(
        "title: The Gallery\nissue: 1\nprofiles: [" + ", ".join(ltr) + "]\nformats: [screen]\n",
        encoding="utf-8",
    )
    return [shape.name for shape in shapes]


if __name__ == "__main__":  # python -m tests.gallery FOLDER: the workspace, built, and sheets
    from click.testing import CliRunner

    from pressroom.cli import main

    folder = Path(sys.argv[1]).resolve()
    make_gallery(folder)
    import os

    os.chdir(folder)
    runner = CliRunner()
    print(runner.invoke(main, ["build"]).output)
    print(runner.invoke(main, ["proof", "gallery", "-o", "gallery.png", "--columns", "6"]).output)
