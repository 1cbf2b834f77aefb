"""Hostile and broken input: each gets a clear error, leaves no partial output, reads
nothing outside the workspace and never touches the network."""

from __future__ import annotations

import errno
import io
import os
import socket
import struct
import zlib
from pathlib import Path

import pypdf
import pytest

from pressroom import ContentError, LayoutError, RenderError, build_workspace, load_profile
from pressroom.api import render, render_to_file
from pressroom.config import Workspace
from pressroom.content import check_profile

from .conftest import GOOD_FRONT_MATTER

SECRET = "TOP-SECRET-7d1f"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the workspace that no PDF may ever contain."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to open a network connection."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts
    assert attempts == []


def messages(workspace, path: Path) -> list[str]:
    return [d.format(workspace.root) for d in check_profile(path, Workspace.load(workspace.root))]


def with_illustration(src: str) -> str:
    return GOOD_FRONT_MATTER.replace("portrait.svg", src)


def png(width: int, height: int, data: bytes | None = None) -> bytes:
    """A minimal greyscale PNG; ``data`` overrides the (compressed) pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))  # fmt: skip

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if data is None:
        data = zlib.compress(b"".join(b"\0" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


# ---------- Front matter and YAML ----------


def test_yaml_python_object_tag_is_refused(workspace):
    path = workspace.profile("p", "title: !!python/object/apply:os.system ['echo pwned']\n")
    (message,) = messages(workspace, path)
    assert message == (
        "content/profiles/p.md:2: title: the YAML tag !!python/object/apply:os.system would "
        "make a program object; pressroom reads plain values only (text, numbers, dates, "
        "lists, mappings)"
    )


def test_yaml_billion_laughs_is_bounded(workspace):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = workspace.profile("p", "title: Laughs\n" + "\n".join(lines) + "\n")
    assert messages(workspace, path) == [
        "content/profiles/p.md:2: YAML expands to more than 20,000 values (aliases included); "
        "limits.yaml_nodes"
    ]


def test_yaml_recursive_alias_is_bounded(workspace):
    path = workspace.profile("p", "title: Loop\ntags: &t [a, *t]\n")
    assert messages(workspace, path) == [  # a list that holds itself nests without end
        "content/profiles/p.md:3: YAML nested too deeply (more than 100 levels)"
    ]


def test_absurdly_large_front_matter(workspace):
    path = workspace.profile("p", "title: Big\ndek: " + "x" * 250_000 + "\n")
    assert messages(workspace, path) == [
        "content/profiles/p.md:1: front matter: 250,017 bytes, over the limit of 200,000 "
        "(limits.front_matter_bytes)"
    ]


def test_absurdly_large_profile_file(workspace):
    path = workspace.profile("p", body="word " * 500_000)
    assert messages(workspace, path) == [
        "content/profiles/p.md: 2,500,339 bytes, over the limit of 2,000,000 (limits.source_bytes)"
    ]


def test_utf16_profile_is_not_utf8(workspace):
    path = workspace.root / "content" / "profiles" / "p.md"
    path.write_bytes("---\ntitle: x\n---\n".encode("utf-16"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:1: not UTF-8 text (byte 0); save it as UTF-8"
    ]


# ---------- Files and images ----------


def test_fifo_illustration_is_refused_without_hanging(workspace):
    os.mkfifo(workspace.root / "content" / "profiles" / "pipe.png")
    path = workspace.profile("p", with_illustration("pipe.png"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:9: illustration.src: 'pipe.png' is not a regular file"
    ]


def test_symlink_to_a_device_is_outside_the_workspace(workspace):
    (workspace.root / "content" / "profiles" / "zero.png").symlink_to("/dev/zero")
    path = workspace.profile("p", with_illustration("zero.png"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:9: illustration.src: 'zero.png' is outside the workspace"
    ]


def test_symlink_loop_is_refused(workspace):
    folder = workspace.root / "content" / "profiles"
    (folder / "a.png").symlink_to(folder / "b.png")
    (folder / "b.png").symlink_to(folder / "a.png")
    (message,) = messages(workspace, workspace.profile("p", with_illustration("a.png")))
    assert message.startswith("content/profiles/p.md:9: illustration.src: cannot resolve 'a.png'")


def test_decompression_bomb_is_refused(workspace):
    (workspace.root / "content" / "profiles" / "bomb.png").write_bytes(
        png(20_000, 20_000, zlib.compress(b"\0" * 1000))
    )
    path = workspace.profile("p", with_illustration("bomb.png"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:9: illustration.src: 'bomb.png' has far too many pixels "
        "(limits.image_pixels)"
    ]


def test_image_over_the_pixel_limit(workspace):
    (workspace.root / "pressroom.yaml").write_text("limits: {image_pixels: 1000}\n")
    (workspace.root / "content" / "profiles" / "big.png").write_bytes(png(50, 50))
    path = workspace.profile("p", with_illustration("big.png"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:9: illustration.src: 'big.png' has 2,500 pixels (50 x 50), over "
        "the limit of 1,000 (limits.image_pixels)"
    ]


def test_truncated_image_is_refused_even_after_weasyprint_is_imported(workspace):
    import weasyprint  # noqa: F401  (it makes Pillow accept truncated images process-wide)

    data = png(200, 200)
    (workspace.root / "content" / "profiles" / "cut.png").write_bytes(data[: len(data) // 2])
    (message,) = messages(workspace, workspace.profile("p", with_illustration("cut.png")))
    assert message.startswith(
        "content/profiles/p.md:9: illustration.src: 'cut.png' is not a readable image"
    )


def test_text_file_named_png(workspace):
    (workspace.root / "content" / "profiles" / "fake.png").write_text("not an image")
    (message,) = messages(workspace, workspace.profile("p", with_illustration("fake.png")))
    assert message.startswith(
        "content/profiles/p.md:9: illustration.src: 'fake.png' is not a readable image "
        "(cannot identify image file"
    )


def test_other_image_formats_are_refused(workspace):
    from PIL import Image

    Image.new("RGB", (4, 4)).save(workspace.root / "content" / "profiles" / "bitmap.png", "BMP")
    path = workspace.profile("p", with_illustration("bitmap.png"))
    assert messages(workspace, path) == [
        "content/profiles/p.md:9: illustration.src: 'bitmap.png' is a BMP image; use PNG, "
        "JPEG, GIF or WebP"
    ]


def test_svg_with_an_external_entity_is_refused(workspace, secret):
    (workspace.root / "content" / "profiles" / "xxe.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    (message,) = messages(workspace, workspace.profile("p", with_illustration("xxe.svg")))
    assert message.startswith(
        "content/profiles/p.md:9: illustration.src: 'xxe.svg' is not a readable image"
    )


def test_svg_billion_laughs_is_refused(workspace):
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    (workspace.root / "content" / "profiles" / "lol.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&l9;</text></svg>'
    )
    (message,) = messages(workspace, workspace.profile("p", with_illustration("lol.svg")))
    assert message.startswith(
        "content/profiles/p.md:9: illustration.src: 'lol.svg' is not a readable image"
    )


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        ("/etc/passwd", "'/etc/passwd' is outside the workspace"),
        ("../../../../../../etc/hosts", "'../../../../../../etc/hosts' is outside the workspace"),
        ("https://example.com/a.png", "'https://example.com/a.png' is a https: URL; pressroom"),
        ("ftp://example.com/a.png", "'ftp://example.com/a.png' is a ftp: URL; pressroom"),
    ],
)
def test_body_images_that_reach_outside(workspace, src, reason):
    path = workspace.profile("p", body=f"Text.\n\n![x]({src})\n")
    (message,) = messages(workspace, path)
    assert message.startswith(f"content/profiles/p.md:23: body: image {reason}")


# ---------- Rendering: layouts, CSS, templates ----------


def child_layout(workspace, name: str, css: str = "", template: str | None = None):
    folder = workspace.root / "layouts" / name
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text(
        f"name: {name}\nextends: magazine\nstylesheets: [{name}.css]\n"
    )
    (folder / f"{name}.css").write_text(css)
    if template is not None:
        (folder / "profile.html.j2").write_text(template)
    return name


@pytest.mark.slow
@pytest.mark.parametrize(
    ("css", "reason"),
    [
        ("@import url(http://example.com/x.css);", "'http://example.com/x.css' is a http: URL"),
        ("body { background: url(https://example.com/x.png) }", "is a https: URL"),
        ("@font-face { font-family: X; src: url(file:///etc/passwd) }", "is outside the workspace"),
    ],
)
def test_layout_css_cannot_reach_the_network_or_outside(workspace, no_network, css, reason):
    name = child_layout(workspace, "leak", css)
    out = workspace.root / "out.pdf"
    with pytest.raises(RenderError, match="resource refused: .*" + reason.replace(".", r"\.")):
        render_to_file(workspace.profile("p"), out, layout=name)
    assert not out.exists()


@pytest.mark.slow
def test_attachment_links_cannot_embed_files_outside(workspace, no_network, secret):
    template = (
        '{% extends "builtin/magazine/profile.html.j2" %}{% block content %}'
        f'<a rel="attachment" href="{secret.as_uri()}">data</a>{{{{ super() }}}}{{% endblock %}}'
    )
    name = child_layout(workspace, "attach", template=template)
    try:
        pdf = render(load_profile(workspace.profile("p")), layout=name).pdf
    except RenderError as error:  # refused outright...
        assert "is outside the workspace" in str(error)
    else:  # ...or dropped: either way nothing from outside is in the PDF
        assert list(pypdf.PdfReader(io.BytesIO(pdf)).attachments) == []
        assert SECRET.encode() not in pdf


@pytest.mark.slow
def test_template_cannot_reach_python_internals(workspace):
    template = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    name = child_layout(workspace, "escape", template=template)
    with pytest.raises(LayoutError) as caught:
        render(load_profile(workspace.profile("p")), layout=name)
    assert str(caught.value).endswith(
        "layouts/escape/profile.html.j2:1: layout 'escape': refused by the template sandbox: "
        "access to attribute '__class__' of 'str' object is unsafe."
    )


@pytest.mark.slow
def test_raw_html_and_javascript_links_stay_text(workspace, no_network, secret):
    body = (
        f'<img src="{secret.as_uri()}"> <iframe src="{secret.as_uri()}"></iframe>\n\n'
        "[click](javascript:alert(1))\n"
    )
    pdf = render(load_profile(workspace.profile("p", body=body))).pdf
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "<img src=" in text.lower() and SECRET not in text  # shown as text, not fetched
    uris = [
        str(a.get_object()["/A"].get("/URI"))
        for page in reader.pages
        for a in page.get("/Annots") or []
        if "/A" in a.get_object()
    ]
    assert not any("javascript" in uri for uri in uris)


@pytest.mark.slow
def test_oversized_data_url_is_refused(workspace, no_network):
    (workspace.root / "pressroom.yaml").write_text("limits: {data_url_bytes: 100}\n")
    body = "![x](data:image/png;base64," + "A" * 400 + ")\n"
    with pytest.raises(RenderError, match=r"a data: URL of [\d,]+ bytes is over the limit of 100"):
        render(load_profile(workspace.profile("p", body=body)))


# ---------- Batches: pathological documents fail alone ----------


def all_pdf_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*.pdf"))


@pytest.mark.slow
def test_pathological_profiles_fail_alone_and_write_nothing(workspace, secret):
    # The 100,000-letter word takes 15-30 s to lay out here: a limit well above that, so
    # that preflight, not the clock, stops it (the time limit has its own test below).
    (workspace.root / "pressroom.yaml").write_text("limits: {render_seconds: 120}\n")
    workspace.profile("good")
    workspace.profile("word", "title: Word\n", body="x" * 100_000 + "\n")
    workspace.profile("page", "title: Page\nvariables: {page_size: 200000in 200000in}\n")
    outcomes = build_workspace(Workspace.load(workspace.root), jobs=2)
    status = {o.item: (o.status, o.messages) for o in outcomes}
    assert status["good"][0] == "built"
    assert status["word"][0] == "failed"
    assert any(
        "preflight: page 1: error: text runs off the page" in m for m in status["word"][1]
    ), status["word"]
    assert status["word"][1][-1] == "preflight failed: nothing written"
    assert status["page"][0] == "failed"
    assert any(
        "preflight: page 1: error: the page is 200,000 x 200,000 in; PDF viewers and printers "
        "accept at most 200 x 200 in" in m
        for m in status["page"][1]
    )
    built = sorted(p.name for p in (workspace.root / "build").glob("*.pdf"))
    assert built == ["good.pdf"]
    assert SECRET.encode() not in all_pdf_bytes(workspace.root)


@pytest.mark.slow
def test_a_render_over_the_time_limit_is_stopped(workspace):
    # The limit is generous for the short profile (a second or two, even on a loaded machine)
    # and a small fraction of what the long one needs (minutes): no wall-clock race either way.
    (workspace.root / "pressroom.yaml").write_text("limits: {render_seconds: 10}\n")
    workspace.profile("good")
    long_body = "\n\n".join(["Words that keep the engine busy for a while. " * 30] * 600)
    workspace.profile("long", "title: Long\n", body=long_body + "\n")
    outcomes = build_workspace(Workspace.load(workspace.root), jobs=2)
    status = {o.item: (o.status, o.messages) for o in outcomes}
    assert status["good"][0] == "built"
    assert status["long"] == (
        "failed",
        ["stopped after 10 s, the time limit for one render (limits.render_seconds)"],
    )
    assert not (workspace.root / "build" / "long.pdf").exists()


@pytest.mark.slow
def test_a_render_over_the_memory_limit_fails_with_a_message(workspace):
    (workspace.root / "pressroom.yaml").write_text("limits: {render_memory_mb: 150}\n")
    workspace.profile("p")
    (outcome,) = build_workspace(Workspace.load(workspace.root), jobs=1)
    assert outcome.status == "failed"
    (message,) = outcome.messages
    assert "memory" in message and "limits.render_memory_mb = 150" in message


@pytest.mark.slow
def test_disk_full_keeps_the_previous_output(workspace, monkeypatch):
    target = workspace.root / "build" / "p.pdf"
    target.parent.mkdir()
    target.write_bytes(b"previous good file")

    def full(fd):  # the disk fills up while the new PDF is flushed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device"):
        render_to_file(workspace.profile("p"), target)
    assert target.read_bytes() == b"previous good file"
    assert [p.name for p in target.parent.iterdir()] == ["p.pdf"]


def test_unknown_layout_in_front_matter_is_reported_by_check(workspace):
    from pressroom.api import check_workspace

    workspace.profile("p", GOOD_FRONT_MATTER + "layout: nope\n")
    assert [d.format(workspace.root) for d in check_workspace(Workspace.load(workspace.root))] == [
        "content/profiles/p.md:20: layout: layout 'nope' not found; available layouts: dossier, "
        "magazine"
    ]


def test_content_error_never_leaves_a_file(workspace):
    path = workspace.profile("p", "title: [unclosed\n")
    out = workspace.root / "out.pdf"
    with pytest.raises(ContentError):
        render_to_file(path, out)
    assert not out.exists()
