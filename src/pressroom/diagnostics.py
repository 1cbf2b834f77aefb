"""Problems found in a user's files, and the exceptions that carry them.

Every user mistake becomes a :class:`Diagnostic` that names the file, the line
and the field, so a whole batch of problems can be reported at once, the way a
compiler does, instead of stopping at the first one with a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .paths import is_within

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one file: ``path:line: field: message``."""

    path: Path | None
    line: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self, relative_to: Path | None = None) -> str:
        """Render as ``content/profiles/x.md:12: facts[2].value: required``."""
        parts = []
        if self.path is not None:
            location = display_path(self.path, relative_to)
            if self.line is not None:
                location += f":{self.line}"
            parts.append(location)
        if self.field:
            parts.append(self.field)
        message = self.message if self.is_error else f"warning: {self.message}"
        parts.append(message)
        return ": ".join(parts)


class Message(str):
    """One line of a build's report: the text as printed, with how serious it is and
    where it comes from. Code decides by ``severity`` and ``origin``, never by the words.

    It is a ``str`` so that everything that shows or searches messages reads them as
    text; the two fields travel with it (through pickling to and from workers too).
    """

    severity: Severity
    # "plan" (found before rendering), "see-files" (stands for the files' diagnostics,
    # reported with them), "render", "preflight", "validation" or "build".
    origin: str

    def __new__(cls, text: str, severity: Severity = "error", origin: str = "build") -> Message:
        message = super().__new__(cls, text)
        message.severity, message.origin = severity, origin
        return message

    def __reduce__(self):
        return Message, (str(self), self.severity, self.origin)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "origin": self.origin, "text": str(self)}


def warning(text: str, origin: str = "render") -> Message:
    """A warning as reports print it (``warning: ...``)."""
    return Message(f"warning: {text}", "warning", origin)


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """A path as the user would type it: relative to the workspace or cwd when possible."""
    base = relative_to or Path.cwd()
    try:
        return Path(os.path.relpath(path, base)).as_posix() if is_within(path, base) else str(path)
    except ValueError:  # different drives on Windows
        return str(path)


class PressroomError(Exception):
    """Base class for every error pressroom reports to a user (never a traceback)."""


class ContentError(PressroomError):
    """A content or configuration file has problems; ``diagnostics`` lists them all."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class LayoutError(PressroomError):
    """A layout is missing, malformed, or one of its templates failed."""


class RenderError(PressroomError):
    """WeasyPrint could not produce the PDF (a resource was refused, the engine failed...)."""
