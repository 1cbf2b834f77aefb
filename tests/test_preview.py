"""`pressroom serve`: over HTTP (host checks, confinement) and in a real browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .test_builds import copy_sample

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), ""


def wait_for(predicate, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path):
    """`pressroom serve` in a copy of the sample publication, after its first build."""
    root = copy_sample(tmp_path / "ws")
    # The preview of the sample: the English edition in two formats is enough here.
    (root / "content" / "editions" / "2021-winter-ar.yaml").unlink()
    edition = root / "content" / "editions" / "2021-winter.yaml"
    edition.write_text(
        edition.read_text(encoding="utf-8").replace("[print, screen, archive]", "[screen]"),
        encoding="utf-8",
    )
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pressroom", "serve", "--port", str(port)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )

    def state():
        try:
            status, body, _ = get(port, "/api/state")
        except OSError:
            return None
        data = json.loads(body) if status == 200 else None
        return data if data and not data["building"] and data["items"] else None

    try:
        wait_for(state, what="the first build")
        yield root, port, state, tmp_path / "serve.log"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_refuses_requests_for_other_hosts(server):
    _, port, _, _ = server
    for host in ("evil.example", "evil.example:80", f"attacker.test:{port}"):
        status, body, _ = get(port, "/api/state", host=host)
        assert status == 400 and b"Invalid host header" in body
    assert get(port, "/api/state", host=f"localhost:{port}")[0] == 200
    assert get(port, "/api/state", host=f"127.0.0.1:{port}")[0] == 200


def test_serves_pages_of_its_own_build_and_nothing_else(server):
    root, port, state, _ = server
    items = {item["id"]: item for item in state()["items"]}
    assert "edition:2021-winter:screen" in items and "profile:al-kadhimi:screen" in items
    status, body, kind = get(port, "/pages/profile:al-kadhimi:screen/1.png")
    assert status == 200 and kind == "image/png" and body.startswith(b"\x89PNG")
    (root / "secret.txt").write_text("do not serve")
    for path in (
        "/pages/profile:al-kadhimi:screen/99.png",  # no such page
        "/pages/profile:nobody:screen/1.png",  # no such item
        "/pages/..%2F..%2Fsecret.txt/1.png",
        "/pages/profile:al-kadhimi:screen/1.png?scale=50",  # no huge renders on demand
        "/secret.txt",
        "/build/al-kadhimi.pdf",
        "/pressroom.yaml",
        "/../secret.txt",
    ):
        status, body, _ = get(port, path)
        assert status == 404, path
        assert b"do not serve" not in body


def test_prints_a_timestamped_line_per_rebuild(server):
    root, _, state, log = server
    first = state()["version"]
    source = root / "content" / "profiles" / "ortega-baines.md"
    source.write_text(source.read_text(encoding="utf-8").replace("delta", "Delta"), "utf-8")
    wait_for(lambda: (s := state()) and s["version"] > first + 1, what="a rebuild")
    lines = [line for line in log.read_text().splitlines() if "rebuilt in" in line]
    assert len(lines) >= 2
    assert lines[-1][0] == "[" and lines[-1][9:21] == "] rebuilt in"
    assert "2 built" in lines[-1]  # the profile alone and the edition, nothing else


def test_preview_in_a_browser_follows_edits_errors_and_fixes(server):
    if not CHROMIUM.exists():
        if os.environ.get("PRESSROOM_REQUIRE_BROWSER"):  # CI: a skip would hide a failure
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    root, port, _, _ = server
    source = root / "content" / "profiles" / "wierzbicki.md"
    original = source.read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/#profile%3Awierzbicki%3Ascreen")
        first = page.locator('img[data-page="1"]')
        first.wait_for()
        page.wait_for_function(LOADED)
        assert page.locator("img[data-page]").count() == 2  # the profile's two pages
        assert page.locator("nav a.current").inner_text().startswith("The Last Man")
        before_src = first.get_attribute("src")
        before_png = page.evaluate(PIXELS)

        # An edit: the page image changes by itself.
        source.write_text(original.replace("Casts Letters", "Sets Type"), encoding="utf-8")
        page.wait_for_function(
            f"({CURRENT_TITLE}).startsWith('The Last Man Who Sets')", timeout=90_000
        )
        page.wait_for_function(LOADED)
        assert first.get_attribute("src") != before_src
        assert page.evaluate(PIXELS) != before_png

        # A broken file: its error replaces the pages, with file and line.
        source.write_text(original.replace("title: ", "title: [broken\n", 1), encoding="utf-8")
        errors = page.locator("#errors")
        errors.wait_for(timeout=90_000)
        text = errors.inner_text()
        assert "content/profiles/wierzbicki.md:" in text
        assert page.locator("img[data-page]").count() == 0

        # Fixed: the pages come back.
        source.write_text(original, encoding="utf-8")
        page.locator('img[data-page="1"]').wait_for(timeout=90_000)
        page.wait_for_function(f"({CURRENT_TITLE}).startsWith('The Last Man Who Casts')")
        assert page.locator("#errors").count() == 0
        browser.close()


CURRENT_TITLE = "document.querySelector('nav a.current')?.innerText || ''"
LOADED = (
    "(img => img && img.complete && img.naturalWidth > 0)"
    "(document.querySelector('img[data-page=\"1\"]'))"
)

# A digest of page 1 as the browser decoded it (so "the page changed" is about pixels).
PIXELS = """() => {
  const img = document.querySelector('img[data-page="1"]');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum = (sum * 31 + data[i]) % 1000000007;
  return sum;
}"""
