"""One render in a process that loads the engine while pressroom prepares the document.

``pressroom render`` of one profile spends about 0.45 s importing WeasyPrint and
0.2 s importing what turns Markdown into HTML (pydantic, Jinja, Babel, markdown-it).
Done one after the other, the second is pure overhead; here a process started first
imports WeasyPrint on another core while this one reads the profile and runs the
layout's templates, then lays out the document it is sent. Only the standard library
is imported here, and only plain data crosses (the render process never loads the
content stack). Used by ``pressroom render``; builds have their own long-lived workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ENGINE_MODULES = ("weasyprint", "pressroom.render")
WORKER_MODULES = ["pressroom.api", "pressroom.builds", "weasyprint"]


def start_workers_server():
    """Start the server that build workers fork from, if it is not running yet.

    It imports WeasyPrint and pressroom (over half a second); started as the command
    starts, that happens on another core while this process checks and plans the build.
    """
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    forkserver.ensure_running()
    return context


class Engine:
    """A render process, forked at once, that imports the engine and waits for documents
    (one, or a few more when copyfitting tries its steps) until it is closed."""

    def __init__(self) -> None:
        self.process = None
        # A plain fork (no new interpreter): the command has loaded almost nothing yet,
        # so the child starts in a millisecond. Forking a process that runs other
        # threads is unsafe (a lock held elsewhere stays held in the child): then the
        # document is rendered here instead.
        if sys.platform != "linux" or threading.active_count() > 1:
            return
        context = multiprocessing.get_context("fork")
        self.connection, there = context.Pipe()
        # The child closes its copy of this end: else it would never see the pipe close.
        self.process = context.Process(target=_serve, args=(there, self.connection), daemon=True)
        self.process.start()
        there.close()

    def render(self, document, roots: list[Path], limits) -> Any:
        """``render.render_document`` in the engine: the same result, or the same error."""
        from .diagnostics import RenderError

        if self.process is None:
            from .render import render_document

            return render_document(document, roots, limits)

        # The document as it is (an HtmlDocument of render, a module the engine loads), but
        # its format as plain values: unpickling a pydantic model would load pydantic there.
        plain = dataclasses.replace(
            document, output_format=SimpleNamespace(**document.output_format.model_dump())
        )
        limit_values = SimpleNamespace(**limits.model_dump())
        source_date = os.environ.get("SOURCE_DATE_EPOCH")
        try:
            self.connection.send((plain, roots, limit_values, source_date))
            kind, value = self.connection.recv()
        except (EOFError, OSError):
            self.close()
            raise RenderError(
                f"the render process ended without a result (exit code {self.process.exitcode})"
            ) from None
        if kind == "error":
            raise RenderError(value)
        return value

    def close(self) -> None:
        """Tell the engine it is done; one still loading (not needed after all) is stopped."""
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.connection.close()
            self.process.join(0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(5)


def _serve(connection, parent_end) -> None:
    import importlib

    parent_end.close()
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    from .diagnostics import PressroomError
    from .render import render_document

    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):  # the command is gone
            break
        if request is None:  # done, or not needed (the profile had errors)
            break
        document, roots, limits, source_date = request
        if source_date is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = source_date
        try:
            connection.send(("ok", render_document(document, roots, limits)))
        except PressroomError as error:
            connection.send(("error", str(error)))
    connection.close()
