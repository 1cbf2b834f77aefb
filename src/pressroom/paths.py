"""The one test of whether a path lies in a folder, used by every check that confines."""

from __future__ import annotations

from pathlib import Path


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it, both resolved (symlinks followed,
    ``..`` removed), so a link or a ``../`` cannot lead a path out unnoticed."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a symlink loop, a name too long: not provably inside
        return False
