"""Task pools: where renders run. :class:`LocalPool` keeps warm worker processes on this
machine; ``pressroom.distributed.DaskPool`` sends the same tasks to a cluster. This module
knows nothing of planning or scheduling: ``distributed`` imports it alone."""

from __future__ import annotations

import abc
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Limits, Workspace
from ..diagnostics import ContentError, Message, PressroomError
from ..engine import start_workers_server
from ..pieces import PieceResult, PieceSpec, render_piece
from .jobs import Job, Outcome, execute, unexpected


@dataclass
class Task:
    """What a worker runs: a profile job, or one piece of an edition job."""

    job: Job
    spec: PieceSpec | None = None
    key: str = ""  # a piece's cache key
    # The build's SOURCE_DATE_EPOCH travels with the task: a worker's own environment
    # is the one its server started with (or another machine's).
    source_date: str | None = field(default_factory=lambda: os.environ.get("SOURCE_DATE_EPOCH"))
    # Which build it is part of: a worker keeps stylesheets and fonts warm within one
    # build, and starts afresh for the next (render.keep_warm).
    build: str = ""
    # Fills in spec and key when the task starts, with the page counts known by then
    # (a guess made later is more often right: fewer pieces are laid out twice).
    # It returns None while a guess would be poor (the edition's front, whose length
    # moves every page number, is still being laid out): other tasks go first.
    prepare: Callable[[], tuple[PieceSpec, str] | None] | None = field(default=None, repr=False)
    # Among tasks that can start, the lowest rank goes first (then the earliest sent):
    # see schedule.RANKS. It keeps both workers busy to the end of a build.
    rank: int = 0

    def ready(self) -> bool:
        if self.prepare is not None:
            prepared = self.prepare()
            if prepared is None:
                return False
            self.spec, self.key = prepared
            self.prepare = None
        return True


@dataclass
class Failure:
    """A task that did not produce its result, and why (each reason an error)."""

    messages: list[Message]
    peak_mb: float = 0.0
    fatal: bool = False  # the worker that ran it must not run another

    def __post_init__(self) -> None:
        self.messages = [
            m if isinstance(m, Message) else Message(m, "error", "render") for m in self.messages
        ]


class TaskPool(abc.ABC):
    """Runs tasks somewhere and hands back their results, in the order they finish
    (:class:`LocalPool` here, ``distributed.DaskPool`` on a cluster)."""

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @abc.abstractmethod
    def submit(self, task: Task) -> None: ...

    @abc.abstractmethod
    def completed(self) -> Iterable[tuple[Task, object]]:
        """Wait for at least one task to finish; yield (task, result) for each that did."""

    @property
    @abc.abstractmethod
    def busy(self) -> bool: ...

    @abc.abstractmethod
    def close(self) -> None: ...


RETIRE_MB = 256  # a worker's peak past which it retires (see LocalPool)


class LocalPool(TaskPool):
    """Worker processes on this machine, at most ``workers`` at once, under the limits.

    Workers live for the whole build and take task after task, so what they learn
    stays warm: compiled templates, parsed stylesheets, loaded fonts, font coverage.
    They fork from a server that has already imported WeasyPrint, so one starts in
    milliseconds. A task that runs past ``limits.render_seconds`` is killed with its
    worker; each worker may use at most ``limits.render_memory_mb``. Either way that
    task fails alone, with a message, a fresh worker replaces the lost one, and the
    others go on.

    Kept rather than pebble's ProcessPool (which has the time limit, the initializer and
    the forkserver): a task here is prepared only when a worker is free to take it, so
    an edition's page numbers are guessed as late as possible, and a worker that ran out
    of memory retires after answering; pebble takes a task's arguments when it is
    scheduled and retires workers only by count.
    """

    def __init__(self, root: str, workers: int, limits: Limits) -> None:
        self.root = root
        self.workers = workers
        self.limits = limits
        self.context = start_workers_server()
        # A worker's resident size creeps up task after task (at 300 profiles, to 440 MB):
        # past this peak it answers, then retires, and a fresh fork takes its place.
        self.retire_mb = min(RETIRE_MB, limits.render_memory_mb * 0.8)
        self.pending: list[Task] = []
        self.idle: list[tuple] = []  # (process, connection)
        self.running: dict = {}  # connection -> (process, task, started)

    def submit(self, task: Task) -> None:
        self.pending.append(task)

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.running)

    def _spawn(self) -> tuple:
        here, there = self.context.Pipe()
        process = self.context.Process(
            target=_worker,
            args=(self.root, there, self.limits.render_memory_mb, self.retire_mb),
            daemon=True,
        )
        process.start()
        there.close()
        return process, here

    def _start(self) -> None:
        while len(self.running) < self.workers:
            # Sorted first, then asked whether ready: a piece fixes its page numbers when
            # it is ready, and must not be asked before a task ranked ahead of it starts.
            ranked = sorted(self.pending, key=lambda t: t.rank)
            task = next((t for t in ranked if t.ready()), None)
            if task is None:
                return
            self.pending.remove(task)
            process, connection = self.idle.pop() if self.idle else self._spawn()
            try:
                connection.send(task)
            except OSError:  # the idle worker is gone: give the task to a fresh one
                process.kill()
                process, connection = self._spawn()
                connection.send(task)
            self.running[connection] = (process, task, time.monotonic())

    def completed(self) -> Iterable[tuple[Task, object]]:
        self._start()
        limits = self.limits
        multiprocessing.connection.wait(list(self.running), timeout=0.25)
        for connection, (process, task, started) in list(self.running.items()):
            result, reusable = None, False
            if connection.poll():
                try:
                    result, reusable = connection.recv(), True
                except (EOFError, OSError):  # it died before sending anything
                    process.join(5)
                    code = process.exitcode
                    why = (
                        "it was killed (by the system, often for memory: "
                        f"limits.render_memory_mb = {limits.render_memory_mb})"
                        if code is not None and code < 0
                        else "it crashed"
                    )
                    result = Failure(
                        [f"the render process ended without a result (exit code {code}); {why}"]
                    )
            elif time.monotonic() - started > limits.render_seconds:
                process.kill()
                process.join(5)
                result = Failure(
                    [
                        f"stopped after {limits.render_seconds:g} s, the time limit for one "
                        "render (limits.render_seconds)"
                    ]
                )
            if result is None:
                continue
            del self.running[connection]
            retired = getattr(result, "fatal", False) or getattr(result, "retired", False)
            if reusable and process.is_alive() and not retired:
                self.idle.append((process, connection))
            else:
                process.kill()
                connection.close()
            if isinstance(result, Outcome) and not result.seconds:
                result.seconds = time.monotonic() - started
            yield task, result
        self._start()

    def close(self) -> None:
        for _, connection in self.idle:
            with contextlib.suppress(OSError):
                connection.send(None)  # done: exit
            connection.close()
        for connection, (process, *_) in self.running.items():  # Ctrl-C, or an error here
            process.kill()
            connection.close()
        for process, _ in self.idle:
            process.join(2)
            if process.is_alive():
                process.kill()
        self.idle.clear()
        self.running.clear()


def run_apart(limits: Limits, function: Callable, *args) -> tuple[object, float]:
    """``function(*args)`` in a process of its own, forked from the workers' server and
    under their memory limit; its result and that process's peak memory (MB), or a
    :class:`PressroomError` saying why not.

    For work whose memory grows with an edition (assembling its pages): the main
    process, which holds the build's state and feeds the workers, stays as small for
    300 profiles as for 10, and the work has limits it fails alone at (memory, and
    ``limits.render_seconds``, as a render)."""
    context = start_workers_server()
    here, there = context.Pipe()
    process = context.Process(
        target=_apart, args=(there, limits.render_memory_mb, function, args), daemon=True
    )
    process.start()
    there.close()
    try:
        if not here.poll(limits.render_seconds):
            process.kill()
            process.join(5)
            raise PressroomError(
                f"stopped after {limits.render_seconds:g} s, the time limit for one render "
                "(limits.render_seconds)"
            )
        kind, value, peak_mb = here.recv()
    except (EOFError, OSError):
        process.join(5)
        raise PressroomError(
            f"the process ended without a result (exit code {process.exitcode}); killed by "
            f"the system, often for memory (limits.render_memory_mb = {limits.render_memory_mb})"
        ) from None
    finally:
        here.close()
    process.join(5)
    if kind == "error":
        raise PressroomError(value)
    return value, peak_mb


def _apart(connection, memory_mb: int, function: Callable, args: tuple) -> None:
    _cap_memory(memory_mb)
    try:
        answer = ("done", function(*args))
    except MemoryError:
        answer = ("error", f"ran out of memory (limits.render_memory_mb = {memory_mb})")
    except Exception as error:
        answer = ("error", f"{type(error).__name__}: {error}")
    connection.send((*answer, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    connection.close()


def _cap_memory(memory_mb: int) -> None:
    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # a smaller hard limit is already set: keep it
        pass


def _worker(root: str, connection, memory_mb: int, retire_mb: float = float("inf")) -> None:
    """A render process: cap its memory, then run tasks until told to stop (or until its
    peak passes ``retire_mb``: it says so with its last answer)."""
    _cap_memory(memory_mb)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = run_task(root, task)
        except MemoryError:
            result = Failure([f"ran out of memory (limits.render_memory_mb = {memory_mb})"])
            result.fatal = True  # memory may be left fragmented: this worker stops
        except RecursionError:
            result = Failure(["the document is nested too deeply to render"])
            result.fatal = True
        except Exception as error:  # a failure nobody foresaw: said as it is, this item only
            result = Failure([unexpected(error)])
        if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 > retire_mb:
            result.retired = True
        connection.send(result)
        if getattr(result, "fatal", False) or getattr(result, "retired", False):
            return


def run_task(root: str, task: Task) -> Outcome | PieceResult | Failure:
    """Run one task where it is (a local worker process, or a Dask worker)."""
    if task.source_date is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = task.source_date
    if task.build:
        from .. import render

        render.keep_warm(task.build)
    if task.spec is None:
        result = execute(root, task.job)
    else:
        try:
            result = render_piece(Workspace.load(Path(root)), task.spec)
        except ContentError as error:
            result = Failure([d.format(Path(root)) for d in error.diagnostics if d.is_error])
        except PressroomError as error:
            result = Failure([str(error)])
    result.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result
