"""Writing outputs so that a failure never leaves a truncated or half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
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


def write_if_changed(path: Path, data: bytes) -> bool:
    """:func:`write_atomic`, unless ``path`` already holds exactly ``data`` (then the file,
    and its time, are left alone). An edit to one profile of a large edition leaves most
    of its offprints as they were: comparing them costs a read from the page cache,
    writing them a flush to disk each. Returns whether it wrote."""
    path = Path(path)
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    write_atomic(path, data)
    return True
