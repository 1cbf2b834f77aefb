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


class InputHash:
    """One way of hashing inputs, for a job's fingerprint and a piece's key alike: text
    and files (by content, read once per process while unchanged), in order."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def add(self, text: str) -> None:
        self.digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    def add_file(self, path: Path | None) -> None:
        self.add(f"{path}:{file_digest(path)}")

    def add_surroundings(
        self, workspace: Workspace, layouts: set[str], memo: dict | None = None
    ) -> None:
        """What every output depends on besides its own content: the versions of
        pressroom and WeasyPrint, ``SOURCE_DATE_EPOCH``, ``pressroom.yaml``, the rights
        ledger, the built-in fonts, and every file of the layouts (and those they extend)."""
        self.add(__version__)
        self.add(weasyprint_version())
        self.add(os.environ.get("SOURCE_DATE_EPOCH", ""))
        self.add_file(workspace.root / CONFIG_FILE)
        self.add(ledger_state(workspace))
        folders = [builtin_root() / "assets" / "fonts"]
        for name in sorted(layouts):
            folders += layout_folders(workspace, name, memo)
        for folder in folders:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                self.add_file(path)

    def copy(self) -> InputHash:
        copied = InputHash()
        copied.digest = self.digest.copy()
        return copied

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def layout_folders(workspace: Workspace, name: str, memo: dict | None = None) -> list[Path]:
    """The folders of a layout and of those it extends; ``memo``, kept for one build,
    spares reading every ``layout.yaml`` again for each job (their files are hashed)."""
    if memo is not None and name in memo:
        return memo[name]
    folders: list[Path] = []
    with contextlib.suppress(PressroomError, OSError):  # the render will report it
        folders = find_layout(name, workspace).template_dirs
    if memo is not None:
        memo[name] = folders
    return folders


def fingerprint(
    workspace: Workspace,
    job: Job,
    index: dict[str, Path] | None = None,
    loaded: dict[Path, Profile | None] | None = None,
    memo: dict | None = None,
) -> str:
    """A hash of everything that affects a job's outputs.

    The job itself (kind, item, format, layout, output paths), its surroundings (see
    :meth:`InputHash.add_surroundings`), and the sources and images of every profile
    involved (and the edition file and its cover). ``index`` (slug -> profile file) and
    ``loaded`` (profiles already read, by file) spare reading every profile again.
    """
    inputs = InputHash()
    inputs.add(json.dumps([job.kind, job.item, job.format, job.layout, job.strict]))
    inputs.add(json.dumps({k: str(v) for k, v in job.outputs.items()}, sort_keys=True))
    inputs.add_file(job.source)
    sources = [job.source] if job.kind == "profile" else []
    layouts = {job.layout or workspace.config.layout}
    if job.kind == "edition":
        edition, _ = inspect_edition(job.source, workspace, index)
        if edition is not None:
            sources = edition.profile_paths
            inputs.add_file(edition.cover_path)
    loaded = loaded or {}
    for source in sources:
        inputs.add_file(source)
        profile = loaded[source] if source in loaded else inspect_profile(source, workspace)[0]
        if profile is not None:
            inputs.add_file(profile.illustration_path)
            if job.kind == "profile" and not job.layout:
                layouts = {profile.layout}  # a profile may choose its own layout
    inputs.add_surroundings(workspace, layouts, memo)
    return inputs.hexdigest()


def piece_keys(
    workspace: Workspace,
    job: Job,
    edition: Edition,
    index: dict[str, Path],
    loaded: dict[Path, Profile | None],
    memo: dict | None = None,
) -> Callable[[str], str]:
    """For each piece of an edition job, a hash of what it depends on, page numbers aside.

    Every piece: the format and layout, the edition's own fields (not its list of
    profiles) and the surroundings (:meth:`InputHash.add_surroundings`). The front: the
    cover and what the contents show of each profile (its whole file when sources are
    attached). The colophon: what it shows of each picture. A profile: its file, its
    images, its page budget, and the titles of the profiles it refers to.
    """
    common = InputHash()
    common.add(json.dumps([job.format, job.layout, str(edition.source)]))
    common.add(edition.meta.model_dump_json(exclude={"profiles"}))
    common.add_surroundings(workspace, {job.layout or workspace.config.layout}, memo)
    attach = workspace.formats[job.format].attach_sources
    profiles = {slug: loaded.get(index[slug]) for slug in edition.meta.slugs}

    def key(part: str) -> str:
        inputs = common.copy()
        if part == BACK:  # the colophon: what it shows of each picture (pages aside)
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                uses = [
                    (str(u.path), u.field, u.credit, u.status)
                    for u in (profile.image_uses() if profile else [])
                ]
                inputs.add(json.dumps([slug, meta and (meta.title, meta.lang), uses]))
            return inputs.hexdigest()
        if part == FRONT:
            inputs.add_file(edition.cover_path)
            for slug, profile in profiles.items():
                meta = profile.meta if profile else None
                shown = [slug, meta and (meta.title, meta.dek, meta.kicker, meta.lang, meta.tags)]
                inputs.add(json.dumps(shown, default=str))
                if attach:
                    inputs.add_file(index[slug])
            return inputs.hexdigest()
        profile = profiles[part]
        inputs.add(f"budget:{edition.meta.budgets.get(part)}")  # copyfitting works to it
        inputs.add_file(index[part])
        if profile is not None:
            for path in [profile.illustration_path, *profile.image_paths]:
                inputs.add_file(path)
            for slug in profile.meta.related:
                other = profiles.get(slug)
                inputs.add(json.dumps([slug, other.meta.title if other else None]))
        return inputs.hexdigest()

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


@functools.cache  # asked for by every job's key: importlib.metadata reads files each time
def weasyprint_version() -> str:
    try:
        return metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        return "unknown"
