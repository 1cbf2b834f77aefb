"""Editions piece by piece: the front and each profile laid out on their own, then assembled.

As one WeasyPrint document, an edition lays out on one core and re-renders whole
when any profile changes. As pieces (the front: cover and contents; then each
profile), it lays out on every core, and a build re-renders only the pieces whose
inputs changed. What one document computed by itself, pressroom computes here:
where each profile opens (on a recto, after a blank page where needed), which the
contents, "see also" references and folios print.

Page numbers depend on page counts, which are only known once pieces are laid out:
:class:`EditionPlan` starts from the best guess (the counts of an earlier build),
and renders again the pieces whose numbers turned out wrong, until they agree.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .anchors import BACK, FRONT
from .config import Workspace
from .content import Profile, inspect_profile
from .diagnostics import ContentError, Diagnostic, Message
from .editions import Edition, inspect_edition
from .fitting import decision, fit, fit_profile
from .layouts import (
    find_layout,
    image_records,
    render_edition_html,
    variable_diagnostics,
    variable_values,
)

DEFAULT_PAGES = {FRONT: 2, BACK: 1}  # guesses before anything is known
DEFAULT_PROFILE_PAGES = 4
# Page counts do not depend on page numbers, so two rounds are the norm, and one more
# for the colophon, which waits for the pages of every picture.
MAX_ROUNDS = 5


@dataclass(frozen=True)
class PieceSpec:
    """One piece to lay out; small and picklable (it is sent to worker processes)."""

    edition: str  # the edition file
    format: str
    layout: str | None
    part: str  # FRONT, or a profile's slug
    pages: tuple[tuple[str, int], ...]  # the page numbers the piece prints, by slug
    index: tuple[tuple[str, str], ...]  # slug -> profile file, for the edition's profiles
    preflight: bool = True
    teaser: bool = False  # also lay out the page facing its opener (see EditionFile.teasers)
    # Set as the profile's own PDF in this format is (see EditionPlan): its fitting is
    # decided on that document, and ``own_fit`` carries the decision when it is known
    # (JSON of fitting.decision; None: the worker decides, as the own PDF would).
    shared_fit: bool = False
    own_fit: str | None = field(default=None, compare=False)


@dataclass
class PieceResult:
    """A laid-out piece. Its PDFs are bytes as a worker sends them, and the cache's files
    once the build has stored them (:class:`~pressroom.builds.cache.PieceCache`)."""

    pdf: bytes | Path
    pages: int
    offprint: bytes | Path = b""  # a profile on its own, links to the rest of the edition inert
    blank: bytes | Path = b""  # with the front: a page left blank, in the edition's style
    teaser: bytes | Path = b""  # with PieceSpec.teaser: the one page that goes before the opener
    warnings: list[str] = field(default_factory=list)
    findings: list[tuple[int | None, str, str]] = field(default_factory=list)  # page in piece
    notes: list[Message] = field(default_factory=list)  # content preflight
    peak_mb: float = 0.0  # peak memory of the process that rendered it
    anchors: dict[str, int] = field(default_factory=dict)  # a picture's id -> page in piece
    copyfit: dict = field(default_factory=dict)  # how its pages filled (render.copyfit)


def render_piece(workspace: Workspace, spec: PieceSpec) -> PieceResult:
    """Lay out and write one piece (runs in a worker); raise a PressroomError on failure."""
    from .assembly import offprint
    from .content import resource_roots
    from .render import render_document

    index = {slug: Path(path) for slug, path in spec.index}
    edition, diagnostics = inspect_edition(Path(spec.edition), workspace, index)
    if edition is None:
        raise ContentError(diagnostics)
    everyone = spec.part in (FRONT, BACK)  # the contents and the colophon show them all
    wanted = list(edition.meta.slugs) if everyone else _needed(spec, edition)
    profiles = load_profiles([index[slug] for slug in wanted], workspace)
    layout = find_layout(spec.layout or workspace.config.layout, workspace)
    fmt = workspace.formats[spec.format]
    pages = dict(spec.pages)
    if spec.part == BACK and not (
        edition.meta.masthead or image_records(workspace, profiles, edition)
    ):
        return PieceResult(b"", 0)  # a colophon with nothing to say is left out
    roots, limits = resource_roots(workspace), workspace.config.limits
    if everyone:
        document = render_edition_html(edition, profiles, fmt, layout, spec.part, pages)
        result = render_document(document, roots, limits, spec.part == FRONT)
    else:  # a profile, copyfitted to its budget in the edition (or its short page)
        lay_out = functools.partial(render_document, roots=roots, limits=limits)
        decided = None
        if spec.shared_fit:  # fitted as its own PDF is, in one layout
            own = spec.own_fit
            decided = (
                json.loads(own)
                if own
                else decision(fit_profile(profiles[0], layout, fmt, lay_out).copyfit.get("fit"))
            )
        result = fit(
            lambda fitted: render_edition_html(
                edition, profiles, fmt, layout, spec.part, pages, fitted
            ),
            lay_out,
            layout.fitting,
            edition.meta.budgets.get(spec.part),
            variable_values(layout, fmt, workspace, edition, profiles[0]),
            decided,
        )
    piece = PieceResult(result.pdf, result.pages, blank=result.blank, anchors=result.anchors)
    piece.copyfit = result.copyfit if not everyone else {}
    notes = variable_diagnostics(layout, workspace, edition, [] if everyone else profiles)
    piece.warnings = [d.format() for d in notes] + result.warnings
    if not everyone:
        piece.offprint = offprint(result.pdf)
    if spec.teaser:
        page = (pages.get(spec.part) or 2) - 1
        document = render_edition_html(
            edition, profiles, fmt, layout, spec.part, {**pages, spec.part: page}, teaser=True
        )
        teaser = render_document(document, roots, limits)
        piece.teaser = teaser.pdf if teaser.pages == 1 else b""  # a page, or a blank one
    if spec.preflight:
        from .preflight import (
            art_findings,
            content_findings,
            format_content_findings,
            rendered_findings,
        )

        found = rendered_findings(result, fmt)  # as for a profile alone (preflight_profile)
        piece.findings = [(f.page, f.message, f.severity) for f in found]
        allow = edition.allows_fpo(spec.format)
        if spec.part == FRONT:
            content = art_findings(edition.image_uses(), workspace.root, fmt, allow)
        elif spec.part == BACK:
            content = []
        else:
            content = content_findings(profiles[0], fmt, allow)
        piece.notes = format_content_findings(content, workspace.root)
    return piece


def _needed(spec: PieceSpec, edition: Edition) -> list[str]:
    """A profile piece needs its profile and the ones it refers to (their titles)."""
    pages = dict(spec.pages)
    return [spec.part, *(s for s in edition.meta.slugs if s in pages and s != spec.part)]


def _call(function: Callable, *args):
    return function(*args)


def load_profiles(paths: Iterable[Path], workspace: Workspace) -> list[Profile]:
    """The profiles of an edition; raise :class:`ContentError` with every error of every one."""
    profiles, problems = [], []
    for path in paths:
        profile, found = inspect_profile(path, workspace)
        if profile is None:
            problems += [d for d in found if d.is_error]
        else:
            profiles.append(profile)
    if problems:
        raise ContentError(problems)
    return profiles


def page_numbers(
    order: list[str], counts: dict[str, int]
) -> tuple[dict[str, int], dict[str, bool]]:
    """Where each profile opens, and which ones need a blank page before them.

    The front starts on page 1; each profile opens on a recto (an odd page: the first
    page is a recto in both directions), after a blank page when the one before ends
    on a recto.
    """
    starts, pad = {}, {}
    page = counts[FRONT] + 1
    for slug in order:
        pad[slug] = page % 2 == 0
        page += pad[slug]
        starts[slug] = page
        page += counts[slug]
    return starts, pad


def printed_numbers(part: str, starts: dict[str, int], related: dict[str, list[str]]):
    """The page numbers a piece prints: all of them on the front (contents), a profile's
    own and those of the profiles it refers to (the colophon's: see ``EditionPlan``)."""
    if part == FRONT:
        return tuple(sorted(starts.items()))
    wanted = {part, *related.get(part, [])}
    return tuple(sorted((slug, page) for slug, page in starts.items() if slug in wanted))


class EditionPlan:
    """The pieces of one edition in one format, rendered until their page numbers agree.

    ``content_key(part)`` is a hash of everything a piece depends on except page
    numbers; ``hints`` holds the page counts of an earlier build (guesses, checked).
    The caller asks :meth:`wanted` for specs to render (or take from its cache), gives
    each result to :meth:`receive`, and calls :meth:`assemble` once :attr:`done`.
    """

    def __init__(
        self,
        edition: Edition,
        format_name: str,
        layout: str | None,
        index: dict[str, Path],
        related: dict[str, list[str]],
        content_key: Callable[[str], str],
        hints: dict[str, int] | None = None,
        preflight: bool = True,
        shared: Iterable[str] = (),
    ) -> None:
        self.edition = edition
        self.format = format_name
        self.layout = layout
        self.order = list(edition.meta.slugs)
        # The colophon closes the edition: every picture with the page it is on.
        self.parts = [FRONT, *self.order, *([BACK] if edition.meta.colophon else [])]
        self.index = tuple(sorted((s, str(index[s])) for s in self.order))
        self.related = {
            slug: [r for r in related.get(slug, []) if r in self.order and r != slug]
            for slug in self.order
        }
        self.content_key = content_key
        self.content_keys = {part: content_key(part) for part in self.parts}
        hints = hints or {}
        # The best guess: this part of the edition as it was last laid out (an edit
        # rarely changes a page count; a wrong guess only costs a second layout).
        self.counts = {
            part: hints.get(self._part_key(part), DEFAULT_PAGES.get(part, DEFAULT_PROFILE_PAGES))
            for part in self.parts
        }
        self.unhinted = {part for part in self.parts if self._part_key(part) not in hints}
        self.known: set[str] = set()  # parts whose page count is measured, not guessed
        self.results: dict[str, tuple[PieceSpec, PieceResult]] = {}
        self.preflight = preflight
        self.rounds = 0
        # Profiles fitted as their own PDF in this format is (its layout, no budget, no
        # variables from the edition): one decision, so the offprint and the own PDF
        # agree and a piece takes one layout, not one per step tried.
        self.shared = set(shared) - set(edition.meta.budgets)
        if edition.meta.variables:
            self.shared = set()
        self.own_fits: dict[str, str] = {}  # slug -> JSON of the own PDF's decision
        self.awaiting: set[str] = set()  # slugs whose own PDF is being laid out now
        self.colophon_sent = False  # laid out early once (see early_colophon)

    def spec(self, part: str) -> PieceSpec:
        starts, _ = page_numbers(self.order, self.counts)
        numbers = printed_numbers(part, starts, self.related)
        if part == BACK:
            numbers = (*numbers, (BACK, self.back_start), *self._picture_pages(starts))
        return PieceSpec(
            str(self.edition.source),
            self.format,
            self.layout,
            part,
            tuple(sorted(numbers)),
            self.index,
            self.preflight,
            part in self._teased,
            part in self.shared,
            self.own_fits.get(part),
        )

    @property
    def _teased(self) -> set[str]:
        """The profiles whose opener faces a teaser page: those after a page a recto start
        leaves over, but the colophon's, in formats that print those pages."""
        if not self.edition.meta.teasers or self.drops_blank_pages:
            return set()
        _, pad = page_numbers(self.order, self.counts)
        return {slug for slug in self.order if pad[slug] and slug != self.colophon_slot}

    @property
    def colophon_slot(self) -> str | None:
        """The profile before whose opener the colophon takes the page a recto start would
        leave blank: the first such page, if the colophon is one page and may go there."""
        if BACK not in self.parts or self.counts.get(BACK) != 1:
            return None
        if self.edition.meta.colophon == "end":
            return None
        _, pad = page_numbers(self.order, self.counts)
        return next((slug for slug in self.order if pad[slug]), None)

    @property
    def back_start(self) -> int:
        """The colophon's first page: a page left over before an opener, or right after
        the last profile."""
        starts, _ = page_numbers(self.order, self.counts)
        slot = self.colophon_slot
        if slot is not None:
            return starts[slot] - 1
        if not self.order:
            return self.counts[FRONT] + 1
        return starts[self.order[-1]] + self.counts[self.order[-1]]

    def _picture_pages(self, starts: dict[str, int]) -> list[tuple[str, int]]:
        """Where each profile's pictures are in the edition (ids from the pieces)."""
        found = []
        for slug in self.order:
            if slug in self.results:
                for anchor, page in self.results[slug][1].anchors.items():
                    found.append((anchor, page + starts[slug] - 1))
        return found

    def _settled(self, part: str) -> bool:
        return part in self.results and self.results[part][0] == self.spec(part)

    def key(self, spec: PieceSpec) -> str:
        """The cache key of a piece: its content key and the numbers it prints."""
        text = json.dumps(
            [self.content_keys[spec.part], spec.pages, spec.preflight, spec.teaser, spec.shared_fit]
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def wanted(self) -> list[PieceSpec]:
        """The pieces still to render with the numbers as now known (empty when done)."""
        # The colophon waits for the rest: it prints the pages their pictures fell on.
        ready = all(self._settled(part) for part in self.parts if part != BACK)
        specs = [self.spec(part) for part in self.parts if part != BACK or ready]
        missing = [s for s in specs if s.part not in self.results or self.results[s.part][0] != s]
        if missing:
            self.rounds += 1
            if self.rounds > MAX_ROUNDS:
                message = (
                    "the page numbers of the edition do not settle: a piece changes its "
                    "page count with its page numbers"
                )
                raise ContentError([Diagnostic(self.edition.source, None, None, message)])
        return missing

    def early_colophon(self) -> PieceSpec | None:
        """The colophon's spec, to lay it out before the round is in: once every profile
        piece is (it prints the pages their pictures fell on), while the front is still
        being laid out, if an earlier build measured the front's page count (a title edit
        lays the front out again, and it rarely changes its length; if it does, the round
        that follows lays the colophon out again). None: not now, or not needed."""
        if BACK not in self.parts or self.colophon_sent:
            return None
        if FRONT in self.unhinted and FRONT not in self.known:
            return None
        if not all(self._settled(slug) for slug in self.order):
            return None
        spec = self.spec(BACK)
        if BACK in self.results and self.results[BACK][0] == spec:
            return None
        self.colophon_sent = True
        return spec

    def unchanged(self, part: str) -> bool:
        """Whether a part's inputs are still those its key was made from (a file saved
        while the piece was laid out must not be cached under the key of the old one)."""
        return self.content_key(part) == self.content_keys[part]

    def suggest(self, part: str, pages: int) -> None:
        """A better guess of a part's page count (the same profile laid out elsewhere)."""
        if part in self.unhinted and part not in self.known:
            self.counts[part] = pages

    def receive(self, spec: PieceSpec, result: PieceResult) -> None:
        self.results[spec.part] = (spec, result)
        self.counts[spec.part] = result.pages
        self.known.add(spec.part)

    @property
    def done(self) -> bool:
        return all(self._settled(part) for part in self.parts)

    @property
    def page_counts(self) -> dict[str, int]:
        """Measured page counts, by edition, format and part: hints for the next build."""
        return {self._part_key(part): self.counts[part] for part in self.known}

    def _part_key(self, part: str) -> str:
        return f"{self.edition.slug}:{self.format}:{part}"

    def assemble(
        self,
        output: Path | None = None,
        run: Callable | None = None,
        segments: Path | None = None,
    ) -> tuple[bytes | None, dict[str, tuple[bytes | Path, int]], int]:
        """The edition's PDF (bytes, or None once written to ``output``), each profile's
        offprint (PDF bytes or file, pages), and the page count. ``run(function, *args)``
        calls the assembly (a build runs it in a process of its own), else it runs here;
        ``segments``: where the assembly keeps the pieces' segments between builds."""
        from .assembly import assemble

        starts, pad = page_numbers(self.order, self.counts)
        front = self.results[FRONT][1]
        pieces = [self.results[slug][1] for slug in self.order]
        back = [self.results[BACK][1]] if BACK in self.parts else []
        back = [piece for piece in back if piece.pages]  # an empty colophon is left out
        slot = self.colophon_slot if back else None
        fillers = {self.order.index(slot): back.pop().pdf} if slot is not None else {}
        for index, piece in enumerate(pieces):  # teasers take the other pages left over
            if piece.teaser and pad[self.order[index]] and index not in fillers:
                fillers[index] = piece.teaser
        last = self.order[-1] if self.order else None
        total = (starts[last] + self.counts[last] - 1 if last else front.pages) + sum(
            piece.pages for piece in back
        )
        labels: list[tuple[int, int]] = []
        if self.drops_blank_pages:
            # Pages that exist for binding go; folios stay as printed, so the viewer's page
            # labels follow them (3, 4, 5, 7...) and so do contents and "see also" numbers.
            physical = self.counts[FRONT]
            for index, slug in enumerate(self.order):
                if pad[slug] and index not in fillers:
                    labels.append((physical, starts[slug]))
                physical += self.counts[slug] + (index in fillers)
            total -= sum(pad.values()) - len(fillers)
            pad = {slug: index in fillers for index, slug in enumerate(self.order)}
        pdf = (run or _call)(
            assemble,
            front.pdf,
            [p.pdf for p in [*pieces, *back]],
            front.blank,
            [pad[s] for s in self.order] + [False] * len(back),
            labels,
            fillers,
            output,
            segments,
            self._font_files(),
        )
        offprints = {
            slug: (self.results[slug][1].offprint, self.counts[slug]) for slug in self.order
        }
        return pdf, offprints, total

    def _font_files(self) -> list[Path]:
        """Where the pieces' fonts may come from: what a document may read, but the
        build folder (see subsets: the edition shares one subset of each)."""
        from .content import resource_roots
        from .subsets import font_files

        workspace = self.edition.workspace
        return font_files(resource_roots(workspace), skip=[workspace.output_dir])

    @property
    def drops_blank_pages(self) -> bool:
        """Whether this format leaves out the pages a recto start leaves blank."""
        own = self.edition.workspace.formats[self.format].blank_pages
        return self.edition.meta.blank_pages.get(self.format, own) == "drop"

    def messages(self) -> tuple[list[str], list[Message]]:
        """Warnings (each once) and preflight findings, with edition page numbers."""
        from .preflight import Finding

        starts, _ = page_numbers(self.order, self.counts)
        warnings: dict[str, None] = {}
        findings: list[Message] = []
        for part in self.parts:
            result = self.results[part][1]
            warnings.update(dict.fromkeys(result.warnings))
            first = 1 if part == FRONT else self.back_start if part == BACK else starts[part]
            for page, message, severity in result.findings:
                number = None if page is None else page + first - 1
                findings.append(Finding(number, message, severity).as_message())
            findings += result.notes
        return list(warnings), list(dict.fromkeys(findings))
