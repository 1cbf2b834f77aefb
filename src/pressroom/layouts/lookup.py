"""Finding layouts: a layout is a folder holding ``layout.yaml`` (name, description,
``extends``, stylesheets, variables, fitting steps), Jinja templates and CSS. Lookup is an
explicit search path: the workspace's ``layouts/<name>``, then the layouts it extends,
then the built-in layouts shipped with pressroom.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..config import Workspace, builtin_root, check_layout_name
from ..diagnostics import ContentError, LayoutError, display_path
from ..resources import ResourceRefused, confine, read_source
from ..validation import validate
from ..variables import (
    Value,
    VariableSpec,
    problems,
)
from ..yamlsource import load_yaml

LAYOUT_FILE = "layout.yaml"


LAYOUT_FILE_BYTES = 2_000_000  # a layout's templates, stylesheets and layout.yaml


PROFILE_TEMPLATE = "profile.html.j2"


EDITION_TEMPLATE = "edition.html.j2"


DEFAULT_FORMAT = "screen"


class FitStep(BaseModel):
    """One copyfitting step of ``layout.yaml``: variables to set, and its name for reports."""

    model_config = ConfigDict(extra="ignore")

    name: str
    variables: dict[str, Value]
    # A change to what is shown (pull quotes dropped), not only to how: for budgets only.
    budget_only: bool = False


class FittingSpec(BaseModel):
    """``fitting:`` in ``layout.yaml``: see :mod:`pressroom.fitting`."""

    model_config = ConfigDict(extra="ignore")

    # A last page less full than this (percent) is pulled back when the steps can; 0: never.
    short_page: int = Field(default=0, ge=0, le=100)
    steps: list[FitStep] = []


class LayoutSpec(BaseModel):
    """The contents of ``layout.yaml``."""

    model_config = ConfigDict(extra="ignore")

    name: str
    description: str = ""
    extends: str | None = None
    stylesheets: list[str] = []
    variables: dict[str, VariableSpec] = {}
    labels: dict[str, dict[str, str]] = {}  # language -> key -> text, for fixed wording
    fitting: FittingSpec | None = None  # a child's replaces its parent's


@dataclass
class Layout:
    """A resolved layout and the chain of layouts it extends."""

    name: str
    folder: Path
    spec: LayoutSpec
    parent: Layout | None = None
    builtin: bool = False

    @property
    def chain(self) -> list[Layout]:
        """This layout first, then its parents."""
        layouts: list[Layout] = []
        current: Layout | None = self
        while current is not None:
            layouts.append(current)
            current = current.parent
        return layouts

    @property
    def template_dirs(self) -> list[Path]:
        return [layout.folder for layout in self.chain]

    @property
    def stylesheets(self) -> list[Path]:
        """Parents' stylesheets first, so a child's rules win the cascade."""
        return [
            layout.folder / name
            for layout in reversed(self.chain)
            for name in layout.spec.stylesheets
        ]

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        merged: dict[str, dict[str, str]] = {}
        for layout in reversed(self.chain):
            for lang, texts in layout.spec.labels.items():
                merged.setdefault(lang, {}).update(texts)
        return merged

    def label(self, key: str, lang: str = "en") -> str:
        """A fixed wording ("At a glance") in a language, else in English."""
        labels = self.labels
        for candidate in (lang, lang.split("-")[0], "en"):
            if key in labels.get(candidate, {}):
                return labels[candidate][key]
        raise LayoutError(f"layout '{self.name}' has no label '{key}' (layout.yaml, labels)")

    @property
    def variables(self) -> dict[str, VariableSpec]:
        """Every variable of the layout and its parents (a child's declaration wins)."""
        declared: dict[str, VariableSpec] = {}
        for layout in reversed(self.chain):
            declared.update(layout.spec.variables)
        return declared

    @property
    def fitting(self) -> FittingSpec:
        """The copyfitting steps: the nearest layout's that declares any, else none."""
        return next(
            (layout.spec.fitting for layout in self.chain if layout.spec.fitting), FittingSpec()
        )


def builtin_layouts_dir() -> Path:
    return builtin_root() / "layouts"


def layout_dirs(workspace: Workspace) -> list[Path]:
    """Where layouts are looked for, in order."""
    dirs = [workspace.layouts_dir] if not workspace.is_standalone else []
    builtin = builtin_layouts_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return dirs


def available_layouts(workspace: Workspace) -> list[str]:
    names = {
        child.name
        for folder in layout_dirs(workspace)
        if folder.is_dir()
        for child in folder.iterdir()
        if (child / LAYOUT_FILE).is_file()
    }
    return sorted(names)


def find_layout(name: str, workspace: Workspace, _seen: tuple[str, ...] = ()) -> Layout:
    """Resolve a layout by name, following ``extends``; raise :class:`LayoutError`.

    A layout that extends a layout of its own name (a workspace ``layouts/magazine``
    with ``extends: magazine``) extends the next one on the search path: the built-in.
    """
    return _find(name, workspace, layout_dirs(workspace), _seen)


def _find(name: str, workspace: Workspace, dirs: list[Path], seen: tuple[str, ...]) -> Layout:
    try:
        check_layout_name(name)
    except ValueError as error:
        raise LayoutError(str(error)) from None
    if name in seen and name != seen[-1]:
        cycle = " -> ".join((*seen, name))
        raise LayoutError(f"layout '{seen[0]}' extends itself: {cycle}")
    builtin = builtin_layouts_dir().resolve()
    for index, folder in enumerate(dirs):
        candidate = folder / name
        if not (candidate / LAYOUT_FILE).is_file():
            continue
        roots = _layout_roots(workspace)
        spec = _read_spec(candidate / LAYOUT_FILE, roots)
        _check_stylesheets(candidate, spec, roots)
        parent = None
        if spec.extends == name:
            # Same name: look further down the search path only.
            parent = _find(name, workspace, dirs[index + 1 :], (*seen, name))
        elif spec.extends:
            parent = _find(spec.extends, workspace, layout_dirs(workspace), (*seen, name))
        layout = Layout(name, candidate, spec, parent, candidate.resolve().parent == builtin)
        _check_fitting(layout, candidate / LAYOUT_FILE)
        return layout
    known = ", ".join(available_layouts(workspace)) or "none"
    raise LayoutError(f"layout '{name}' not found; available layouts: {known}")


def _check_fitting(layout: Layout, path: Path) -> None:
    """Each fitting step sets declared variables to values they accept."""
    declared = layout.variables
    for index, step in enumerate(layout.spec.fitting.steps if layout.spec.fitting else []):
        for problem in problems(declared, step.variables):
            raise LayoutError(
                f"{display_path(path)}: fitting.steps[{index}] ('{step.name}'): "
                f"variable '{problem.name}': {problem}"
            )


def _layout_roots(workspace: Workspace) -> list[Path]:
    """Where a layout's files may be: the workspace's own layouts, and the built-in ones."""
    roots = [builtin_layouts_dir()]
    if not workspace.is_standalone:
        roots.append(workspace.layouts_dir)
    return roots


def _read_spec(path: Path, roots: list[Path]) -> LayoutSpec:
    data, lines = load_yaml(read_source(path, roots, LAYOUT_FILE_BYTES), path)
    spec, diagnostics = validate(LayoutSpec, data, path, lines)
    if spec is None or any(d.is_error for d in diagnostics):
        raise ContentError(diagnostics)
    return spec


def _check_stylesheets(folder: Path, spec: LayoutSpec, roots: list[Path]) -> None:
    """Each stylesheet a layout names is a file of the layouts (no absolute path, no
    ``../`` out of them, no symlink elsewhere): WeasyPrint opens it directly."""
    for index, name in enumerate(spec.stylesheets):
        try:
            confine(folder / name, roots, LAYOUT_FILE_BYTES, name)
        except ResourceRefused as refused:
            raise LayoutError(
                f"{display_path(folder / LAYOUT_FILE)}: stylesheets[{index}]: {refused}"
            ) from None
