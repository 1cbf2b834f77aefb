"""The command line: exit codes, messages, and where files go."""

from __future__ import annotations

import subprocess
import sys

import pypdf
import pytest
from click.testing import CliRunner

from pressroom.cli import main

from .conftest import GOOD_FRONT_MATTER


@pytest.fixture
def run(monkeypatch):
    def invoke(*args, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, list(args))

    return invoke


def test_check_passes_on_good_content(workspace, run):
    workspace.profile("good")
    result = run("check", cwd=workspace.root)
    assert result.exit_code == 0, result.output
    assert "checked 1 profiles: 0 errors, 0 warnings" in result.output


def test_check_fails_and_lists_problems(workspace, run):
    workspace.profile("good")
    workspace.profile("bad", "dek: no title\n")
    result = run("check", cwd=workspace.root)
    assert result.exit_code == 1
    assert "content/profiles/bad.md:2: title: required" in result.output
    assert "checked 2 profiles: 1 errors, 0 warnings" in result.output
    assert "Traceback" not in result.output
    assert not (workspace.root / "build").exists()  # check renders nothing


def test_check_outside_a_workspace_is_a_usage_error(tmp_path, run):
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no pressroom.yaml in this folder or any parent" in result.output


def test_unknown_option_is_a_usage_error(run):
    assert run("build", "--nope").exit_code == 2


def test_render_missing_file_is_a_usage_error(tmp_path, run):
    result = run("render", "nowhere.md", cwd=tmp_path)
    assert result.exit_code == 2
    assert "'nowhere.md' does not exist" in result.output


def test_unknown_layout_is_a_render_error(workspace, run):
    path = workspace.profile("p")
    result = run("render", str(path), "--layout", "nope", cwd=workspace.root)
    assert result.exit_code == 1
    assert "layout 'nope' not found; available layouts: dossier, magazine" in result.output


@pytest.mark.slow
def test_build_renders_good_profiles_and_isolates_bad_ones(workspace, run):
    workspace.profile("good")
    workspace.profile("second", GOOD_FRONT_MATTER.replace("A Test Profile", "Second Profile"))
    workspace.profile("bad", "title: [not, text]\n")
    build = workspace.root / "build"
    build.mkdir()
    (build / "bad.pdf").write_bytes(b"previous good bad.pdf")
    result = run("build", cwd=workspace.root)
    assert result.exit_code == 1
    assert "content/profiles/bad.md:2: title: must be text, found a list" in result.output
    assert "2 built, 0 up to date, 1 failed" in result.output
    assert sorted(p.name for p in build.glob("*.pdf")) == ["bad.pdf", "good.pdf", "second.pdf"]
    assert (build / "bad.pdf").read_bytes() == b"previous good bad.pdf"
    assert "Second Profile" in pypdf.PdfReader(build / "second.pdf").pages[0].extract_text()


@pytest.mark.slow
def test_render_to_chosen_output_and_default_output(workspace, run, tmp_path):
    path = workspace.profile("p")
    result = run("render", str(path), "-o", str(tmp_path / "x.pdf"), cwd=workspace.root)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {tmp_path / 'x.pdf'} (1 pages, ")
    result = run("render", "content/profiles/p.md", cwd=workspace.root)
    assert result.exit_code == 0, result.output
    assert (workspace.root / "build" / "p.pdf").is_file()


@pytest.mark.slow
def test_render_lone_file_writes_next_to_it(tmp_path, run):
    folder = tmp_path / "lone"
    folder.mkdir()
    (folder / "p.md").write_text("---\ntitle: Lone\n---\nText.\n", encoding="utf-8")
    result = run("render", "lone/p.md", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (folder / "p.pdf").is_file()


def test_check_warns_about_related_profiles_that_do_not_exist(workspace, run):
    workspace.profile("p", GOOD_FRONT_MATTER + "related: [p, ghost]\n")
    result = run("check", cwd=workspace.root)
    assert result.exit_code == 0
    assert (
        "content/profiles/p.md:20: related[1]: warning: no profile with slug 'ghost' in this "
        "workspace" in result.output
    )


@pytest.mark.slow
def test_layout_option_uses_a_child_layout_that_overrides_one_partial(workspace, run, tmp_path):
    child = workspace.root / "layouts" / "keyfacts" / "partials"
    child.mkdir(parents=True)
    (child.parent / "layout.yaml").write_text("name: keyfacts\nextends: magazine\n")
    (child / "factbox.html.j2").write_text(
        '<aside class="factbox"><h2 class="box-title">Key facts</h2>'
        "{% for fact in profile.facts %}<p>{{ fact.label }}: {{ fact.value }}</p>{% endfor %}"
        "</aside>\n"
    )
    path = workspace.profile("p")
    out = tmp_path / "k.pdf"
    result = run("render", str(path), "--layout", "keyfacts", "-o", str(out), cwd=workspace.root)
    assert result.exit_code == 0, result.output
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert "KEY FACTS" in text and "Born: 1950" in text  # the override...
    assert "A Test Profile" in text  # ...and everything else from the parent


def test_check_does_not_load_the_rendering_engine(workspace):
    """`check` and `--help` stay fast: WeasyPrint (about a second to import) is not loaded."""
    workspace.profile("p")
    script = (
        "import sys; from pressroom.cli import main\n"
        "try: main(['check'])\n"
        "except SystemExit as done: print(done.code, 'weasyprint' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=workspace.root, capture_output=True, text=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stderr


def test_check_warns_about_unknown_config_keys(workspace, run):
    (workspace.root / "pressroom.yaml").write_text("publicaton: Typo Weekly\n", encoding="utf-8")
    workspace.profile("p")
    result = run("check", cwd=workspace.root)
    assert result.exit_code == 0
    assert (
        "pressroom.yaml:1: publicaton: warning: unknown field, ignored; did you mean 'publication'?"
        in result.output
    )


@pytest.mark.slow
def test_new_layout_and_new_profile_render_at_once_and_never_overwrite(workspace, run, tmp_path):
    result = run("new", "layout", "house", "--from", "magazine", cwd=workspace.root)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "wrote layouts/house/layout.yaml",
        "wrote layouts/house/house.css",
        "wrote layouts/house/README.md",
    ]
    css = workspace.root / "layouts/house/house.css"
    css.write_text(css.read_text() + ".headline { color: #123456; }\n")
    again = run("new", "layout", "house", cwd=workspace.root)
    assert again.exit_code == 1
    assert "layouts/house already exists; nothing written" in again.output
    assert ".headline { color: #123456; }" in css.read_text()  # untouched

    result = run("new", "profile", "jane-doe", cwd=workspace.root)
    assert result.output == "wrote content/profiles/jane-doe.md\n"
    assert run("check", cwd=workspace.root).exit_code == 0
    out = tmp_path / "jane.pdf"
    result = run("render", "content/profiles/jane-doe.md", "--layout", "house", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Jane Doe" in pypdf.PdfReader(out).pages[0].extract_text()
    assert run("new", "profile", "jane-doe").exit_code == 1

    listing = run("layouts").output
    assert "house  [layouts/house]  extends magazine (built-in)" in listing
    assert "    accent = #a4262c  (css) Kickers, rules, drop cap" in listing


@pytest.mark.slow
def test_render_command_matches_the_library_byte_for_byte(workspace, tmp_path):
    """`pressroom render` lays out in a process forked at start (see engine.py): the
    PDF is the one the library writes in-process."""
    from pressroom import render_to_file

    path = workspace.profile("p")
    env = {"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"}
    command = [
        sys.executable,
        "-m",
        "pressroom",
        "render",
        str(path),
        "-o",
        str(tmp_path / "a.pdf"),
    ]
    done = subprocess.run(command, cwd=workspace.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        render_to_file(path, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@pytest.mark.slow
def test_the_engine_stops_when_told_it_is_done(workspace):
    """The engine process ends on the command's word (it once waited for a pipe that its
    own copy kept open, and was killed five seconds later: every render paid them)."""
    from pressroom.config import Workspace
    from pressroom.content import load_profile, resource_roots
    from pressroom.engine import Engine
    from pressroom.layouts import render_profile_html

    profile = load_profile(workspace.profile("p"))
    ws = Workspace.load(workspace.root)
    engine = Engine()
    result = engine.render(render_profile_html(profile), resource_roots(ws), ws.config.limits)
    assert result.pages >= 1
    engine.connection.send(None)  # what close() says
    engine.process.join(60)
    assert engine.process.exitcode == 0  # it returned by itself: not killed, not crashed
    engine.close()


@pytest.mark.slow
def test_render_command_reports_an_engine_refusal(workspace, tmp_path):
    folder = workspace.root / "layouts" / "leak"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text("name: leak\nextends: magazine\nstylesheets: [leak.css]\n")
    (folder / "leak.css").write_text("body { background: url(file:///etc/passwd) }\n")
    path = workspace.profile("p")
    out = tmp_path / "out.pdf"
    command = [sys.executable, "-m", "pressroom", "render", str(path), "-o", str(out)]
    done = subprocess.run(
        [*command, "--layout", "leak"], cwd=workspace.root, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert (
        "p.md: error: resource refused: 'file:///etc/passwd' is outside the workspace"
        in done.stderr
    )
    assert not out.exists()
