"""The Jinja environment a layout's templates run in: the sandbox, a loader confined
to the layouts, pressroom's filters, and template errors named by file and line.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .. import context
from ..diagnostics import LayoutError, display_path
from ..markup import render_inline
from ..resources import ResourceRefused, confine
from .languages import format_any_date, localise_digits
from .lookup import LAYOUT_FILE, LAYOUT_FILE_BYTES, Layout, builtin_layouts_dir

_ENVIRONMENTS: dict[tuple, SandboxedEnvironment] = {}


def make_environment(layout: Layout) -> SandboxedEnvironment:
    """The layout's Jinja environment, kept for the life of the process.

    A worker renders many documents with the same layout: keeping the environment
    keeps its compiled templates (Jinja reloads a template whose file changed). It is
    made anew when a ``layout.yaml`` of the chain changes (labels come from there).
    """
    key = tuple((str(folder), _modified(folder / LAYOUT_FILE)) for folder in layout.template_dirs)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _new_environment(layout)
    return _ENVIRONMENTS[key]


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader under the one rule for files: a template (and anything it
    includes or extends) is a regular file inside the layouts, symlinks followed."""

    def __init__(self, searchpath: list[Path], roots: list[Path]) -> None:
        super().__init__([str(p) for p in searchpath])
        self.roots = roots

    def get_source(self, environment, template: str):
        from jinja2.loaders import split_template_path

        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = Path(folder, *pieces)
            if candidate.exists() or candidate.is_symlink():
                try:
                    confine(candidate, self.roots, LAYOUT_FILE_BYTES, template)
                except ResourceRefused as refused:
                    raise jinja2.TemplateError(f"template {refused}") from None
                break
        return super().get_source(environment, template)


class LayoutEnvironment(SandboxedEnvironment):
    """The sandbox, telling a layout author which attribute a context object lacks and
    which one was meant (``pressroom.context``), where Jinja would say "'dict object'
    has no attribute". ``is defined`` tests still work: the answer is an Undefined."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._explained(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._explained(obj, argument, super().getitem(obj, argument))

    def _explained(self, obj: Any, name: Any, value: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            hint = context.describe_unknown(obj, name)
            if hint is not None:
                return self.undefined(hint=hint, obj=obj, name=name)
        return value


def _new_environment(layout: Layout) -> SandboxedEnvironment:
    roots = [builtin_layouts_dir(), *{folder.parent for folder in layout.template_dirs}]
    # "builtin/<layout>/<template>" names a built-in template explicitly, so a
    # workspace template can extend the built-in one it replaces.
    builtin = jinja2.PrefixLoader({"builtin": ConfinedLoader([builtin_layouts_dir()], roots)})
    # The sandbox: layouts come from many hands, and a template must not reach
    # Python internals (``''.__class__.__mro__``...) or call unsafe methods.
    env = LayoutEnvironment(
        loader=jinja2.ChoiceLoader([ConfinedLoader(layout.template_dirs, roots), builtin]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["format_date"] = format_any_date
    env.filters["inline"] = lambda text: Markup(render_inline(str(text)))
    env.filters["tie"] = tie_last_words
    env.globals["label"] = layout.label
    return env


def tie_last_words(text: str | None, link: bool = False) -> Markup:
    """Keep the last two words on one line (``<span class="tie">``, set ``nowrap`` by
    the layout), so a display line never ends with one word alone on it. The text
    itself is unchanged, for copying, searching and bookmarks.

    Inside a link (``link=True``) the text is left as it is: WeasyPrint gives every
    element inside a link an annotation of its own, and a screen reader would announce
    the link twice (PDF/UA 7.18.5). A no-break space is no way out either: veraPDF 1.28
    reports EB Garamond's no-break space glyph as .notdef."""
    words = str(text or "").split()
    if link or len(words) < 3 or len(words[-1]) > 12:
        return Markup.escape(" ".join(words))
    head = Markup.escape(" ".join(words[:-2]))
    tail = Markup.escape(" ".join(words[-2:]))
    return Markup(f'{head} <span class="tie">{tail}</span>')


def run_template(layout: Layout, name: str, context: dict[str, Any]) -> str:
    env = make_environment(layout)
    try:
        text = env.get_template(name).render(context)
    except jinja2.TemplateError as error:
        raise LayoutError(describe_template_error(error, layout)) from None
    except LayoutError:
        raise
    except RecursionError as error:  # a macro that calls itself
        raise LayoutError(describe_template_error(error, layout, "recursion too deep")) from None
    except Exception as error:  # 1/0, [].pop(), range(10**9)...: the layout's fault, said so
        message = f"{type(error).__name__}: {error}"
        raise LayoutError(describe_template_error(error, layout, message)) from None
    if context.get("vars", {}).get("digits") == "arabic-indic":
        text = localise_digits(text)
    return text


def describe_template_error(
    error: BaseException | None, layout: Layout, message: str | None = None
) -> str:
    location = ""
    filename = getattr(error, "filename", None)
    lineno = getattr(error, "lineno", None)
    if filename is None and error is not None:
        # Runtime errors (undefined variables...) carry their location in the traceback.
        import traceback

        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith(".j2") or frame.filename.endswith(".html"):
                filename, lineno = frame.filename, frame.lineno
                break
    if filename:
        location = display_path(Path(filename)) + (f":{lineno}" if lineno else "") + ": "
    if message is None:
        message = html.unescape(str(getattr(error, "message", None) or error))
    if isinstance(error, SecurityError):
        message = f"refused by the template sandbox: {message}"
    return f"{location}layout '{layout.name}': {message}"
