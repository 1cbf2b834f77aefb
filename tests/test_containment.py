"""Containment and resilience: every way out of the workspace closed, every bad input a
message (never a traceback), caches and manifests checked before use, the preview alive.

Written as an attacker and as an unlucky user would try them; the classes follow the
README's security model."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image

from pressroom import build_workspace
from pressroom import builds as builds_module
from pressroom.api import render_pdf
from pressroom.builds import cache as piece_cache
from pressroom.builds import jobs as build_jobs
from pressroom.builds import runner as build_runner
from pressroom.cli import main
from pressroom.config import Workspace
from pressroom.content import load_profile
from pressroom.diagnostics import ContentError, LayoutError, RenderError
from pressroom.layouts import find_layout
from pressroom.preview import Preview, create_app, is_input
from pressroom.stamps import input_stamp

from .conftest import GOOD_FRONT_MATTER, REPO

SECRET = "root:x:0:0"  # what /etc/passwd holds, and no PDF may


def png_bytes(width: int, height: int, colour=(200, 30, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def errors_of(call) -> list[str]:
    with pytest.raises(ContentError) as caught:
        call()
    return [d.format() for d in caught.value.diagnostics]


def child_layout(workspace, name: str = "house", yaml_extra: str = "") -> Path:
    folder = workspace.root / "layouts" / name
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text(f"name: {name}\nextends: magazine\n{yaml_extra}")
    return folder


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# -- reads outside the workspace --


def test_a_template_that_is_a_symlink_outside_is_refused(workspace):
    folder = child_layout(workspace)
    (folder / "partials").mkdir()
    (folder / "partials" / "factbox.html.j2").symlink_to("/etc/passwd")
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(LayoutError, match=r"template 'partials/factbox\.html\.j2' is outside"):
        render_pdf(profile, layout="house")


def test_an_include_of_a_symlink_outside_is_refused(workspace):
    folder = child_layout(workspace)
    (folder / "secret.html.j2").symlink_to("/etc/passwd")
    (folder / "profile.html.j2").write_text("<p>{% include 'secret.html.j2' %}</p>")
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(LayoutError, match="outside the workspace"):
        render_pdf(profile, layout="house")


@pytest.mark.parametrize("sheet", ["/etc/passwd", "../../../../../../etc/passwd", "link.css"])
def test_a_layout_stylesheet_outside_the_layouts_is_refused(workspace, sheet):
    folder = child_layout(workspace, yaml_extra=f"stylesheets: ['{sheet}']\n")
    (folder / "link.css").symlink_to("/etc/passwd")
    with pytest.raises(
        LayoutError, match=r"layout.yaml: stylesheets\[0\]: .*outside the workspace"
    ):
        find_layout("house", Workspace.load(workspace.root))


@pytest.mark.parametrize("name", ["/usr/share", "../../layouts/magazine", "..", "a/b", ".hidden"])
def test_a_layout_is_a_name_never_a_path(workspace, name):
    front = GOOD_FRONT_MATTER + f"layout: '{name}'\n"
    (message,) = errors_of(lambda: load_profile(workspace.profile("p", front)))
    assert f"layout: '{name}' is not a layout name" in message
    with pytest.raises(LayoutError, match="is not a layout name"):
        find_layout(name, Workspace.load(workspace.root))


def test_extends_naming_a_path_is_refused(workspace):
    child_layout(workspace, "house").joinpath("layout.yaml").write_text(
        "name: house\nextends: ../../../etc\n"
    )
    with pytest.raises(LayoutError, match=r"'\.\./\.\./\.\./etc' is not a layout name"):
        find_layout("house", Workspace.load(workspace.root))


def test_a_layout_folder_that_is_a_symlink_outside_is_refused(workspace, tmp_path):
    outside = tmp_path / "elsewhere" / "house"
    outside.mkdir(parents=True)
    (outside / "layout.yaml").write_text("name: house\nextends: magazine\n")
    (workspace.root / "layouts").mkdir()
    (workspace.root / "layouts" / "house").symlink_to(outside)
    with pytest.raises(ContentError) as caught:
        find_layout("house", Workspace.load(workspace.root))
    assert "outside the workspace" in caught.value.diagnostics[0].message


def test_a_profile_that_is_a_symlink_outside_is_refused(workspace):
    link = workspace.root / "content" / "profiles" / "p.md"
    link.symlink_to("/etc/passwd")
    (message,) = errors_of(lambda: load_profile(link))
    assert message.endswith("p.md: outside the workspace")
    (outcome,) = build_workspace(Workspace.load(workspace.root), jobs=1)
    assert outcome.status == "failed"
    assert not list((workspace.root / "build").glob("*.pdf"))


def test_a_profile_that_is_a_fifo_fails_at_once(workspace):
    fifo = workspace.root / "content" / "profiles" / "p.md"
    os.mkfifo(fifo)
    started = time.monotonic()
    (message,) = errors_of(lambda: load_profile(fifo))
    assert message.endswith("p.md: not a regular file")
    assert time.monotonic() - started < 5  # it never waits for a writer


def test_a_profile_linked_to_dev_zero_is_refused(workspace):
    link = workspace.root / "content" / "profiles" / "p.md"
    link.symlink_to("/dev/zero")
    (message,) = errors_of(lambda: load_profile(link))
    assert "outside the workspace" in message


def test_an_edition_that_is_a_symlink_outside_is_refused(workspace):
    workspace.profile("p")
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "e.yaml").symlink_to("/etc/passwd")
    (outcome,) = build_workspace(Workspace.load(workspace.root), ["e"], jobs=1)
    assert outcome.status == "failed"


def test_a_config_that_is_not_utf8_is_a_message(workspace, monkeypatch):
    (workspace.root / "pressroom.yaml").write_bytes(b"publication: Caf\xe9 Weekly\n")
    with pytest.raises(ContentError) as caught:
        Workspace.load(workspace.root)
    assert caught.value.diagnostics[0].format(workspace.root) == (
        "pressroom.yaml:1: not UTF-8 text (byte 16); save it as UTF-8"
    )
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1, result.output
    assert "pressroom.yaml:1: not UTF-8 text" in result.output


def test_a_layout_yaml_that_is_not_utf8_is_a_message(workspace):
    folder = child_layout(workspace)
    (folder / "layout.yaml").write_bytes(b"name: house\ndescription: \xff\n")
    with pytest.raises(ContentError) as caught:
        find_layout("house", Workspace.load(workspace.root))
    assert "layout.yaml" in str(caught.value.diagnostics[0].path)
    assert caught.value.diagnostics[0].message.startswith("not UTF-8 text")


def test_a_ledger_that_is_a_fifo_is_refused(workspace):
    os.mkfifo(workspace.root / "credits.yaml")
    front = GOOD_FRONT_MATTER.replace("  credit: Illustration by Test Artist\n", "")
    (message, *_) = errors_of(lambda: load_profile(workspace.profile("p", front)))
    assert "credits.yaml: not a regular file" in message


# -- image checks, however the picture arrives --


def limit_pixels(workspace, pixels: int = 1_000_000) -> None:
    (workspace.root / "pressroom.yaml").write_text(
        f"publication: Test Weekly\nlimits: {{image_pixels: {pixels}}}\n"
    )


def test_an_oversized_data_url_image_in_markdown_is_refused(workspace):
    limit_pixels(workspace)
    body = f'Text.\n\n![big]({data_url(png_bytes(1500, 1000))} "Photo: A")\n'
    profile = load_profile(workspace.profile("p", body=body))
    with pytest.raises(RenderError, match=r"a data: URL image.*1,500,000 pixels"):
        render_pdf(profile)


def test_a_truncated_data_url_jpeg_is_refused(workspace):
    jpeg = png_bytes(300, 200, fmt="JPEG")
    body = f'Text.\n\n![cut]({data_url(jpeg[: len(jpeg) // 2], "image/jpeg")} "Photo: A")\n'
    profile = load_profile(workspace.profile("p", body=body))
    with pytest.raises(RenderError, match="not a readable image"):
        render_pdf(profile)


def test_a_css_url_to_a_picture_with_another_name_is_checked(workspace):
    limit_pixels(workspace)
    folder = child_layout(workspace, yaml_extra="stylesheets: [extra.css]\n")
    (folder / "bomb.dat").write_bytes(png_bytes(1500, 1000))
    (folder / "extra.css").write_text(".story { background: url(bomb.dat); }\n")
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(RenderError, match=r"'bomb.dat' has 1,500,000 pixels"):
        render_pdf(profile, layout="house")


def test_an_image_inside_an_svg_is_checked(workspace):
    """An SVG drawn in the page (here by a layout's template) fetches its <image>: the
    fetcher checks it. (WeasyPrint 70 draws no <image> of an SVG used as a picture.)"""
    limit_pixels(workspace)
    inner = data_url(png_bytes(1500, 1000))
    folder = child_layout(workspace)
    (folder / "profile.html.j2").write_text(
        '<html><body><svg xmlns="http://www.w3.org/2000/svg" width="300" height="200">'
        f'<image href="{inner}" width="300" height="200"/></svg></body></html>'
    )
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(RenderError, match="1,500,000 pixels"):
        render_pdf(profile, layout="house")


def test_pillow_bomb_warnings_never_reach_the_terminal(workspace, capfd):
    limit_pixels(workspace, 200_000_000)
    big = workspace.root / "content" / "profiles" / "big.png"
    Image.new("1", (10000, 9500)).save(big)  # 95 Mpx: over Pillow's warning threshold
    load_profile(workspace.profile("p", body='![b](big.png "Photo: A")\n'))
    captured = capfd.readouterr()
    assert "DecompressionBombWarning" not in captured.out + captured.err


# -- one bad file never stops the rest --


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("title: " + "[" * 1000 + "]" * 1000 + "\n", "p.md:2: YAML nested too deeply"),
        ("title: ok\ndek: a\x00b\n", "p.md:3: a control character (U+0000) YAML does not allow"),
        ("title: ok\nissue: " + "9" * 5000 + "\n", "p.md:3: a number of 5,000 digits"),
    ],
)
def test_hostile_yaml_is_a_message_with_its_line(workspace, front, expected):
    (message,) = errors_of(lambda: load_profile(workspace.profile("p", front)))
    assert expected in message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 1/0 }}", "ZeroDivisionError"),
        ("{{ [].pop() }}", "IndexError"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "recursion too deep"),
        ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    ],
)
def test_template_runtime_errors_name_the_template(workspace, template, expected):
    folder = child_layout(workspace)
    (folder / "profile.html.j2").write_text(f"<p>\n{template}\n</p>\n")
    profile = load_profile(workspace.profile("p"))
    with pytest.raises(LayoutError) as caught:
        render_pdf(profile, layout="house")
    assert "layouts/house/profile.html.j2:2: layout 'house':" in str(caught.value)
    assert expected in str(caught.value)


def test_a_template_error_in_a_build_fails_that_item_with_its_location(workspace):
    child_layout(workspace).joinpath("profile.html.j2").write_text("{{ 1/0 }}\n")
    workspace.profile("p", GOOD_FRONT_MATTER + "layout: house\n")
    workspace.profile("q")
    outcomes = {o.item: o for o in build_workspace(Workspace.load(workspace.root), jobs=2)}
    assert outcomes["q"].status == "built"
    assert outcomes["p"].status == "failed"
    (message,) = outcomes["p"].messages
    assert "profile.html.j2:1" in message and "ZeroDivisionError" in message
    assert "memory" not in message


def test_an_unexpected_failure_is_said_as_it_is(workspace, monkeypatch):
    workspace.profile("p")
    workspace_ = Workspace.load(workspace.root)
    plan = builds_module.plan_build(workspace_)

    def broken(*args, **kwargs):
        raise ValueError("no such thing")

    monkeypatch.setattr(build_jobs.api, "render", broken)
    outcome = build_jobs.execute(str(workspace.root), plan.jobs[0])
    assert outcome.status == "failed"
    (message,) = outcome.messages
    assert message.startswith("unexpected error (in jobs.py:")
    assert message.endswith("ValueError: no such thing; please report it")


# -- caches, manifests and stamps of any shape --


def copy_sample(root: Path) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "assets" / "illustrations", root / "assets" / "illustrations")
    shutil.copy(REPO / "pressroom.yaml", root / "pressroom.yaml")
    shutil.copy(REPO / "credits.yaml", root / "credits.yaml")
    return root


def build_edition(root: Path, force: bool = False):
    # These tests damage caches and manifests behind the build's back: the no-op stamp
    # (inputs and outputs untouched) would answer before they are read.
    (root / "build" / ".pressroom-stamp.json").unlink(missing_ok=True)
    (outcome,) = build_workspace(
        Workspace.load(root), ["2021-winter"], ["screen"], jobs=1, force=force
    )
    return outcome


@pytest.fixture
def built_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1638316800")
    root = copy_sample(tmp_path / "ws")
    assert build_edition(root).ok
    return root


def edition_bytes(root: Path) -> bytes:
    return (root / "build" / "2021-winter" / "screen" / "2021-winter.pdf").read_bytes()


@pytest.mark.parametrize(
    "manifest",
    [
        "[1, 2, 3]",
        '{"edition:2021-winter:screen": {"fingerprint": 7, "outputs": "x", "pieces": 3}}',
        '{"page-hints": {"a": "many"}, "edition:2021-winter:screen": []}',
        "not json",
    ],
)
def test_a_manifest_of_the_wrong_shape_costs_a_rebuild_not_a_traceback(built_sample, manifest):
    expected = edition_bytes(built_sample)
    (built_sample / "build" / ".pressroom-manifest.json").write_text(manifest)
    outcome = build_edition(built_sample)
    assert outcome.ok, outcome.messages
    assert edition_bytes(built_sample) == expected


@pytest.mark.parametrize("stamp", ['{"stamp": 1, "outputs": 2}', "[]", '{"stamp": "x"}'])
def test_a_stamp_of_the_wrong_shape_means_build(built_sample, stamp, monkeypatch):
    monkeypatch.chdir(built_sample)
    (built_sample / "build" / ".pressroom-stamp.json").write_text(stamp)
    result = CliRunner().invoke(main, ["build", "2021-winter", "--format", "screen"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_a_cached_piece_of_the_wrong_shape_is_rendered_again(built_sample):
    expected = edition_bytes(built_sample)
    cache = built_sample / "build" / ".pressroom-cache"
    for description in cache.glob("*.json"):
        description.write_text('{"pages": "three", "key": 4}')
    outcome = build_edition(built_sample, force=False)
    assert outcome.ok and edition_bytes(built_sample) == expected


def test_swapped_pieces_are_caught_by_their_digest(built_sample):
    expected = edition_bytes(built_sample)
    cache = built_sample / "build" / ".pressroom-cache"
    pieces = sorted(cache.glob("*.piece.pdf-part"))
    first, second = pieces[0].read_bytes(), pieces[1].read_bytes()
    pieces[0].write_bytes(second)
    pieces[1].write_bytes(first)
    (built_sample / "build" / ".pressroom-manifest.json").unlink()  # make it assemble again
    outcome = build_edition(built_sample)
    assert outcome.ok and outcome.pieces["rendered"] >= 2
    assert edition_bytes(built_sample) == expected


def test_a_cache_folder_replaced_by_a_file_is_given_up_for_the_build(built_sample):
    cache = built_sample / "build" / ".pressroom-cache"
    shutil.rmtree(cache)
    cache.write_text("not a folder")
    (built_sample / "build" / ".pressroom-manifest.json").unlink()
    outcome = build_edition(built_sample)
    assert outcome.ok
    assert any("the piece cache is off for this build" in m for m in outcome.messages)


def test_a_full_disk_in_the_cache_and_manifest_leaves_a_report(built_sample, monkeypatch):
    real = piece_cache.write_atomic

    def full(path, data):
        if ".pressroom" in str(path):
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(piece_cache, "write_atomic", full)
    monkeypatch.setattr(build_runner, "write_atomic", full)
    shutil.rmtree(built_sample / "build" / ".pressroom-cache")  # every piece to store again
    (built_sample / "build" / ".pressroom-manifest.json").unlink()
    outcome = build_edition(built_sample)
    assert outcome.ok
    text = " ".join(outcome.messages)
    assert "the piece cache is off for this build: No space left on device" in text
    assert "cannot write build/.pressroom-manifest.json (No space left on device)" in text


# -- wrong or lost output --


def test_two_profiles_with_one_slug_never_replace_each_other(workspace):
    workspace.profile("a", GOOD_FRONT_MATTER + "slug: same\n")
    workspace.profile("b", GOOD_FRONT_MATTER + "slug: same\n")
    outcomes = build_workspace(Workspace.load(workspace.root), jobs=1)
    statuses = {o.item: o.status for o in outcomes}
    assert statuses == {"same": "built", "b": "failed"}
    messages = CliRunner().invoke(main, ["check"], env={"PWD": str(workspace.root)})
    del messages  # the same diagnostic reaches check, below, through the api
    from pressroom.api import check_workspace

    found = [d.format(workspace.root) for d in check_workspace(Workspace.load(workspace.root))]
    assert (
        "content/profiles/b.md:20: slug: slug 'same' is already the slug of "
        "content/profiles/a.md; give each profile its own" in found
    )


@pytest.mark.parametrize("name", ["...yaml", ".pressroom-cache.yaml", "..yaml", " x.yaml"])
def test_an_edition_file_name_that_is_not_a_name_writes_nothing(workspace, name):
    workspace.profile("p")
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / name).write_text("title: T\nprofiles: [p]\nformats: [screen]\n")
    outcomes = build_workspace(Workspace.load(workspace.root), jobs=1)
    assert [o.status for o in outcomes if o.kind == "edition"] == ["failed"]
    written = {p.relative_to(workspace.root) for p in workspace.root.rglob("*.pdf")}
    assert written == {Path("build/p.pdf")}


def test_a_profile_file_name_that_is_not_a_slug_is_an_error(workspace):
    path = workspace.root / "content" / "profiles" / ".draft.md"
    path.write_text(f"---\n{GOOD_FRONT_MATTER}---\nText.\n")
    (message,) = errors_of(lambda: load_profile(path))
    assert "the file name '.draft.md' is not a slug" in message


def test_an_edition_file_over_the_size_limit_is_refused(workspace):
    (workspace.root / "pressroom.yaml").write_text(
        "publication: Test Weekly\nlimits: {source_bytes: 1000}\n"
    )
    workspace.profile("p")
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "e.yaml").write_text("title: T\nprofiles: [p]\n# " + "x" * 2000 + "\n")
    from pressroom.editions import inspect_edition

    edition, found = inspect_edition(editions / "e.yaml", Workspace.load(workspace.root))
    assert edition is None
    assert "over the limit of 1,000 (limits.source_bytes)" in found[0].message


def test_dot_folders_are_inputs_of_the_no_op_stamp(workspace):
    art = workspace.root / ".art"
    art.mkdir()
    (art / "pic.png").write_bytes(png_bytes(10, 10))
    output = workspace.root / "build"
    before = input_stamp(workspace.root, output, [])
    (art / "pic.png").write_bytes(png_bytes(12, 10))
    assert input_stamp(workspace.root, output, []) != before


def test_body_images_in_an_edition_are_the_profile_own(workspace):
    profiles = workspace.root / "content" / "profiles"
    (profiles / "pic.png").write_bytes(png_bytes(60, 40, (200, 30, 30)))
    editions = workspace.root / "content" / "editions"
    editions.mkdir()
    (editions / "pic.png").write_bytes(png_bytes(60, 40, (30, 30, 200)))  # a decoy
    (editions / "e.yaml").write_text("title: T\nprofiles: [p]\nformats: [screen]\n")
    workspace.profile("p", body='Text.\n\n![a](pic.png "Photo: A")\n')
    (outcome,) = build_workspace(Workspace.load(workspace.root), ["e"], jobs=1)
    assert outcome.status == "built", outcome.messages
    reader = pypdf.PdfReader(workspace.root / "build" / "e" / "screen" / "e.pdf")
    colours = [
        image.image.convert("RGB").getpixel((5, 5))
        for page in reader.pages
        for image in page.images
        if image.image.size == (60, 40)
    ]
    assert colours and all(c[0] > 150 and c[2] < 80 for c in colours)  # red, never blue


@pytest.mark.parametrize("value", ["red' x", '"Open Sans', "red;}body{color:red", "a\nb"])
def test_a_layout_variable_cannot_break_out_of_its_declaration(workspace, value):
    front = GOOD_FRONT_MATTER + f"variables:\n  accent: {json.dumps(value)}\n"
    workspace.profile("p", front)
    from pressroom.api import check_workspace

    found = [d.format(workspace.root) for d in check_workspace(Workspace.load(workspace.root))]
    assert any("variables.accent" in f and "is not a plain CSS value" in f for f in found), found


# -- the preview --


def asgi_status(app, host: str, path: str = "/api/state") -> int:
    """The status an ASGI app answers a GET with (no HTTP client needed)."""
    import asyncio

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.fixture
def app(workspace):
    workspace.profile("p")
    return create_app(Preview(workspace.root, jobs=1, echo=lambda *a: None), watch=False)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost", 200),
        ("127.0.0.1:8000", 200),
        ("LOCALHOST", 400),
        ("localhost ", 400),
        (" localhost", 400),
        ("evil.example", 400),
        ("localhost.evil.example", 400),
        ("localhost:80x", 400),
    ],
)
def test_the_preview_answers_exact_local_hosts_only(app, host, status):
    assert asgi_status(app, host) == status


def test_event_streams_are_bounded(app, monkeypatch):
    import pressroom.preview as preview_module

    monkeypatch.setattr(preview_module, "MAX_EVENT_STREAMS", 0)
    assert asgi_status(app, "localhost", "/events") == 503


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("content/profiles/p.md", True),
        ("assets/photo.png", True),
        (".art/photo.png", True),
        ("layouts/house/house.css", True),
        ("pressroom.yaml", True),
        ("serve.log", False),
        ("build/p.pdf", False),
        (".git/index", False),
        ("notes.txt", False),
        ("content/profiles/.p.md.swp", False),
    ],
)
def test_the_watcher_rebuilds_for_inputs_only(tmp_path, path, expected):
    assert is_input(tmp_path, tmp_path / path, tmp_path / "build") is expected


def test_the_preview_survives_a_crash_and_recovers(workspace, monkeypatch):
    workspace.profile("p")
    preview = Preview(workspace.root, jobs=1, echo=lambda *a: None)
    real = builds_module.plan_build

    def crash(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    try:
        monkeypatch.setattr(builds_module, "plan_build", crash)
        state = preview.build()
        assert not state.building and "RecursionError" in state.problems[0]
        monkeypatch.setattr(builds_module, "plan_build", real)
        state = preview.build()
        assert not state.building and state.problems == []
        assert [item.status for item in state.items] == ["built"]
    finally:
        preview.close()


# -- messages --


def test_ctrl_c_exits_130(workspace, monkeypatch):
    import pressroom.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(workspace.root)
    monkeypatch.setattr(pressroom.api, "check_workspace", interrupted)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 130


# -- killed builds: the next build equals --force, byte for byte --


@pytest.mark.slow
def test_killed_and_interrupted_builds_never_leave_a_stale_output(tmp_path):
    """Builds killed (SIGKILL) or interrupted (SIGINT) at random moments, each followed
    by a normal build: that build's outputs equal a --force build's, byte for byte."""
    import random

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1638316800"}
    root = copy_sample(tmp_path / "ws")
    reference = copy_sample(tmp_path / "ref")
    command = [sys.executable, "-m", "pressroom", "build", "--jobs", "2"]
    subprocess.run([*command, "--force"], cwd=reference, env=env, check=True, capture_output=True)
    wanted = {
        p.relative_to(reference / "build"): p.read_bytes()
        for p in (reference / "build").rglob("*.pdf")
    }
    chance = random.Random(20261130)
    profile = root / "content" / "profiles" / "wierzbicki.md"
    original = profile.read_text(encoding="utf-8")
    for round_ in range(5):
        # an edit, so that every round has something to render when it is cut short
        profile.write_text(original.replace("grudge", f"grudge{round_}"), encoding="utf-8")
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(chance.uniform(0.3, 4.0))
        process.send_signal(signal.SIGKILL if round_ % 2 == 0 else signal.SIGINT)
        process.wait(60)
    profile.write_text(original, encoding="utf-8")
    subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    got = {p.relative_to(root / "build"): p.read_bytes() for p in (root / "build").rglob("*.pdf")}
    assert set(got) == set(wanted)
    for path, data in wanted.items():
        assert got[path] == data, path


def test_an_uncredited_data_image_is_named_without_its_base64(workspace):
    from pressroom.formats import BUILTIN_FORMATS
    from pressroom.preflight import content_findings

    body = f"Text.\n\n![dot]({data_url(png_bytes(4, 4))})\n"
    profile = load_profile(workspace.profile("p", body=body))
    (finding,) = content_findings(profile, BUILTIN_FORMATS["screen"])
    assert finding.format(workspace.root) == (
        "content/profiles/p.md:23: body: warning: an inline data: image has no credit; give "
        'it one: ![alt](data:... "Photo: Name")'
    )
