"""Renders on a Dask cluster instead of local processes (``pressroom build --scheduler``).

Publishers re-render archives of thousands of profiles: a cluster spreads the pieces
over many machines. Each task is the same one a local worker runs
(:func:`pressroom.builds.pool.run_task`); its PDF comes back to this process, which
writes every output, the cache and the report, so outputs, report and failure
isolation match a local build. Workers must see the workspace at the same path
(a shared or identical checkout) and have pressroom installed.

Dask is an optional extra: ``pip install 'pressroom[distributed]'``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from .builds.pool import Failure, Task, TaskPool, run_task
from .config import Limits
from .diagnostics import PressroomError


class DaskPool(TaskPool):
    """Tasks as Dask futures; one that fails or outlives the time limit fails alone."""

    def __init__(self, address: str, root: str, limits: Limits, timeout: float = 10) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise PressroomError(
                "--scheduler needs Dask: pip install 'pressroom[distributed]'"
            ) from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise PressroomError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        self.root = root
        self.limits = limits
        self.futures: dict = {}  # future -> (task, started)
        self.waiting: list[Task] = []  # tasks whose page numbers are not settled yet

    def submit(self, task: Task) -> None:
        self.waiting.append(task)
        self._send()

    def _send(self) -> None:
        for task in [t for t in self.waiting if t.ready()]:  # the rest waits for a result
            self.waiting.remove(task)
            future = self.client.submit(run_task, self.root, task, pure=False, priority=-task.rank)
            self.futures[future] = (task, time.monotonic())

    @property
    def busy(self) -> bool:
        return bool(self.futures or self.waiting)

    def completed(self) -> Iterable[tuple[Task, object]]:
        self._send()
        deadline = time.monotonic() + 0.25
        while time.monotonic() < deadline and not any(f.done() for f in self.futures):
            time.sleep(0.02)
        for future, (task, started) in list(self.futures.items()):
            result = None
            if future.done():
                try:
                    result = future.result()
                except Exception as error:  # a worker died, or the task raised
                    result = Failure([f"the task failed on the cluster: {error!r}"])
            elif time.monotonic() - started > self.limits.render_seconds:
                future.cancel()
                result = Failure(
                    [
                        f"stopped after {self.limits.render_seconds:g} s, the time limit for "
                        "one render (limits.render_seconds)"
                    ]
                )
            if result is not None:
                del self.futures[future]
                yield task, result

    def close(self) -> None:
        for future in self.futures:
            future.cancel()
        self.futures.clear()
        self.client.close()
