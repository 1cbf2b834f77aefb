"""pressroom: profile articles in Markdown, published as magazine-style PDFs.

The public API::

    from pressroom import load_profile, render_pdf, render_to_file

    profile = load_profile("content/profiles/al-kadhimi.md")
    pdf_bytes = render_pdf(profile)
    render_to_file(profile, "build/al-kadhimi.pdf")
"""

__version__ = "0.1.0"

from .api import (
    check_workspace,
    load_profile,
    render_edition,
    render_pdf,
    render_to_file,
)
from .builds import build_workspace
from .config import Workspace, find_workspace
from .diagnostics import (
    ContentError,
    Diagnostic,
    LayoutError,
    PressroomError,
    RenderError,
)
from .editions import load_edition

__all__ = [
    "ContentError",
    "Diagnostic",
    "LayoutError",
    "PressroomError",
    "RenderError",
    "Workspace",
    "__version__",
    "build_workspace",
    "check_workspace",
    "find_workspace",
    "load_edition",
    "load_profile",
    "render_edition",
    "render_pdf",
    "render_to_file",
]
