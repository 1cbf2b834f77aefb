"""pressroom import: real .docx, .odt, .html and .md documents become profiles."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import io
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from pressroom.api import load_profile
from pressroom.cli import main
from pressroom.config import Workspace
from pressroom.importer import ImportFailed, import_document, parse_date, split_credit

from .documents import WordDocument, png

pytest.importorskip("pypandoc")  # the `import` extra; part of `.[test]`


def front_and_body(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4)
    return text[: end + 5], text[end + 5 :]


def full_word_document(path: Path) -> Path:
    """Everything a writer does in Word, in one document."""
    d = WordDocument()
    d.properties(
        title="The Harbour Master", author="Ana Writer", created=dt.datetime(2024, 3, 9, 10)
    )
    d.language("en-GB")
    d.paragraph("She reads the tide for a living, and the port listens.", style="Subtitle")
    d.picture(png(), alt="A woman in a yellow coat on a quay.", caption="Dawn. Photo: Jane Doe")
    p = d.paragraph("Marta Silva was born ")
    p.add_run("within sight").italic = True
    p.add_run(" of the harbour and keeps ")
    d.link(p, "a tide blog", "https://example.org/tides")
    p.add_run(" to this day.")
    d.footnote(p, "The blog has run since 2009.")
    d.comment(p, "Source for this?")
    q = d.paragraph("The port authority ")
    d.deletion(q, "fired ")
    d.insertion(q, "hired ")
    q.add_run("her in 2005.")
    d.heading("At sea", level=1)
    d.heading("The first voyage", level=2)
    d.paragraph("A trawler", style="List Bullet")
    d.paragraph("A ferry", style="List Bullet")
    d.paragraph("The sea keeps no secrets from a patient reader.", style="Quote")
    d.picture(
        png(200, 300, (40, 80, 160)),
        alt="A chart of the estuary.",
        caption="The estuary in 1890. Illustration by Tom Reed",
    )
    d.heading("At a glance", level=2)
    d.table([["Born", "1970, Lisbon"], ["Job", "Harbour master"]])
    d.table([["Date", "Event"], ["June 1990", "Went to sea."], ["2005", "Became master."],
             ["14 March 2019", "Closed the blog."]])  # fmt: skip
    d.table([["Port", "Tonnage"], ["Lisbon", "12,000"], ["Porto", "8,000"]])
    return d.save(path)


@pytest.fixture
def ws(workspace) -> Workspace:
    return Workspace.load(workspace.root)


# ---------- Word ----------


def test_a_word_document_maps_to_every_field(ws, tmp_path):
    source = full_word_document(tmp_path / "harbour.docx")
    result = import_document(ws, source)
    assert result.profile == ws.root / "content" / "profiles" / "the-harbour-master.md"
    front, body = front_and_body(result.profile)
    assert front == (
        "---\n"
        "# Imported from harbour.docx by `pressroom import`.\n"
        "title: The Harbour Master\n"
        "dek: She reads the tide for a living, and the port listens.\n"
        "byline: Ana Writer\n"
        "date: 2024-03-09\n"
        "lang: en-GB\n"
        "illustration:\n"
        "  src: ../../assets/the-harbour-master/illustration.png\n"
        "  alt: A woman in a yellow coat on a quay.\n"
        "  credit: 'Photo: Jane Doe'\n"
        "  caption: Dawn.\n"
        "facts:\n"
        "  - label: Born\n"
        "    value: 1970, Lisbon\n"
        "  - label: Job\n"
        "    value: Harbour master\n"
        "timeline:\n"
        "  - date: 1990-06\n"
        "    event: Went to sea.\n"
        "  - date: '2005'\n"
        "    event: Became master.\n"
        "  - date: '2019-03-14'\n"
        "    event: Closed the blog.\n"
        "---\n"
    )
    # Sections are ## (the headline is the only first-level heading); emphasis, links,
    # lists, quotes, footnotes, later pictures with their credit and caption, and tables.
    assert "Marta Silva was born *within sight* of the harbour and keeps " in body
    assert "[a tide blog](https://example.org/tides) to this day.[^1]" in body
    assert "\n## At sea\n" in body and "\n### The first voyage\n" in body
    assert "- A trawler\n- A ferry\n" in body
    assert "> The sea keeps no secrets from a patient reader.\n" in body
    assert (
        "![A chart of the estuary.](../../assets/the-harbour-master/figure-1.png "
        '"Illustration by Tom Reed")\n\n*The estuary in 1890.*\n'
    ) in body
    assert "| Port   | Tonnage |" in body and "| Lisbon | 12,000  |" in body
    assert "[^1]: The blog has run since 2009.\n" in body
    # Accepted text only: the insertion kept, the deletion and the comment gone.
    assert "The port authority hired her in 2005." in body
    assert "fired" not in body and "Source for this" not in body
    assert result.warnings == [
        "1 comment dropped",
        "2 tracked changes found: imported as if accepted (1 insertion kept, 1 deletion "
        "removed); check the text against the writer's final version",
    ]
    assert [p.name for p in result.images] == ["illustration.png", "figure-1.png"]
    assert (ws.root / "assets" / "the-harbour-master" / "illustration.png").read_bytes() == png()
    assert result.missing == []
    profile = load_profile(result.profile, ws)  # `check` accepts it as it is
    assert profile.meta.title == "The Harbour Master" and not profile.warnings


@pytest.mark.slow
def test_an_imported_document_renders(ws, tmp_path):
    import pypdf

    from pressroom.api import render

    d = WordDocument()
    d.properties(title="The Ferry Pilot", author="Ana Writer")
    d.picture(png(), alt="A ferry.", caption="The ferry. Photo: Jane Doe")
    p = d.paragraph("He has crossed the river forty thousand times.")
    d.footnote(p, "By his own count.")
    d.heading("Routes")
    d.table([["Route", "Minutes"], ["North", "12"], ["South", "18"]])
    result = import_document(ws, d.save(tmp_path / "pilot.docx"))
    pdf = render(load_profile(result.profile, ws)).pdf
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    for words in ("The Ferry Pilot", "the river forty thousand times", "By his own count", "ROUTES",
                  "North", "18", "Photo: Jane Doe"):  # fmt: skip
        assert words in text, words


def test_without_properties_the_first_heading_italic_line_and_by_line_are_used(ws, tmp_path):
    d = WordDocument()
    d.properties(title="", author="")
    d.heading("The Night Baker", level=1)
    d.paragraph("By Luis Moreno")
    p = d.paragraph("")
    p.add_run("He bakes while the city sleeps.").italic = True
    d.paragraph("Flour first, then water.")
    result = import_document(ws, d.save(tmp_path / "baker.docx"))
    front, body = front_and_body(result.profile)
    assert "title: The Night Baker\n" in front
    assert "dek: He bakes while the city sleeps.\n" in front
    assert "byline: Luis Moreno\n" in front
    assert "illustration" not in front  # no pictures: no illustration, and nothing missing
    assert body.strip() == "Flour first, then water."
    assert result.profile.name == "the-night-baker.md"
    load_profile(result.profile, ws)


def test_missing_alt_text_and_credit_are_left_as_comments_that_check_lists(ws, tmp_path):
    d = WordDocument()
    d.properties(title="Unfinished")
    d.picture(png())  # no alt text, no caption
    d.paragraph("Text.")
    result = import_document(ws, d.save(tmp_path / "u.docx"))
    front, _ = front_and_body(result.profile)
    assert (
        "illustration:\n"
        "  src: ../../assets/unfinished/illustration.png\n"
        "  # alt: required: describe the picture for readers who cannot see it\n"
        "  # credit: required: who made the picture, as printed (Photo: ...)\n"
    ) in front
    assert result.missing == ["illustration.alt", "illustration.credit"]
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(ws.root)
    try:
        check = runner.invoke(main, ["check"])
    finally:
        os.chdir(cwd)
    assert check.exit_code == 1
    lines = [line for line in check.output.splitlines() if "unfinished.md" in line]
    assert lines == [
        "content/profiles/unfinished.md:6: illustration.alt: required",
        "content/profiles/unfinished.md:6: illustration.credit: required "
        "(or list the picture in credits.yaml, the rights ledger)",
    ]


def test_right_to_left_word_document(ws, tmp_path):
    d = WordDocument()
    d.properties(title="حارس المنارة", author="سلمى حداد")
    d.language("en-US", bidi="ar-SA")  # Word's default: Latin text English, Arabic text ar-SA
    d.paragraph("يصعد الدرج كل ليلة منذ ثلاثين عاماً.")
    d.picture(png(), alt="منارة عند الغروب", caption="المنارة عند الغروب. تصوير: علي حسن")
    d.table([["لمحة", ""], ["الميلاد", "١٩٦٠"], ["المهنة", "حارس منارة"]])
    d.table([["١٩٩٤", "بدأ العمل."], ["2001-05", "تقاعد."]])
    result = import_document(ws, d.save(tmp_path / "keeper-ar.docx"))
    assert result.profile.name == "keeper-ar.md"  # an ASCII slug, from the file name
    front, body = front_and_body(result.profile)
    assert "title: حارس المنارة\n" in front and "lang: ar-SA\n" in front
    assert "  credit: 'تصوير: علي حسن'\n  caption: المنارة عند الغروب.\n" in front
    assert "  - label: الميلاد\n    value: ١٩٦٠\n" in front
    assert "  - date: '1994'\n    event: بدأ العمل.\n  - date: 2001-05\n" in front
    assert body.strip() == "يصعد الدرج كل ليلة منذ ثلاثين عاماً."
    assert load_profile(result.profile, ws).lang == "ar-SA"


# ---------- OpenDocument ----------


def test_an_opendocument_text(ws, tmp_path):
    from odfdo import Annotation, Document, Frame, Header, List, Note, Paragraph, Table

    doc = Document("text")
    doc.body.clear()
    doc.meta.set_title("The Lighthouse Keeper")
    doc.meta.set_subject("Thirty years of nights on the cliff.")
    doc.meta.set_initial_creator("Rui Costa")
    doc.meta.set_language("pt-PT")
    doc.meta.set_creation_date(dt.datetime(2024, 2, 1, 9, 0))
    first = Paragraph("He has kept the light for thirty years.")
    first.append(Note(note_class="footnote", note_id="n1", citation="1", body="Since 1994."))
    doc.body.append(first)
    second = Paragraph("Every night he climbs the stairs.")
    second.append(Annotation("Is this right?", creator="Editor"))
    doc.body.append(second)
    picture = Paragraph("")
    picture.append(
        Frame.image_frame(
            doc.add_file(io.BytesIO(png())), size=("6cm", "4cm"), anchor_type="as-char"
        )
    )
    doc.body.append(picture)
    doc.body.append(Paragraph("The light at dusk. Photo: Ana Lima"))
    doc.body.append(Header(1, "The stairs"))
    doc.body.append(List(["One hundred steps", "Two lamps"]))
    facts = Table("facts", width=2, height=3)
    facts.set_values([["At a glance", ""], ["Born", "1960, Sagres"], ["Job", "Keeper"]])
    doc.body.append(facts)
    doc.save(tmp_path / "keeper.odt")

    result = import_document(ws, tmp_path / "keeper.odt")
    front, body = front_and_body(result.profile)
    for line in ("title: The Lighthouse Keeper", "dek: Thirty years of nights on the cliff.",
                 "byline: Rui Costa", "date: 2024-02-01", "lang: pt-PT",
                 "  credit: 'Photo: Ana Lima'", "  caption: The light at dusk.",
                 "  - label: Born\n    value: 1960, Sagres"):  # fmt: skip
        assert line in front, line
    assert result.missing == ["illustration.alt"]  # the frame had no description
    assert "He has kept the light for thirty years.[^1]" in body
    assert "## The stairs" in body and "One hundred steps" in body
    assert "[^1]: Since 1994." in body and "Is this right" not in body
    assert result.warnings == ["1 comment dropped"]


# ---------- HTML and Markdown ----------


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png())

    def log_message(self, *args):
        pass


def test_html_that_reaches_for_other_files_gets_nothing(ws, tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(10, 10, (1, 2, 3)))
    outside = tmp_path / "outside.txt"
    outside.write_text("TOP SECRET TEXT")
    inline = "data:image/png;base64," + base64.b64encode(png(30, 20)).decode()
    page = tmp_path / "page.html"
    page.write_text(
        f"""<!DOCTYPE html><html lang="en"><head><title>The Archivist</title>
        <link rel="stylesheet" href="{url}/style.css"><link rel="stylesheet" href="{outside}">
        <script src="{url}/x.js"></script><meta name="author" content="Mia Park"></head><body>
        <h1>The Archivist</h1>
        <p><img src="{inline}" alt="Shelves of boxes."></p>
        <p>The reading room. Photo: Sam Oduya</p>
        <p>She files everything<sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup>.</p>
        <p><img src="{url}/remote.png" alt="remote"></p>
        <p><img src="secret.png" alt="local"></p>
        <p><img src="file://{secret}" alt="file"></p>
        <iframe src="file://{outside}"></iframe><object data="{outside}"></object>
        <div>{{% include "{outside}" %}}</div>
        <p><script>document.write('x')</script>Text after.</p>
        <div><p><a href="#ftnt_ref1" id="ftnt1">[1]</a> Even the receipts.</p></div>
        </body></html>""",
        encoding="utf-8",
    )
    try:
        result = import_document(ws, page)
    finally:
        server.shutdown()
    assert Recorder.requests == []  # nothing fetched
    written = b"".join(p.read_bytes() for p in ws.root.rglob("*") if p.is_file())
    assert b"TOP SECRET" not in written and png(10, 10, (1, 2, 3)) not in written
    assert [p.name for p in result.images] == ["illustration.png"]  # the data: URL only
    front, body = front_and_body(result.profile)
    assert "  alt: Shelves of boxes.\n  credit: 'Photo: Sam Oduya'\n" in front
    assert "She files everything[^1]." in body and "[^1]: Even the receipts." in body
    refused = [w for w in result.warnings if "was not imported" in w]
    assert len(refused) == 3 and all("never reads other files or the network" in w for w in refused)
    assert any(f"'{url}/remote.png'" in w for w in refused)
    assert "<" not in body  # no raw HTML reaches the profile


def test_markdown_with_metadata(ws, tmp_path):
    source = tmp_path / "notes.md"
    source.write_text(
        "---\ntitle: The Beekeeper\nsubtitle: Forty hives on a roof.\nauthor: Jo Kim\n"
        "date: 2023-07-01\nlang: en\n---\n\n# Summer\n\nThe bees came first.[^a]\n\n"
        "[^a]: In 2011.\n",
        encoding="utf-8",
    )
    result = import_document(ws, source)
    front, body = front_and_body(result.profile)
    for line in ("title: The Beekeeper", "dek: Forty hives on a roof.", "byline: Jo Kim",
                 "date: 2023-07-01", "lang: en"):  # fmt: skip
        assert f"\n{line}\n" in front
    assert body == "\n## Summer\n\nThe bees came first.[^1]\n\n[^1]: In 2011.\n"


# ---------- Bad documents ----------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.docx", b"this is not a zip file at all", "not a readable docx document"),
        (
            "locked.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "the file is password-protected (encrypted) or an old binary Word file",
        ),
        ("notes.odt", b"PK\x05\x06" + b"\0" * 18, "not a odt document (no content.xml inside)"),
        ("story.rtf", b"{\\rtf1}", "cannot import a '.rtf' file"),
    ],
)
def test_unreadable_documents_are_refused_with_a_reason(ws, tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ImportFailed, match="^" + name.replace(".", r"\.") + ": ") as error:
        import_document(ws, tmp_path / name)
    assert message in str(error.value)
    assert not list((ws.root / "content" / "profiles").glob("*.md"))


@pytest.mark.parametrize(
    ("megabytes", "message"),
    [
        (100, r"'word/document.xml' is compressed 1,0\d\d to 1, far beyond any real document"),
        (400, r"would unpack to 400,000,008 bytes, over the limit of 300,000,000"),
    ],
)
def test_a_zip_bomb_dressed_as_docx_is_refused_before_it_is_unpacked(
    ws, tmp_path, megabytes, message
):
    bomb = tmp_path / "report.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w") as member:
            block = b"\0" * 1_000_000
            for _ in range(megabytes):  # zeros: about 1 KB packed per MB
                member.write(block)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(ImportFailed, match=message + r".*refused \(a zip bomb\?\)"):
        import_document(ws, bomb)


def test_an_image_over_the_pixel_limit_writes_nothing(ws, tmp_path):
    (ws.root / "pressroom.yaml").write_text("limits: {image_pixels: 1000}\n")
    ws = Workspace.load(ws.root)
    d = WordDocument()
    d.properties(title="Too Big")
    d.picture(png(100, 100), alt="x", caption="Photo: y")
    with pytest.raises(ImportFailed, match=r"over the limit of 1,000 \(limits.image_pixels\)"):
        import_document(ws, d.save(tmp_path / "big.docx"))
    assert sorted(p.name for p in ws.root.iterdir()) == ["content", "pressroom.yaml"]
    assert not list((ws.root / "content" / "profiles").glob("*.md"))


def test_never_overwrites_without_force(ws, tmp_path):
    source = full_word_document(tmp_path / "harbour.docx")
    first = import_document(ws, source)
    first.profile.write_text("edited by hand", encoding="utf-8")
    with pytest.raises(ImportFailed, match="already exists; nothing written"):
        import_document(ws, source)
    assert first.profile.read_text(encoding="utf-8") == "edited by hand"
    again = import_document(ws, source, force=True)
    assert again.profile.read_text(encoding="utf-8").startswith("---\n# Imported from")
    assert sorted(p.name for p in (ws.root / "assets" / "the-harbour-master").iterdir()) == [
        "figure-1.png",
        "illustration.png",
    ]
    assert not [p for p in ws.root.iterdir() if p.name.startswith(".pressroom-import")]


def test_the_command(workspace, tmp_path, monkeypatch):
    source = full_word_document(tmp_path / "harbour.docx")
    monkeypatch.chdir(workspace.root)
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(source), "--slug", "marta-silva"])
    assert result.exit_code == 0, result.output
    assert "wrote content/profiles/marta-silva.md" in result.output
    assert "wrote assets/marta-silva/illustration.png" in result.output
    assert "harbour.docx: warning: 1 comment dropped" in result.output
    assert "check passes" in result.output
    again = runner.invoke(main, ["import", str(source), "--slug", "marta-silva"])
    assert again.exit_code == 1
    assert "error: content/profiles/marta-silva.md already exists" in again.output
    missing = runner.invoke(main, ["import", "nope.docx"])
    assert missing.exit_code == 2 and "'nope.docx' does not exist" in missing.output


def test_the_rest_of_pressroom_never_loads_the_converter():
    code = (
        "import sys, pressroom.cli, pressroom.api, pressroom.builds, pressroom.preview;"
        "print(any(m.startswith(('pypandoc', 'pressroom.importer')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------- The pieces ----------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2016", "2016"),
        ("2016-06", "2016-06"),
        ("2016/6/14", "2016-06-14"),
        ("June 2016", "2016-06"),
        ("Sept. 2001", "2001-09"),
        ("14 June 2016", "2016-06-14"),
        ("June 14, 2016", "2016-06-14"),
        ("١٩٩٤", "1994"),
        ("Spring 2016", None),
        ("31 June 2016", None),
        ("Born", None),
    ],
)
def test_dates_in_tables(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("text", "caption", "credit"),
    [
        ("Dawn over the port. Photo: Jane Doe", "Dawn over the port.", "Photo: Jane Doe"),
        ("Illustration by Jeanette Khouri", "", "Illustration by Jeanette Khouri"),
        ("The quay (Photograph: Reuters)", "The quay", "Photograph: Reuters"),
        ("A photo of the quay at night", "A photo of the quay at night", ""),
        ("المنارة. تصوير: علي حسن", "المنارة.", "تصوير: علي حسن"),
    ],
)
def test_captions_split_into_caption_and_credit(text, caption, credit):
    assert split_credit(text) == (caption, credit)
