"""Batch builds: every edition and profile, in every format, in parallel, incrementally.

A build is planned as a list of jobs (one profile or one edition in one format),
run in a pool of worker processes, each failing alone. Outputs are written
atomically. A job whose inputs have not changed since its outputs were written is
skipped (``force`` rebuilds anyway); what counts as an input is listed in
:func:`~pressroom.builds.keys.fingerprint`.

One module per job, imports flowing down this list:

- ``runner``: run a plan, keep the manifest, validate; ``build_workspace`` = ``pressroom build``
- ``schedule``: feed a pool with profile jobs and edition pieces, round by round
- ``planning``: check every input, then list the jobs
- ``pool``: where tasks run (``LocalPool``; ``pressroom.distributed`` imports only this)
- ``records``: the manifest and ``report.json``
- ``cache``: rendered edition pieces, by input key
- ``keys``: input keys (a job's fingerprint, a piece's key)
- ``jobs``: what a job and its outcome are; running a profile job; writing outputs
"""

from .jobs import Job, Outcome, Output
from .keys import fingerprint, piece_keys
from .planning import Plan, UnknownTarget, plan_build
from .pool import Failure, LocalPool, Task, TaskPool, run_task
from .records import write_report
from .runner import build_workspace, run_build, validate_outputs

__all__ = [
    "Failure",
    "Job",
    "LocalPool",
    "Outcome",
    "Output",
    "Plan",
    "Task",
    "TaskPool",
    "UnknownTarget",
    "build_workspace",
    "fingerprint",
    "piece_keys",
    "plan_build",
    "run_build",
    "run_task",
    "validate_outputs",
    "write_report",
]
