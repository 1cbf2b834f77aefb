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
import functools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from importlib.resources import files
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
        self.listeners: set = set()  # called (from any thread) when the state changes

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

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
            from .builds.jobs import unexpected

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
        self._changed()
        return state

    def mark_building(self) -> None:
        with self.lock:
            self.state.building = True
            self.state.version += 1
        self._changed()

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
            found = [m for m in outcome.messages if m.origin != "see-files"]
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
        return HTMLResponse(_page(), headers={"Cache-Control": "no-store"})

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

        # Woken by the preview when its state changes (builds run in another thread,
        # hence call_soon_threadsafe); the timeout only notices a closed tab.
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(changed.set)

        async def stream():
            seen = -1
            preview.listeners.add(wake)
            try:
                while not await request.is_disconnected():
                    version = preview.state.version
                    if version != seen:
                        seen = version
                        yield f"data: {json.dumps({'version': version})}\n\n"
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), timeout=5)
                    changed.clear()
            finally:
                preview.listeners.discard(wake)
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


@functools.cache
def _page() -> str:
    """The preview's page (HTML, CSS and script), a file of the package: ``preview.html``."""
    return files("pressroom").joinpath("preview.html").read_text(encoding="utf-8")
