"""Where documents may read files from: one rule for checks and for the renderer.

Content may only use files inside its workspace (or the built-in layouts and
fonts). Network URLs, absolute paths elsewhere and symlinks that lead out are
refused, with a message that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
DATA_URL_LIMIT = 5 * 1024 * 1024  # bytes of an inline data: URL


class ResourceRefused(Exception):
    """A reference points somewhere content may not read."""


def resolve_local(reference: str, base_dir: Path, roots: Sequence[Path]) -> Path:
    """Resolve a relative path or ``file:`` URL to a regular file inside one of ``roots``."""
    parts = urlsplit(reference)
    if parts.scheme == "file":
        path = Path(url2pathname(parts.path))
    elif parts.scheme:
        raise ResourceRefused(
            f"'{reference}' is a {parts.scheme}: URL; pressroom never fetches from the network, "
            "so copy the file into the workspace and use a relative path"
        )
    else:
        path = base_dir / unquote(parts.path)
    resolved = path.resolve()
    if not any(_within(resolved, root) for root in roots):
        raise ResourceRefused(f"'{reference}' is outside the workspace")
    if not resolved.exists():
        raise ResourceRefused(f"file not found: '{reference}'")
    if not resolved.is_file():
        raise ResourceRefused(f"'{reference}' is not a regular file")
    return resolved


def image_problem(path: Path) -> str | None:
    """Why ``path`` is not a usable image, or None when it is."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return f"'{path.name}' is not a supported image type (use {', '.join(IMAGE_SUFFIXES)})"
    try:
        if suffix == ".svg":
            return _svg_problem(path)
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
    except PermissionError:
        return f"cannot read '{path.name}': permission denied"
    except Exception as error:
        return f"'{path.name}' is not a readable image ({error})"
    return None


def _svg_problem(path: Path) -> str | None:
    from xml.etree import ElementTree

    root = ElementTree.parse(path).getroot()
    if not root.tag.endswith("svg"):
        return f"'{path.name}' is not an SVG image"
    return None


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return False
    return True
