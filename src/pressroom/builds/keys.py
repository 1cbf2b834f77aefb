"""Input keys: the hashes that say whether an output, or a piece of an edition, is up to
date. A job's key covers everything that affects its outputs; a piece's, what that
piece depends on, page numbers aside."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..anchors import BACK, FRONT
from ..config import CONFIG_FILE, Workspace, builtin_root
from ..content import Profile, inspect_profile
from ..credits import LEDGER_FILE, load_ledger
from ..diagnostics import ContentError, PressroomError
from ..editions import Edition, inspect_edition
from ..layouts import find_layout
from .jobs import Job


def fingerprint(
    workspace: Workspace,
    job: Job,
    index: dict[str, Path] | None = None,
    loaded: dict[Path, Profile | None] | None = None,
) -> str:
    """A hash of everything that affects a job's outputs.

    The job itself (kind, item, format, layout, output paths), the versions of
    pressroom and WeasyPrint, ``pressroom.yaml``, ``SOURCE_DATE_EPOCH``, the sources
    and images of every profile involved (and the edition file and its cover), every
    file of the layouts they use and the layouts those extend, and the built-in fonts.
    ``index`` (slug -> profile file) and ``loaded`` (profiles already read, by file)
    spare reading every profile again for each job.
    """
    digest = hashlib.sha256()

    def add(text: str) -> None:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    def add_file(path: Path | None) -> None:
        if path is not None:
            add(f"{path}:{file_digest(path)}")

    add(json.dumps([job.kind, job.item, job.format, job.layout, job.strict], sort_keys=True))
    add(json.dumps({k: str(v) for k, v in job.outputs.items()}, sort_keys=True))
    add(__version__)
    add(weasyprint_version())
    add(os.environ.get("SOURCE_DATE_EPOCH", ""))
    add_file(workspace.root / CONFIG_FILE)
    add(ledger_state(workspace))
    add_file(job.source)
    sources = [job.source] if job.kind == "profile" else []
    layouts = {job.layout or workspace.config.layout}
    if job.kind == "edition":
        edition, _ = inspect_edition(job.source, workspace, index)
        if edition is not None:
            sources = edition.profile_paths
            add_file(edition.cover_path)
    loaded = loaded or {}
    for source in sources:
        add_file(source)
        profile = loaded[source] if source in loaded else inspect_profile(source, workspace)[0]
        if profile is not None:
            add_file(profile.illustration_path)
            if job.kind == "profile" and not job.layout:
                layouts = {profile.layout}  # a profile may choose its own layout
    folders = [builtin_root() / "assets" / "fonts"]
    for name in sorted(layouts):
        with contextlib.suppress(PressroomError, OSError):  # the render will report it
            folders += find_layout(name, workspace).template_dirs
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            add_file(path)
    return digest.hexdigest()


def piece_keys(
    workspace: Workspace,
    job: Job,
    edition: Edition,
    index: dict[str, Path],
    loaded: dict[Path, Profile | None],
) -> Callable[[str], str]:
    """For each piece of an edition job, a hash of what it depends on, page numbers aside.

    Every piece: the versions, ``pressroom.yaml``, ``SOURCE_DATE_EPOCH``, the format
    and layout (every file of it and of the layouts it extends, and the built-in fonts)
    and the edition's own fields (not its list of profiles). The front: the cover and
    what the contents show of each profile (its whole file when sources are attached).
    A profile: its file, its images, and the titles of the profiles it refers to.
    """
    common = hashlib.sha256()

    def add(digest, text: str) -> None:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    add(common, json.dumps([job.format, job.layout, str(edition.source)]))
    add(common, edition.meta.model_dump_json(exclude={"profiles"}))
    add(common, __version__ + weasyprint_version() + os.environ.get("SOURCE_DATE_EPOCH", ""))
    add(common, file_digest(workspace.root / CONFIG_FILE))
    add(common, ledger_state(workspace))
    folders = [builtin_root() / "assets" / "fonts"]
    with contextlib.suppress(PressroomError, OSError):  # the render will report it
        folders += find_layout(job.layout or workspace.config.layout, workspace).template_dirs
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            add(common, f"{path}:{file_digest(path)}")
    attach = workspace.formats[job.format].attach_sources
    profiles = {slug: loaded.get(index[slug]) for slug in edition.meta.slugs}

    def key(part: str) -> str:
        digest = common.copy()
        if part == BACK:  # the colophon: what it shows of each picture (pages aside)
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                uses = [
                    (str(u.path), u.field, u.credit, u.status)
                    for u in (profile.image_uses() if profile else [])
                ]
                add(digest, json.dumps([slug, meta and (meta.title, meta.lang), uses]))
            return digest.hexdigest()
        if part == FRONT:
            add(digest, f"cover:{edition.cover_path}:{file_digest(edition.cover_path)}")
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                shown = [slug, meta and (meta.title, meta.dek, meta.kicker, meta.lang, meta.tags)]
                add(digest, json.dumps(shown, default=str))
                if attach:
                    add(digest, file_digest(index[slug]))
            return digest.hexdigest()
        profile = profiles[part]
        files = [index[part]]
        add(digest, f"budget:{edition.meta.budgets.get(part)}")  # copyfitting works to it
        if profile is not None:
            files += [profile.illustration_path, *profile.image_paths]
            for slug in profile.meta.related:
                other = profiles.get(slug)
                add(digest, json.dumps([slug, other.meta.title if other else None]))
        for path in files:
            add(digest, f"{path}:{file_digest(path) if path else ''}")
        return digest.hexdigest()

    return key


def ledger_state(workspace: Workspace) -> str:
    """The rights ledger as outputs depend on it: its file, and today's date when a
    clearance in it expires (an output built yesterday may not be allowed today)."""
    state = f"ledger:{file_digest(workspace.root / LEDGER_FILE)}"
    with contextlib.suppress(ContentError):  # a broken ledger fails the jobs themselves
        if load_ledger(workspace.root).has_expiries:
            state += f":{dt.date.today().isoformat()}"
    return state


@functools.lru_cache(maxsize=4096)
def _cached_digest(path: str, modified: int, size: int) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def file_digest(path: Path | None) -> str:
    """A file's hash, read once per process while the file is unchanged (fonts and layout
    files are part of every job's fingerprint)."""
    if path is None:
        return "none"
    try:
        info = path.stat()
        return _cached_digest(str(path), info.st_mtime_ns, info.st_size)
    except OSError:
        return "missing"


def weasyprint_version() -> str:
    try:
        return metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        return "unknown"
