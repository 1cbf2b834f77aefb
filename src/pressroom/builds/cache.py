"""The piece cache: rendered pieces of editions, by input key, in the build folder, each
checked against its digest before it is used."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from ..diagnostics import Message
from ..output import write_atomic
from ..pieces import PieceResult

CACHE = ".pressroom-cache"  # pieces of editions, by cache key


# What a piece may hold besides its PDF: its offprint, a blank page, a teaser page.
PIECE_PARTS = ("offprint", "blank", "teaser")


PIECE = ".piece.pdf-part"  # PDFs, but not outputs: globbing the build folder for *.pdf skips them
SEGMENTS = "segments"  # per edition and format: its pieces numbered for their places


class PieceCache:
    """Rendered pieces of editions, by cache key, in the build folder."""

    def __init__(self, folder: Path, read: bool = True) -> None:
        self.folder = folder
        self.read = read  # False (--force): every piece is laid out again, and stored
        self.enabled = True
        self.problem: str | None = None  # why the cache was given up, if it was

    def load(self, key: str) -> PieceResult | None:
        """The piece stored under ``key``, its PDFs as the cache's files, or None: a piece
        whose description is not the shape written, names another key, or whose PDF is
        not the one stored (files swapped, truncated, edited) is not used, and is
        rendered again."""
        if not (self.read and self.enabled):
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            path = self.folder / f"{key}{PIECE}"
            if not _piece_description_ok(data, key) or _file_digest(path) != data["digest"]:
                return None
            result = PieceResult(path, data["pages"])
            for name in PIECE_PARTS:
                if data[name] == "same":  # the offprint of a piece without links
                    setattr(result, name, result.pdf)
                elif data[name]:
                    part = self.folder / f"{key}-{name}{PIECE}"
                    if _file_digest(part) != data[name]:
                        return None
                    setattr(result, name, part)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        result.warnings = data["warnings"]
        result.findings = [tuple(f) for f in data["findings"]]
        result.notes = [Message(text, severity, "preflight") for severity, text in data["notes"]]
        result.anchors = data["anchors"]
        result.copyfit = data.get("copyfit") if isinstance(data.get("copyfit"), dict) else {}
        return result

    def store(self, key: str, result: PieceResult) -> None:
        """Keep a piece; from then on its PDFs are the cache's files, not bytes held in
        memory (an edition of hundreds of profiles is assembled from files). A cache that
        cannot be written (a full disk, the folder replaced by a file) is given up for
        this build, which goes on without it, holding its pieces in memory."""
        if not self.enabled or not isinstance(result.pdf, bytes):
            return
        try:
            files = {"pdf": self.folder / f"{key}{PIECE}"}
            write_atomic(files["pdf"], result.pdf)
            stored = {}
            for name in PIECE_PARTS:
                data = getattr(result, name)
                stored[name] = "same" if data == result.pdf else _digest(data) if data else ""
                if data and data != result.pdf:
                    files[name] = self.folder / f"{key}-{name}{PIECE}"
                    write_atomic(files[name], data)
                elif data:
                    files[name] = files["pdf"]
            info = {
                "key": key,
                "digest": _digest(result.pdf),
                "pages": result.pages,
                **stored,
                "warnings": result.warnings,
                "findings": result.findings,
                "notes": [[note.severity, str(note)] for note in result.notes],
                "anchors": result.anchors,
                "copyfit": result.copyfit,
            }
            # The description goes last: a piece counts as cached only once it is complete.
            write_atomic(self.folder / f"{key}.json", json.dumps(info).encode())
            for name, path in files.items():
                setattr(result, name, path)
        except OSError as error:
            self.enabled = False
            self.problem = f"the piece cache is off for this build: {error.strerror or error}"

    def segments(self, job_key: str) -> Path | None:
        """Where an edition's assembly keeps its pieces' segments (see
        :mod:`pressroom.segments`) for the next one, or None without a cache."""
        if not self.enabled:
            return None
        folder = self.folder / SEGMENTS / job_key.replace(":", ".")
        if not self.read:  # --force: made again, as the pieces are
            shutil.rmtree(folder, ignore_errors=True)
        return folder

    def prune(self, keep: set[str], editions: set[str] = frozenset()) -> None:
        """Remove pieces no output depends on any more, and the segments of editions
        (by job key) no longer built."""
        if not self.folder.is_dir():
            return
        folders = self.folder / SEGMENTS
        if folders.is_dir():
            wanted = {key.replace(":", ".") for key in editions}
            for folder in folders.iterdir():
                if folder.name not in wanted:
                    shutil.rmtree(folder, ignore_errors=True)
        for path in self.folder.iterdir():
            if path.name == SEGMENTS:
                continue
            if path.name.split(".")[0].split("-")[0] not in keep:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _piece_description_ok(data: object, key: str) -> bool:
    """Whether a cached piece's description is what :meth:`PieceCache.store` writes."""
    if not isinstance(data, dict) or data.get("key") != key:
        return False
    warnings = isinstance(data.get("warnings"), list) and all(
        isinstance(x, str) for x in data["warnings"]
    )
    notes = isinstance(data.get("notes"), list) and all(
        isinstance(n, list)
        and len(n) == 2
        and n[0] in ("error", "warning")
        and isinstance(n[1], str)
        for n in data["notes"]
    )
    findings = isinstance(data.get("findings"), list) and all(
        isinstance(f, list)
        and len(f) == 3
        and (f[0] is None or isinstance(f[0], int))
        and isinstance(f[1], str)
        and isinstance(f[2], str)
        for f in data["findings"]
    )
    anchors = isinstance(data.get("anchors"), dict) and all(
        isinstance(k, str) and isinstance(v, int) for k, v in data["anchors"].items()
    )
    return (
        warnings
        and notes
        and findings
        and anchors
        and isinstance(data.get("pages"), int)
        and data["pages"] >= 0
        and isinstance(data.get("digest"), str)
        and all(isinstance(data.get(name), str) for name in PIECE_PARTS)
    )
