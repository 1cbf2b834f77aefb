"""Is a build up to date? Answered from file times and sizes, before anything heavy loads.

A no-op ``pressroom build`` should cost little more than starting Python: this module
uses the standard library and PyYAML only (no pydantic, Jinja, Markdown or WeasyPrint).
A build that succeeds records a stamp of everything it read: every file of the
workspace outside its output folder and dot-folders (content, layouts, assets,
configuration), the built-in layouts and fonts, the versions, ``SOURCE_DATE_EPOCH``
and the command's options, plus the time and size of every output it wrote. When the
next build finds the same stamp and the same outputs, nothing can have changed, so it
reports the previous outcomes as up to date. Anything else takes the full path, which
checks every input by content (see :func:`pressroom.builds.keys.fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from . import __version__

CONFIG_FILE = "pressroom.yaml"
STAMP_FILE = ".pressroom-stamp.json"


def builtin_root() -> Path:
    """The folder holding the built-in ``layouts/`` and ``assets/fonts/``.

    An installed wheel carries them in ``pressroom/data``; a source checkout (or an
    editable install) uses the repository's top-level folders directly.
    """
    package_data = Path(__file__).resolve().parent / "data"
    if (package_data / "layouts").is_dir():
        return package_data
    return Path(__file__).resolve().parents[2]


def find_root(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def output_folder(root: Path) -> Path | None:
    """``output_dir`` from pressroom.yaml (None if the file does not read cleanly)."""
    import yaml

    try:
        data = yaml.safe_load((root / CONFIG_FILE).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    value = data.get("output_dir", "build") if isinstance(data, dict) else None
    return root / value if isinstance(value, str) else None


def input_stamp(root: Path, output: Path, options: list) -> str:
    """A hash of the name, time and size of every input file, and of the options."""
    digest = hashlib.sha256()
    try:
        weasyprint = metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        weasyprint = "unknown"
    head = [__version__, weasyprint, os.environ.get("SOURCE_DATE_EPOCH", ""), options]
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    builtin = builtin_root()
    folders = [root, builtin / "layouts", builtin / "assets" / "fonts"]
    skip = {output.resolve()}
    for folder in folders:
        for path, info in _walk(folder, skip):
            digest.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    return digest.hexdigest()


# Folders no build reads from. Dot files and dot folders are inputs like any other
# (a profile may be `.draft.md`, its art in `.art/`): only these are left out.
NEVER_INPUTS = {
    ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".mypy_cache", ".tox", ".nox",
}  # fmt: skip


def _walk(folder: Path, skip: set[Path]):
    stack = [folder]
    found = []
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name in NEVER_INPUTS:
                continue
            try:
                if entry.is_dir():
                    if Path(entry.path).resolve() not in skip:
                        stack.append(Path(entry.path))
                elif entry.is_file():
                    found.append((entry.path, entry.stat()))
            except OSError:
                continue
    return sorted(found, key=lambda item: item[0])


def _output_state(paths: list[str]) -> list | None:
    state = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            return None
        state.append([path, info.st_mtime_ns, info.st_size])
    return state


def up_to_date(output: Path, stamp: str) -> dict | None:
    """The recorded report of the last build, if it had this stamp and its outputs are
    untouched; else None."""
    try:
        recorded = json.loads((output / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # A stamp of another shape (damaged, edited by hand) means "build", never a traceback.
    if not isinstance(recorded, dict) or recorded.get("stamp") != stamp:
        return None
    outputs, report = recorded.get("outputs"), recorded.get("report")
    if not isinstance(outputs, list) or not isinstance(report, dict):
        return None
    if not all(isinstance(o, list) and o and isinstance(o[0], str) for o in outputs):
        return None
    if not isinstance(report.get("items"), list) or not all(
        isinstance(item, dict) for item in report["items"]
    ):
        return None
    if _output_state([path for path, *_ in outputs]) != outputs:
        return None
    return report


def record(output: Path, stamp: str, outputs: list[str], report: dict) -> None:
    """Remember a successful build (its stamp, taken before it started, and its outputs)."""
    from .output import write_atomic

    state = _output_state(outputs)
    if state is None:
        return
    data = {"stamp": stamp, "outputs": state, "report": report}
    write_atomic(output / STAMP_FILE, json.dumps(data).encode("utf-8"))


def forget(output: Path) -> None:
    (output / STAMP_FILE).unlink(missing_ok=True)


def build_options(targets, formats, layout, strict: bool, remote: bool, validate: bool) -> list:
    """What of a build's request goes into its stamp (the same from the CLI and the API)."""
    return [sorted(targets), sorted(formats), layout, bool(strict), bool(remote), bool(validate)]


def settle(output: Path, stamp: str | None, ok: bool, written: list[str], report: Path) -> None:
    """After a build: remember it when it succeeded, so that the next one with the same
    stamp is a no-op; forget any older stamp when it did not."""
    if stamp is None:
        return
    if not ok:
        forget(output)
        return
    try:
        recorded = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    record(output, stamp, written, recorded)
