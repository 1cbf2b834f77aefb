"""Planning: read and check everything a build would make, then list its jobs. Every
problem is found here, before anything renders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Workspace
from ..content import Profile, slug_from_path
from ..diagnostics import ContentError, Diagnostic, Message, PressroomError, display_path
from ..editions import Edition, inspect_edition, inspect_profiles, profile_index
from ..paths import is_within
from ..stamps import STAMP_FILE
from ..yamlsource import load_yaml
from .cache import CACHE
from .jobs import Job, Outcome
from .records import MANIFEST, REPORT


@dataclass
class Plan:
    jobs: list[Job]
    refused: list[Outcome]  # items that cannot be built (content errors), already reported
    diagnostics: list[Diagnostic]
    index: dict[str, Path] = field(default_factory=dict)  # profile slug -> file
    profiles: dict[Path, Profile | None] = field(default_factory=dict)  # as loaded when planned
    editions: dict[Path, Edition] = field(default_factory=dict)  # by file, as checked
    layouts: dict[str, list[Path]] = field(default_factory=dict)  # folders, by layout name


class UnknownTarget(PressroomError):
    """A build target names no edition or profile of the workspace."""


def plan_build(
    workspace: Workspace,
    targets: Iterable[str] = (),
    formats: Iterable[str] = (),
    layout: str | None = None,
) -> Plan:
    """Check everything that would be built, then list the jobs.

    Every problem is found here, before anything renders: a profile with errors
    fails alone, and so does each edition that includes it.
    """
    inspected = inspect_profiles(workspace)  # each profile is read once for the whole plan
    index = profile_index(workspace, inspected)
    editions = {path.name.removesuffix(".yaml"): path for path in workspace.edition_paths()}
    targets = list(targets)
    wanted_profiles, wanted_editions = _select(workspace, targets, index, editions)
    only = set(formats)
    unknown = only - set(workspace.formats)
    if unknown:
        known = ", ".join(sorted(workspace.formats))
        raise UnknownTarget(f"unknown format '{sorted(unknown)[0]}'; known formats: {known}")

    jobs: list[Job] = []
    refused: list[Outcome] = []
    diagnostics: list[Diagnostic] = list(workspace.warnings)
    broken: dict[str, str] = {}
    in_wanted_editions = {slug for path in wanted_editions.values() for slug in _listed(path)}
    for path, profile, found in sorted(inspected, key=lambda entry: entry[0]):
        slug = profile.slug if profile else slug_from_path(path)
        if slug in wanted_profiles or slug in in_wanted_editions:
            diagnostics += found
        if profile is None:
            broken[slug] = display_path(path, workspace.root)
    for slug in sorted(wanted_profiles):
        names = [f for f in workspace.config.profile_formats if not only or f in only]
        for name in names:
            if slug in broken:
                refused.append(
                    Outcome(
                        slug,
                        "profile",
                        name,
                        "failed",
                        messages=[Message("content errors", "error", "see-files")],
                    )
                )
                continue
            target = workspace.profile_output(slug, name)
            job = Job("profile", slug, index[slug], name, {slug: target}, layout)
            _append_inside(workspace, job, jobs, refused)
    checked = {}
    for slug, path in sorted(wanted_editions.items()):
        edition, found = inspect_edition(path, workspace, index)
        diagnostics += found
        if edition is not None:
            checked[path] = edition
        names = _edition_formats(edition, path, only, slug in targets, diagnostics)
        if edition is None:
            for name in names or sorted(only) or ["-"]:
                refused.append(
                    Outcome(
                        slug,
                        "edition",
                        name,
                        "failed",
                        messages=[Message("edition errors", "error", "see-files")],
                    )
                )
            continue
        bad = [broken[s] for s in edition.meta.slugs if s in broken]
        for name in names:
            if bad:
                message = f"edition cannot be built: {', '.join(bad)} has errors"
                refused.append(
                    Outcome(slug, "edition", name, "failed", [], messages=[Message(message)])
                )
                continue
            outputs = {slug: workspace.edition_output(slug, slug, name)}
            for profile_slug in edition.meta.slugs:
                outputs[profile_slug] = workspace.edition_output(slug, profile_slug, name)
            _append_inside(
                workspace, Job("edition", slug, path, name, outputs, layout), jobs, refused
            )
    loaded = {path: profile for path, profile, _ in inspected}
    return Plan(jobs, refused, diagnostics, index, loaded, checked)


def _edition_formats(edition, path: Path, only: set[str], named: bool, diagnostics) -> list[str]:
    """The formats to build an edition in: its own, narrowed by ``--format`` (which never
    adds one its file leaves out; a warning says so when the edition was named)."""
    published = edition.format_names if edition else _listed(path, "formats") or []
    names = [f for f in published if not only or f in only]
    if edition is not None and not names and named:
        message = (
            f"not built in {', '.join(sorted(only))}: the edition is published only in "
            f"{', '.join(published)}"
        )
        line = edition.lines.line_of(("formats",))
        diagnostics.append(Diagnostic(path, line, "formats", message, "warning"))
    return names


def _append_inside(workspace: Workspace, job: Job, jobs: list, refused: list) -> None:
    """Plan ``job``, unless one of its outputs would land outside the output folder or in
    pressroom's own files there (a pattern or a name that makes a path of it)."""
    output = workspace.output_dir.resolve()
    for path in job.outputs.values():
        resolved = path.resolve()
        inside = is_within(resolved, output) and resolved != output
        own_files = (CACHE, MANIFEST, REPORT, STAMP_FILE)
        own = inside and resolved.relative_to(output).parts[0] in own_files
        if not inside or own:
            where = display_path(path, workspace.root)
            message = f"refused: its output '{where}' would be outside the output folder"
            if own:
                message = f"refused: its output '{where}' would overwrite pressroom's own files"
            refused.append(
                Outcome(job.item, job.kind, job.format, "failed", messages=[Message(message)])
            )
            return
    jobs.append(job)


def _listed(path: Path, key: str = "profiles") -> list[str]:
    """A list from an edition file, read leniently (for planning around broken files)."""
    try:
        data, _ = load_yaml(path.read_text(encoding="utf-8"), path)
    except (ContentError, OSError, UnicodeDecodeError):
        return []
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    # A profile may be listed as {profile: slug, pages: N}.
    value = [v.get("profile") if isinstance(v, dict) else v for v in value]
    return [v for v in value if isinstance(v, str)]


def _select(workspace: Workspace, targets: list[str], index: dict, editions: dict):
    if not targets:
        return set(index), dict(editions)
    profiles, chosen = set(), {}
    for target in targets:
        path = Path(target)
        name = path.name.removesuffix(".md").removesuffix(".yaml")
        by_path = {p.resolve(): s for s, p in index.items()}
        if path.suffix == ".md" and path.resolve() in by_path:
            profiles.add(by_path[path.resolve()])
        elif target in editions or (path.suffix == ".yaml" and name in editions):
            chosen[name] = editions[name]
        elif target in index:
            profiles.add(target)
        else:
            known = ", ".join(sorted(editions)) or "none"
            raise UnknownTarget(
                f"'{target}' is neither an edition nor a profile "
                f"(editions: {known}; profiles: {', '.join(sorted(index)) or 'none'})"
            )
    return profiles, chosen
