"""Writing outputs so that a failure never leaves a truncated or half-written file."""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once, or not at all.

    The bytes go to a temporary file in the same folder, are flushed to disk, then
    renamed over the target: readers see the old file or the new one, never a mix,
    and an error or Ctrl-C leaves the previous good file in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_if_changed(path: Path, data: bytes | Path, move: bool = False) -> bool:
    """:func:`write_atomic`, unless ``path`` already holds exactly ``data`` (then the file,
    and its time, are left alone). An edit to one profile of a large edition leaves most
    of its offprints as they were: comparing them costs a read from the page cache,
    writing them a flush to disk each. Returns whether it wrote.

    ``data`` may be a file: its contents are copied, never read whole into memory; with
    ``move``, a file written for this purpose (see :func:`scratch_file`) is renamed
    into place (or removed, when ``path`` already holds the same)."""
    path = Path(path)
    if isinstance(data, Path):
        return _install_file(path, data, move)
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    write_atomic(path, data)
    return True


@contextlib.contextmanager
def scratch_file(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write it by other means (pikepdf saving an
    edition), removed on the way out unless it was moved into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _install_file(path: Path, source: Path, move: bool) -> bool:
    with contextlib.suppress(OSError):
        if path.stat().st_size == source.stat().st_size and filecmp.cmp(path, source, False):
            return False
    if not move:
        with scratch_file(path) as temporary:
            shutil.copyfile(source, temporary)
            return _install_file(path, temporary, move=True)
    with open(source, "rb") as stream:
        os.fsync(stream.fileno())
    os.chmod(source, 0o644)
    os.replace(source, path)
    return True
