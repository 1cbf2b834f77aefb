"""pressroom: profile articles in Markdown, published as magazine-style PDFs.

The public API::

    from pressroom import load_profile, render_pdf, render_to_file

    profile = load_profile("content/profiles/al-kadhimi.md")
    pdf_bytes = render_pdf(profile)
    render_to_file(profile, "build/al-kadhimi.pdf")
"""

__version__ = "0.1.0"

# Names load on first use (PEP 562): `pressroom build` with nothing to do, or
# `pressroom --help`, must not pay for importing the whole library.
_EXPORTS = {
    "check_workspace": "api",
    "load_profile": "api",
    "render_edition": "api",
    "render_pdf": "api",
    "render_to_file": "api",
    "build_workspace": "builds",
    "Workspace": "config",
    "find_workspace": "config",
    "ContentError": "diagnostics",
    "Diagnostic": "diagnostics",
    "LayoutError": "diagnostics",
    "PressroomError": "diagnostics",
    "RenderError": "diagnostics",
    "load_edition": "editions",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pressroom' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
