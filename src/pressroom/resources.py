"""Where documents may read files from: one rule for checks and for the renderer.

Content may only use files inside its workspace (or the built-in layouts and
fonts). Network URLs, absolute paths elsewhere and symlinks that lead out are
refused, with a message that says why.
"""

from __future__ import annotations

import functools
import stat
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
# What Pillow must find in the file, whatever its name says.
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class ResourceRefused(Exception):
    """A reference points somewhere content may not read."""


def resolve_local(
    reference: str, base_dir: Path, roots: Sequence[Path], max_bytes: int | None = None
) -> Path:
    """Resolve a relative path or ``file:`` URL to a regular file inside one of ``roots``.

    Symlinks are followed and the target checked again; FIFOs, devices and folders are
    refused (reading a FIFO could hang a build), and so are files over ``max_bytes``.
    """
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
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError) as error:  # a symlink loop, a name too long...
        raise ResourceRefused(f"cannot resolve '{reference}' ({error})") from None
    if not any(_within(resolved, root) for root in roots):
        raise ResourceRefused(f"'{reference}' is outside the workspace")
    if not resolved.exists():
        raise ResourceRefused(f"file not found: '{reference}'")
    if not stat.S_ISREG(resolved.stat().st_mode):
        raise ResourceRefused(f"'{reference}' is not a regular file")
    if max_bytes is not None and resolved.stat().st_size > max_bytes:
        raise ResourceRefused(
            f"'{reference}' is {resolved.stat().st_size:,} bytes, over the limit of "
            f"{max_bytes:,} (limits.resource_bytes)"
        )
    return resolved


def image_problem(path: Path, max_pixels: int = 60_000_000) -> str | None:
    """Why ``path`` is not a usable image, or None when it is.

    The file is decoded completely: a truncated or corrupt image is refused here,
    even though WeasyPrint, once imported, tells Pillow to accept truncated images.
    The answer is kept while the file is unchanged: the same image is checked when
    its profile loads and again when the renderer fetches it.
    """
    try:
        info = path.stat()
    except OSError:
        info = None
    if info is None:
        return _image_problem(path, max_pixels)
    return _cached_image_problem(path, max_pixels, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=1024)
def _cached_image_problem(path: Path, max_pixels: int, modified: int, size: int) -> str | None:
    return _image_problem(path, max_pixels)


def _image_problem(path: Path, max_pixels: int) -> str | None:
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return f"'{path.name}' is not a supported image type (use {', '.join(IMAGE_SUFFIXES)})"
    try:
        if suffix == ".svg":
            return _svg_problem(path)
        return _raster_problem(path, max_pixels)
    except PermissionError:
        return f"cannot read '{path.name}': permission denied"
    except Exception as error:
        return f"'{path.name}' is not a readable image ({error})"


def _raster_problem(path: Path, max_pixels: int) -> str | None:
    from PIL import Image, ImageFile

    try:
        opened = Image.open(path)
    except Image.DecompressionBombError:
        return f"'{path.name}' has far too many pixels (limits.image_pixels)"
    with opened as image:
        if image.format not in RASTER_FORMATS:
            return f"'{path.name}' is a {image.format} image; use PNG, JPEG, GIF or WebP"
        width, height = image.size
        if width * height > max_pixels:
            return (
                f"'{path.name}' has {width * height:,} pixels ({width} x {height}), over the "
                f"limit of {max_pixels:,} (limits.image_pixels)"
            )
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous
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
