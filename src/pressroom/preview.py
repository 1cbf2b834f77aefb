"""Live preview: ``pressroom serve`` shows the workspace's PDFs as pages in a browser.

The server builds the workspace exactly as ``pressroom build`` does (same outputs,
same cache, so a save re-renders only what depends on the saved file; its render
workers stay warm from one rebuild to the next), then shows
each item's pages as images rasterised from those PDFs. A watcher rebuilds on every
save; the open page hears about it over Server-Sent Events and updates by itself.
A file that breaks shows its error (file, line, message) where the pages were.

Choices: Starlette and uvicorn (a small, well-kept ASGI stack: one HTML page, a JSON
state, an event stream and PNG pages need nothing bigger), watchfiles (Rust-backed
notifications, batched changes, no polling), pypdfium2 (the PDFium rasteriser
preflight already uses). Safe by default: it listens on 127.0.0.1 only, refuses
requests whose Host header is not local (DNS rebinding), and serves only the pages
of PDFs its own last build wrote, looked up by item, never by a path from the URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import ContentError, PressroomError, display_path
from .resources import IMAGE_SUFFIXES

LOCAL_HOSTS = ["127.0.0.1", "localhost"]
MAX_EVENT_STREAMS = 32  # open event streams (a browser tab holds one)
DEFAULT_SCALE = 1.5  # 108 dpi: an A4 page about 900 pixels wide
SCALES = (0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass
class PreviewItem:
    id: str  # the build job's key: kind:slug:format
    kind: str
    slug: str
    format: str
    title: str
    status: str
    pages: int = 0
    rtl: bool = False
    problems: list[str] = field(default_factory=list)
    pdf: Path | None = None  # never sent to the browser

    def public(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "pdf"}


@dataclass
class PreviewState:
    version: int = 0
    building: bool = True
    items: list[PreviewItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one item
    finished: str = ""

    def public(self) -> dict:
        return {
            "version": self.version,
            "building": self.building,
            "items": [item.public() for item in self.items],
            "problems": self.problems,
            "finished": self.finished,
        }


class Preview:
    """The build-and-watch loop behind the server; usable without a server in tests."""

    def __init__(self, root: Path, jobs: int | None = None, echo=print) -> None:
        self.root = root.resolve()
        self.jobs = jobs
        self.echo = echo
        self.state = PreviewState()
        self.lock = threading.Lock()
        self._images: dict[tuple, bytes] = {}
        self._pool = None  # render workers kept warm from one rebuild to the next

    def _workers(self, workspace):
        from .builds import LocalPool

        limits = workspace.config.limits
        if self._pool is None or self._pool.limits != limits:
            self.close()
            workers = self.jobs or os.cpu_count() or 1
            self._pool = LocalPool(str(self.root), workers, limits)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def build(self) -> PreviewState:
        """Build the workspace (incrementally) and publish what came out."""
        from .builds import plan_build, run_build, write_report
        from .config import Workspace

        started = time.perf_counter()
        state = PreviewState(version=self.state.version + 1, building=False)
        summary = ""
        try:
            workspace = Workspace.load(self.root)
            plan = plan_build(workspace)
            outcomes = run_build(workspace, plan, pool=self._workers(workspace))
            write_report(workspace, outcomes)
            state.items = _items(workspace, plan, outcomes)
            state.problems = [
                d.format(self.root)
                for d in plan.diagnostics
                if d.is_error and not any(d.format(self.root) in i.problems for i in state.items)
            ]
            built = sum(o.status == "built" for o in outcomes)
            failed = sum(not o.ok for o in outcomes)
            summary = f"{built} built, {len(outcomes) - built - failed} up to date, {failed} failed"
        except ContentError as error:  # pressroom.yaml itself is broken
            state.items = self.state.items
            state.problems = [d.format(self.root) for d in error.diagnostics]
            summary = "the workspace configuration has errors"
        except PressroomError as error:
            state.items = self.state.items
            state.problems = [str(error)]
            summary = "build failed"
        except Exception as error:  # whatever a file holds, the preview lives on and recovers
            from .builds import unexpected

            state.items = self.state.items
            state.problems = [unexpected(error)]
            summary = "build failed"
        seconds = time.perf_counter() - started
        clock = datetime.datetime.now().strftime("%H:%M:%S")
        state.finished = clock
        self.echo(f"[{clock}] rebuilt in {seconds:.2f} s: {summary}")
        for problem in state.problems + [p for i in state.items for p in i.problems]:
            self.echo(f"           {problem}")
        with self.lock:
            self.state = state
        return state

    def mark_building(self) -> None:
        with self.lock:
            self.state.building = True
            self.state.version += 1

    def page_png(self, item_id: str, number: int, scale: float) -> bytes | None:
        """Page ``number`` (1-based) of an item of the last build, as PNG; None if no such page."""
        from .proofs import png_bytes, rasterise

        with self.lock:
            item = next((i for i in self.state.items if i.id == item_id), None)
        if item is None or item.pdf is None or not 1 <= number <= item.pages:
            return None
        try:
            info = item.pdf.stat()
        except OSError:
            return None
        key = (str(item.pdf), info.st_mtime_ns, info.st_size, number, scale)
        if key not in self._images:
            try:
                (image,) = rasterise(item.pdf, scale, [number - 1])
            except (PressroomError, IndexError):
                return None
            if len(self._images) > 512:  # old versions of pages: let them go
                self._images.clear()
            self._images[key] = png_bytes(image)
        return self._images[key]


def _items(workspace, plan, outcomes) -> list[PreviewItem]:
    """One entry per build job, with its title and the problems that explain a failure."""
    from .layouts import text_direction

    root = workspace.root
    by_file: dict[Path, list[str]] = {}
    for diagnostic in plan.diagnostics:
        if diagnostic.is_error and diagnostic.path is not None:
            by_file.setdefault(Path(diagnostic.path).resolve(), []).append(diagnostic.format(root))
    editions = {path.name.removesuffix(".yaml"): path for path in workspace.edition_paths()}
    jobs = {job.key: job for job in plan.jobs}
    items = []
    for outcome in outcomes:
        key = f"{outcome.kind}:{outcome.item}:{outcome.format}"
        title, rtl, files = outcome.item, False, []
        if outcome.kind == "profile":
            source = plan.index.get(outcome.item)
            profile = plan.profiles.get(source) if source else None
            files = [source] if source else []
            if profile is not None:
                title, rtl = profile.meta.title, text_direction(profile.lang) == "rtl"
        else:
            source = editions.get(outcome.item)
            edition = plan.editions.get(source) if source else None
            files = [source] if source else []
            if edition is not None:
                title, rtl = edition.meta.title, text_direction(edition.lang) == "rtl"
                files += edition.profile_paths
        item = PreviewItem(key, outcome.kind, outcome.item, outcome.format, title, outcome.status)
        item.rtl = rtl
        if outcome.ok and outcome.outputs:
            item.pdf, item.pages = Path(outcome.outputs[0].path), outcome.outputs[0].pages
        else:
            found = [m for m in outcome.messages if m not in ("content errors", "edition errors")]
            for path in files:
                found += by_file.get(Path(path).resolve(), [])
            item.problems = list(dict.fromkeys(found)) or outcome.messages
        if key not in jobs and not outcome.ok and not item.problems:
            item.problems = [f"{display_path(Path(item.slug), root)} could not be built"]
        items.append(item)
    return items


def create_app(preview: Preview, watch: bool = True):
    """The ASGI application: the page, its state, an event stream, and page images."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> JSONResponse:
        with preview.lock:
            data = preview.state.public()
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    streams = {"open": 0}

    async def events(request: Request) -> Response:
        # Bounded: each open stream costs a little CPU; a browser tab needs one.
        if streams["open"] >= MAX_EVENT_STREAMS:
            return Response("too many open event streams", 503)
        streams["open"] += 1

        async def stream():
            seen = -1
            try:
                while not await request.is_disconnected():
                    version = preview.state.version
                    if version != seen:
                        seen = version
                        yield f"data: {json.dumps({'version': version})}\n\n"
                    await asyncio.sleep(0.2)
            finally:
                streams["open"] -= 1

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    async def image(request: Request) -> Response:
        try:
            number = int(request.path_params["number"])
            scale = float(request.query_params.get("scale", DEFAULT_SCALE))
        except ValueError:
            return Response("not found", 404)
        if scale not in SCALES:
            return Response("not found", 404)
        data = await asyncio.to_thread(preview.page_png, request.path_params["item"], number, scale)
        if data is None:
            return Response("not found", 404)
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        loop_task = asyncio.create_task(_watch_and_build(preview, watch))
        try:
            yield
        finally:
            loop_task.cancel()
            preview.close()

    routes = [
        Route("/", page),
        Route("/api/state", state),
        Route("/events", events),
        Route("/pages/{item}/{number}.png", image),
    ]
    return Starlette(routes=routes, middleware=[Middleware(ExactHost)], lifespan=lifespan)


class ExactHost:
    """Answer only requests whose Host header is exactly a local name (``localhost`` or
    ``127.0.0.1``, with or without a port): a page on another site that resolves its
    own name to 127.0.0.1 (DNS rebinding) is refused, and so is any other spelling."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
            if name not in LOCAL_HOSTS or (port and not port.isdigit()):
                from starlette.responses import PlainTextResponse

                await PlainTextResponse("Invalid host header", 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _watch_and_build(preview: Preview, watch: bool) -> None:
    """Build once, then again after each batch of saved files (one build at a time)."""
    await asyncio.to_thread(preview.build)
    if not watch:
        return
    import watchfiles

    output = _output_dir(preview.root)

    def relevant(change, path: str) -> bool:
        return is_input(preview.root, Path(path), output)

    async for _ in watchfiles.awatch(preview.root, watch_filter=relevant, debounce=150):
        preview.mark_building()
        await asyncio.to_thread(preview.build)


# What a build reads, besides content and layouts: the files a profile, a stylesheet or
# a layout can name. Anything else (a log, an editor's swap file) changes nothing.
INPUT_SUFFIXES = (*IMAGE_SUFFIXES, ".md", ".yaml", ".yml", ".css", ".j2", ".html",
                  ".woff", ".woff2", ".ttf", ".otf", ".icc", ".icm", ".conf")  # fmt: skip


def is_input(root: Path, target: Path, output: Path | None) -> bool:
    """Whether a change to ``target`` can change a build: never the output folder (the
    build writes there), nor folders no build reads; content, layouts and the files
    they name, whatever their folder."""
    from .stamps import NEVER_INPUTS

    if output is not None and (target == output or output in target.parents):
        return False
    try:
        parts = target.relative_to(root).parts
    except ValueError:
        return False
    if any(part in NEVER_INPUTS for part in parts):
        return False
    return target.suffix.lower() in INPUT_SUFFIXES


def _output_dir(root: Path) -> Path | None:
    from .stamps import output_folder

    found = output_folder(root)
    return found.resolve() if found else None


def serve(root: Path, port: int = 8000, jobs: int | None = None, echo=print) -> None:
    """Run the preview server on 127.0.0.1 until interrupted."""
    import uvicorn

    preview = Preview(root, jobs, echo)
    config = uvicorn.Config(
        create_app(preview), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    echo(f"pressroom preview on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    server.run()


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pressroom preview</title>
<style>
  :root { --side: 17rem; --zoom: 1; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #222; background: #e4e3df; }
  header { position: fixed; inset: 0 0 auto 0; height: 3rem; display: flex; align-items: center;
           gap: 1rem; padding: 0 1rem; background: #1f2430; color: #fff; z-index: 2; }
  header h1 { font-size: 1rem; margin: 0; font-weight: 600; }
  header .status { margin-left: auto; font-size: 0.85rem; opacity: 0.85; }
  nav { position: fixed; top: 3rem; bottom: 0; width: var(--side); overflow: auto;
        background: #f6f5f2; border-right: 1px solid #ccc; padding: 0.5rem 0; }
  nav h2 { font-size: 0.72rem; letter-spacing: 0.08em; text-transform: uppercase; color: #777;
           margin: 0.8rem 1rem 0.3rem; }
  nav a { display: block; padding: 0.35rem 1rem; color: inherit; text-decoration: none; }
  nav a.current { background: #dcd9d1; font-weight: 600; }
  nav a .meta { display: block; font-size: 0.75rem; color: #777; font-weight: 400; }
  nav a.failed .meta { color: #b00020; }
  main { margin: 3rem 0 0 var(--side); padding: 1.5rem; }
  .toolbar { display: flex; gap: 0.6rem; align-items: center; margin: -1.5rem -1.5rem 1rem;
             padding: 0.7rem 1.5rem; position: sticky; top: 3rem; z-index: 1;
             background: #e4e3df; border-bottom: 1px solid #d2d0ca; }
  .toolbar h2 { margin: 0 auto 0 0; font-size: 1.1rem; }
  .spread { display: flex; justify-content: center; margin: 0 auto 1.5rem; gap: 0; }
  .spread.rtl { flex-direction: row-reverse; }
  .slot { width: calc(var(--zoom) * 420px); }
  .slot img { width: 100%; display: block; background: #fff;
              box-shadow: 0 1px 4px rgba(0,0,0,0.25); }
  .slot .number { text-align: center; font-size: 0.75rem; color: #666; margin-top: 0.3rem; }
  .problems { background: #fff3f3; border: 1px solid #e0a0a0; border-radius: 6px;
              padding: 1rem 1.2rem; max-width: 60rem; }
  .problems h3 { margin: 0 0 0.5rem; color: #b00020; font-size: 1rem; }
  .problems pre { margin: 0.2rem 0; white-space: pre-wrap;
                  font: 13px/1.45 ui-monospace, monospace; }
  .empty { color: #666; }
</style>
</head>
<body>
<header><h1>pressroom preview</h1><span class="status" id="status">starting...</span></header>
<nav id="items"></nav>
<main>
  <div id="banner"></div>
  <div class="toolbar"><h2 id="title"></h2>
    <label>Zoom <input id="zoom" type="range" min="0.5" max="2.5" step="0.25" value="1"></label>
    <label><input id="spreads" type="checkbox" checked> Spreads</label>
  </div>
  <div id="pages" class="empty">Building...</div>
</main>
<script>
let state = null;
const $ = (id) => document.getElementById(id);
function escape(text) {
  const span = document.createElement("span"); span.textContent = text; return span.innerHTML;
}
function current() {
  const wanted = decodeURIComponent(location.hash.slice(1));
  const items = state ? state.items : [];
  return items.find((i) => i.id === wanted) || items.find((i) => i.status !== "failed")
    || items[0];
}
function scaleFor(zoom) {
  const wanted = 1.5 * zoom * (window.devicePixelRatio || 1);
  return [0.75, 1.0, 1.5, 2.0, 3.0].find((s) => s >= wanted) || 3.0;
}
function renderNav() {
  const groups = { edition: "Editions", profile: "Profiles" };
  let html = "";
  for (const kind of ["edition", "profile"]) {
    const items = state.items.filter((i) => i.kind === kind);
    if (!items.length) continue;
    html += `<h2>${groups[kind]}</h2>`;
    const chosen = current();
    for (const item of items) {
      const cls = [item === chosen ? "current" : "", item.status === "failed" ? "failed" : ""];
      const meta = item.status === "failed" ? "has errors" : `${item.format}, ${item.pages} pages`;
      html += `<a href="#${encodeURIComponent(item.id)}" class="${cls.join(" ")}"
        data-id="${escape(item.id)}">${escape(item.title)}<span class="meta">${meta}</span></a>`;
    }
  }
  $("items").innerHTML = html;
}
function renderPages() {
  const item = current();
  const pages = $("pages");
  $("banner").innerHTML = state.problems.length ? `<div class="problems"><h3>Problems</h3>${
    state.problems.map((p) => `<pre>${escape(p)}</pre>`).join("")}</div>` : "";
  if (!item) { pages.className = "empty"; pages.textContent = "Nothing to show yet."; return; }
  $("title").textContent = `${item.title} (${item.kind}, ${item.format})`;
  if (item.status === "failed") {
    pages.className = "";
    pages.innerHTML = `<div class="problems" id="errors"><h3>${escape(item.title)} could not be
      built</h3>${item.problems.map((p) => `<pre>${escape(p)}</pre>`).join("")}</div>`;
    return;
  }
  const zoom = parseFloat($("zoom").value);
  document.documentElement.style.setProperty("--zoom", zoom);
  const scale = scaleFor(zoom);
  const base = `/pages/${encodeURIComponent(item.id)}`;
  const url = (n) => `${base}/${n}.png?scale=${scale}&v=${state.version}`;
  const slot = (n) => n ? `<div class="slot"><img alt="page ${n}" data-page="${n}"
      src="${url(n)}"><div class="number">${n}</div></div>` : `<div class="slot"></div>`;
  let rows = [];
  if ($("spreads").checked) {
    rows.push([null, 1]);
    for (let n = 2; n <= item.pages; n += 2) rows.push([n, n + 1 <= item.pages ? n + 1 : null]);
  } else {
    for (let n = 1; n <= item.pages; n++) rows.push([n]);
  }
  pages.className = "";
  pages.innerHTML = rows.map((row) => `<div class="spread ${item.rtl ? "rtl" : ""}">${
    row.map(slot).join("")}</div>`).join("");
}
function render() { renderNav(); renderPages(); }
async function refresh() {
  const response = await fetch("/api/state", { cache: "no-store" });
  state = await response.json();
  $("status").textContent = state.building ? "building..." : `built at ${state.finished}`;
  render();
}
window.addEventListener("hashchange", render);
$("zoom").addEventListener("input", renderPages);
$("spreads").addEventListener("change", renderPages);
const events = new EventSource("/events");
events.onmessage = () => refresh();
refresh();
</script>
</body>
</html>
"""
