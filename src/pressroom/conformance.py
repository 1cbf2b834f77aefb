"""Independent validation of outputs: veraPDF checks each PDF against the standard its
format claims (``pdf_variant``): PDF/UA-1 for ``screen``, PDF/A-3b for ``archive``.

veraPDF (the PDF Association's reference validator, a Java program) is found through
the ``VERAPDF`` environment variable, then ``verapdf`` on ``PATH``. Not through
``pressroom.yaml``: a workspace file that names a program to run would let anyone who
hands over a workspace run code on the desk that builds it. PDF/X (``print``) is not
covered by veraPDF; pressroom's preflight checks what it can of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# pdf_variant -> (veraPDF's flavour, the standard's name)
FLAVOURS = {
    "pdf/ua-1": ("ua1", "PDF/UA-1"),
    "pdf/a-1b": ("1b", "PDF/A-1b"),
    "pdf/a-2b": ("2b", "PDF/A-2b"),
    "pdf/a-3b": ("3b", "PDF/A-3b"),
    "pdf/a-2u": ("2u", "PDF/A-2u"),
    "pdf/a-3u": ("3u", "PDF/A-3u"),
}
HOW_TO_GET_IT = (
    "veraPDF was not found, so nothing was validated: install veraPDF (https://verapdf.org, "
    "it needs Java 11+) and put `verapdf` on PATH, or name it with VERAPDF=/path/to/verapdf"
)
FILES_PER_RUN = 40  # one Java start checks many files; a bounded command line


@dataclass
class Verdict:
    """veraPDF's answer for one file."""

    path: Path
    standard: str
    passed: bool
    failures: list[str] = field(default_factory=list)  # "clause-test (n x): description [object]"


class ValidatorError(Exception):
    """veraPDF is there but could not run, or said something we cannot read."""


def find_verapdf() -> list[str] | None:
    """The command that runs veraPDF here, or None."""
    for candidate in (os.environ.get("VERAPDF"), shutil.which("verapdf")):
        if candidate and Path(candidate).is_file():
            return [candidate] if os.access(candidate, os.X_OK) else ["sh", candidate]
    return None


def standard_of(pdf_variant: str | None) -> tuple[str, str] | None:
    """(flavour, name) for a format's variant, or None when veraPDF does not cover it."""
    return FLAVOURS.get((pdf_variant or "").lower())


def validate(files: Iterable[tuple[Path, str]], command: list[str]) -> list[Verdict]:
    """Check each ``(path, pdf_variant)`` against its standard; one verdict per file."""
    by_flavour: dict[tuple[str, str], list[Path]] = {}
    for path, variant in files:
        standard = standard_of(variant)
        if standard is not None:
            by_flavour.setdefault(standard, []).append(path)
    verdicts = []
    for (flavour, name), paths in by_flavour.items():
        for start in range(0, len(paths), FILES_PER_RUN):
            verdicts += _run(command, flavour, name, paths[start : start + FILES_PER_RUN])
    return verdicts


def _run(command: list[str], flavour: str, name: str, paths: list[Path]) -> list[Verdict]:
    try:
        done = subprocess.run(
            [*command, "--flavour", flavour, "--format", "json", *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=60 + 20 * len(paths),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ValidatorError(f"veraPDF did not run: {error}") from None
    if done.returncode not in (0, 1):  # 0: all compliant, 1: some not; else it failed
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ValidatorError(
            f"veraPDF could not run (exit {done.returncode}): {reason[-1] if reason else ''}"
        )
    try:
        jobs = json.loads(done.stdout)["report"]["jobs"]
    except (ValueError, KeyError, TypeError):
        raise ValidatorError("veraPDF's report could not be read") from None
    found: dict[Path, tuple[bool, list[str]]] = {}  # by resolved path: veraPDF's own naming
    for job in jobs:
        results = job.get("validationResult") or []
        for result in results if isinstance(results, list) else [results]:
            failures = [
                f"{rule['clause']}-{rule['testNumber']} ({rule['failedChecks']} x): "
                f"{rule['description']} [{_first_object(rule)}]"
                for rule in result.get("details", {}).get("ruleSummaries", [])
            ]
            found[Path(job["itemDetails"]["name"]).resolve()] = (
                bool(result.get("compliant")),
                failures,
            )
    unread = (False, ["veraPDF could not read the file"])  # not a PDF it could parse
    return [Verdict(p, name, *found.get(p.resolve(), unread)) for p in paths]


def _first_object(rule: dict) -> str:
    checks = rule.get("checks") or [{}]
    context = str(checks[0].get("context", ""))
    return context if len(context) <= 160 else "…" + context[-160:]
