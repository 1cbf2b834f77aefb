"""Where documents may read files from: one rule for checks and for the renderer.

Content may only use files inside its workspace (or the built-in layouts and
fonts). Network URLs, absolute paths elsewhere and symlinks that lead out are
refused, with a message that says why.
"""

from __future__ import annotations

import functools
import io
import stat
import warnings
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .paths import is_within

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
# What Pillow must find in the file, whatever its name says.
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class ResourceRefused(Exception):
    """A reference points somewhere content may not read."""


class Roots(list):
    """Folders content may read from, and how a refusal names them: "the workspace", or,
    for a profile rendered on its own, its folder."""

    def __init__(self, folders: Sequence[Path], area: str = "the workspace") -> None:
        super().__init__(folders)
        self.area = area


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
    return confine(path, roots, max_bytes, reference)


def confine(
    path: Path,
    roots: Sequence[Path],
    max_bytes: int | None = None,
    name: str | None = None,
    limit_name: str = "limits.resource_bytes",
) -> Path:
    """The one rule for every file pressroom opens: ``path`` resolved (symlinks followed),
    inside one of ``roots``, a regular file (never a FIFO or a device: reading one could
    hang a build or never end), at most ``max_bytes``. Raise :class:`ResourceRefused`.

    Messages name the file as ``name`` ('...' is outside the workspace); with ``name=""``
    they leave it to the caller, who names the file already (``file: outside the...``).
    """
    subject = f"'{name}' is " if name else ""  # "'x.css' is outside..." or "outside..."
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError) as error:  # a symlink loop, a name too long...
        raise ResourceRefused(f"cannot resolve '{name or path.name}' ({error})") from None
    if not any(is_within(resolved, root) for root in roots):
        raise ResourceRefused(f"{subject}outside {getattr(roots, 'area', 'the workspace')}")
    try:
        info = resolved.stat()
    except FileNotFoundError:
        raise ResourceRefused(f"file not found: '{name}'" if name else "file not found") from None
    except OSError as error:
        raise ResourceRefused(f"cannot read {name or 'it'}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ResourceRefused(f"{subject}not a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise ResourceRefused(
            f"{subject}{info.st_size:,} bytes, over the limit of {max_bytes:,} ({limit_name})"
        )
    return resolved


def read_confined(
    path: Path,
    roots: Sequence[Path],
    max_bytes: int,
    name: str | None = None,
    limit_name: str = "limits.source_bytes",
) -> bytes:
    """The bytes of a file that passes :func:`confine`, never more than ``max_bytes``
    (a file that grows between the check and the read is refused too)."""
    resolved = confine(path, roots, max_bytes, name, limit_name)
    try:
        with open(resolved, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise ResourceRefused(f"cannot read ({error.strerror})") from None
    if len(data) > max_bytes:
        raise ResourceRefused(f"over the limit of {max_bytes:,} bytes ({limit_name})")
    return data


def read_source(
    path: Path, roots: Sequence[Path], max_bytes: int, limit_name: str = "limits.source_bytes"
) -> str:
    """A source file's text (profile, edition, config, layout, ledger), read by the one
    rule of :func:`read_confined`; raise :class:`ContentError` naming the file (and, for
    text that is not UTF-8, the line)."""
    from .diagnostics import ContentError, Diagnostic

    try:
        data = read_confined(path, roots, max_bytes, "", limit_name)
    except ResourceRefused as refused:
        raise ContentError([Diagnostic(path, None, None, str(refused))]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte {error.start}); save it as UTF-8"
        raise ContentError([Diagnostic(path, line, None, message)]) from None


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
    try:
        data = path.read_bytes()
    except PermissionError:
        return f"cannot read '{path.name}': permission denied"
    except OSError as error:
        return f"cannot read '{path.name}': {error.strerror}"
    if path.suffix.lower() not in IMAGE_SUFFIXES and sniff_image(data) is None:
        return f"'{path.name}' is not a supported image type (use {', '.join(IMAGE_SUFFIXES)})"
    return image_data_problem(data, path.name, max_pixels)


def sniff_image(data: bytes) -> str | None:
    """``"svg"`` or ``"raster"`` when ``data`` is a picture, whatever its name says;
    None for anything else (a stylesheet, a font)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096]):
        return "svg"
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bomb warnings: the pixel limit decides
            Image.open(io.BytesIO(data)).close()
    except Exception:
        return None
    return "raster"


def image_data_problem(data: bytes, name: str, max_pixels: int = 60_000_000) -> str | None:
    """Why these bytes are not a usable picture (named ``name`` in the answer), or None.
    The same checks for a file, a ``data:`` URL and a picture a stylesheet or an SVG
    names: by content, never by name."""
    try:
        if sniff_image(data) == "svg" or name.lower().endswith(".svg"):
            return _svg_problem(data, name)
        return _raster_problem(data, name, max_pixels)
    except Exception as error:
        return f"'{name}' is not a readable image ({error})"


def _raster_problem(data: bytes, name: str, max_pixels: int) -> str | None:
    from PIL import Image, ImageFile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's bomb warning: the pixel limit below decides
        try:
            opened = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            return f"'{name}' has far too many pixels (limits.image_pixels)"
        with opened as image:
            if image.format not in RASTER_FORMATS:
                return f"'{name}' is a {image.format} image; use PNG, JPEG, GIF or WebP"
            width, height = image.size
            if width * height > max_pixels:
                return (
                    f"'{name}' has {width * height:,} pixels ({width} x {height}), over the "
                    f"limit of {max_pixels:,} (limits.image_pixels)"
                )
            previous = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = previous
    return None


def _svg_problem(data: bytes, name: str) -> str | None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(data)
    if not root.tag.endswith("svg"):
        return f"'{name}' is not an SVG image"
    return None
