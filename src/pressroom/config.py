"""Workspaces and their ``pressroom.yaml``.

A workspace is the nearest folder, from a starting folder upward, that holds
``pressroom.yaml``. Outside any workspace, a profile's own folder stands in as
the root, with built-in defaults.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .diagnostics import ContentError, Diagnostic
from .formats import FormatSettings, OutputFormat, resolve_formats
from .paths import is_within
from .resources import read_source
from .stamps import builtin_root  # noqa: F401 (where it always was)
from .validation import validate
from .yamlsource import LineMap, load_yaml

CONFIG_FILE = "pressroom.yaml"

_PAGE_SIZE_NAMES = {
    "a5", "a4", "a3", "b5", "b4", "jis-b5", "jis-b4", "letter", "legal", "ledger",
}  # fmt: skip
_LENGTH = r"\d+(\.\d+)?(mm|cm|in|pt|pc|px|q)"
_PAGE_SIZE = re.compile(
    rf"^((?P<name>[a-z0-9-]+)(\s+(portrait|landscape))?|{_LENGTH}(\s+{_LENGTH})?)$", re.I
)
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


_LAYOUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_layout_name(value: str) -> str:
    """Layout names are names (a folder under ``layouts/``), never paths."""
    if not _LAYOUT_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a layout name; use letters, digits, '-' and '_' (a folder "
            "under layouts/, never a path)"
        )
    return value


def check_lang(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag (for example en, en-GB, ar)")
    return value


class Limits(BaseModel):
    """Bounds on what one document may use; see README, "Security model and limits"."""

    model_config = ConfigDict(extra="ignore")

    resource_bytes: int = Field(50_000_000, gt=0, description="Largest file a document reads.")
    data_url_bytes: int = Field(5_000_000, gt=0, description="Largest inline data: URL.")
    image_pixels: int = Field(60_000_000, gt=0, description="Most pixels in one image.")
    source_bytes: int = Field(2_000_000, gt=0, description="Largest profile or edition file.")
    front_matter_bytes: int = Field(200_000, gt=0, description="Largest front matter.")
    yaml_nodes: int = Field(20_000, gt=0, description="Most YAML values, aliases expanded.")
    render_seconds: float = Field(180, gt=0, description="Time for one render in a build.")
    render_memory_mb: int = Field(3_000, gt=0, description="Memory for one render in a build.")


class PressroomConfig(BaseModel):
    """The settings in ``pressroom.yaml``; every field is optional."""

    model_config = ConfigDict(extra="ignore")

    publication: str = Field("Pressroom", description="Publication name, shown in running heads.")
    lang: str = Field("en", description="Default language of profiles (BCP 47).")
    layout: str = Field("magazine", description="Default layout for profiles.")
    _layout = field_validator("layout")(lambda value: check_layout_name(value))
    page_size: str = Field("A4", description="CSS page size: A4, letter, '170mm 240mm'...")
    content_dir: str = Field("content", description="Folder holding profiles/ (and editions/).")
    output_dir: str = Field("build", description="Folder where `pressroom build` writes PDFs.")
    variables: dict[str, Any] = Field(
        {}, description="Layout variables for every document (accent, columns...)."
    )
    limits: Limits = Field(default_factory=Limits, description="Resource and render limits.")
    formats: dict[str, FormatSettings] = Field(
        {}, description="Changes to the built-in formats (print, screen, archive), or new ones."
    )
    profile_formats: list[str] = Field(
        ["screen"], description="Formats for profiles built on their own."
    )
    profile_pattern: str = Field(
        "{slug}.pdf", description="Output path of a profile built on its own, under output_dir."
    )
    edition_pattern: str = Field(
        "{edition}/{format}/{slug}.pdf",
        description="Output path of an edition and its offprints, under output_dir; the "
        "edition's own PDF has the edition's slug.",
    )

    @field_validator("profile_pattern", "edition_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            probe = value.format(edition="e", format="f", slug="s")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                f"{value!r} may only use {{edition}}, {{format}} and {{slug}}"
            ) from None
        if not probe.endswith(".pdf") or ".." in Path(probe).parts or Path(probe).is_absolute():
            raise ValueError(f"{value!r} must be a relative path ending in .pdf")
        return value

    @field_validator("lang")
    @classmethod
    def _check_lang(cls, value: str) -> str:
        return check_lang(value)

    @field_validator("page_size")
    @classmethod
    def _check_page_size(cls, value: str) -> str:
        match = _PAGE_SIZE.match(value.strip())
        if not match or (match["name"] and match["name"].lower() not in _PAGE_SIZE_NAMES):
            names = ", ".join(sorted(_PAGE_SIZE_NAMES))
            hint = f"use one of {names}, or two lengths like '170mm 240mm'"
            raise ValueError(f"{value!r} is not a page size; {hint}")
        return value.strip()


@dataclass
class Workspace:
    """Where content lives and outputs go, with its configuration."""

    root: Path
    config: PressroomConfig = field(default_factory=PressroomConfig)
    config_path: Path | None = None
    warnings: list[Diagnostic] = field(default_factory=list)  # e.g. unknown keys in the config
    config_lines: LineMap = field(default_factory=LineMap)

    @property
    def is_standalone(self) -> bool:
        """True when there is no ``pressroom.yaml`` (a lone profile rendered with defaults)."""
        return self.config_path is None

    @property
    def profiles_dir(self) -> Path:
        return self.root / self.config.content_dir / "profiles"

    @property
    def output_dir(self) -> Path:
        return self.root / self.config.output_dir

    @functools.cached_property
    def formats(self) -> dict[str, OutputFormat]:
        """Built-in formats with the configuration's changes (computed once)."""
        return resolve_formats(self.config.formats)

    @property
    def editions_dir(self) -> Path:
        return self.root / self.config.content_dir / "editions"

    def edition_paths(self) -> list[Path]:
        if not self.editions_dir.is_dir():
            return []
        return sorted(p for p in self.editions_dir.glob("*.yaml") if p.is_file())

    def profile_output(self, slug: str, format_name: str) -> Path:
        return self.output_dir / self.config.profile_pattern.format(
            edition="", format=format_name, slug=slug
        )

    def edition_output(self, edition: str, slug: str, format_name: str) -> Path:
        return self.output_dir / self.config.edition_pattern.format(
            edition=edition, format=format_name, slug=slug
        )

    @property
    def layouts_dir(self) -> Path:
        return self.root / "layouts"

    def contains(self, path: Path) -> bool:
        return is_within(path, self.root)

    def profile_paths(self) -> list[Path]:
        """Every profile source in the workspace, in a stable order."""
        if not self.profiles_dir.is_dir():
            return []
        return sorted(p for p in self.profiles_dir.glob("*.md") if p.is_file())

    @classmethod
    def standalone(cls, folder: Path) -> Workspace:
        return cls(root=folder.resolve())

    @classmethod
    def load(cls, root: Path) -> Workspace:
        """Read ``root/pressroom.yaml``; raises :class:`ContentError` listing its problems."""
        config_path = root.resolve() / CONFIG_FILE
        text = read_source(config_path, [config_path.parent], Limits().source_bytes)
        data, lines = load_yaml(text, config_path)
        config, diagnostics = validate(PressroomConfig, data, config_path, lines)
        if config is not None:
            known = resolve_formats(config.formats)
            for index, name in enumerate(config.profile_formats):
                if name not in known:
                    diagnostics.append(
                        Diagnostic(
                            config_path,
                            lines.line_of(("profile_formats", index)),
                            f"profile_formats[{index}]",
                            f"unknown format '{name}'; known formats: {', '.join(sorted(known))}",
                        )
                    )
            if len(config.profile_formats) > 1 and "{format}" not in config.profile_pattern:
                diagnostics.append(
                    Diagnostic(
                        config_path,
                        lines.line_of(("profile_pattern",)),
                        "profile_pattern",
                        "must contain {format} when profiles are built in several formats",
                    )
                )
        if config is None or any(d.is_error for d in diagnostics):
            raise ContentError(diagnostics)
        return cls(config_path.parent, config, config_path, diagnostics, lines)


def find_workspace(start: Path) -> Workspace | None:
    """The workspace holding ``start`` (searching upward), or None."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / CONFIG_FILE).is_file():
            return Workspace.load(folder)
    return None


def workspace_for_file(profile: Path, cwd: Path | None = None) -> Workspace:
    """The workspace a profile belongs to.

    The workspace found from ``cwd`` if it holds the file; else the one found from the
    file's own folder; else the file's folder as a standalone root with defaults.
    """
    # The file where it is written, not where a symlink leads: the link's workspace then
    # refuses a target outside it.
    folder = profile.absolute().parent.resolve()
    for start in (cwd or Path.cwd(), folder):
        workspace = find_workspace(start)
        if workspace is not None and workspace.contains(folder):
            return workspace
    return Workspace.standalone(folder)
