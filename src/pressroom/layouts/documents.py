"""Documents: a profile, or one piece of an edition, as an :class:`~pressroom.render.HtmlDocument`
ready to render (HTML from the layout's templates, the variables' CSS, PDF metadata).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .. import context
from ..anchors import BACK, FRONT, INTERNAL_LINK
from ..config import Workspace, builtin_root
from ..content import Profile
from ..credits import credit_for, load_ledger
from ..diagnostics import Diagnostic, LayoutError
from ..editions import Edition
from ..formats import OutputFormat, cmyk_profile, format_css
from ..render import HtmlDocument
from ..variables import (
    Value,
    css_value,
    inline_style,
    problems,
    resolve,
    root_css,
)
from .environment import run_template
from .languages import ARABIC_INDIC, text_direction
from .lookup import DEFAULT_FORMAT, EDITION_TEMPLATE, PROFILE_TEMPLATE, Layout, find_layout
from .views import common_context, image_records, profile_context, profile_view


def _cmyk_profile(workspace: Workspace, output_format: OutputFormat) -> Path | None:
    if output_format.color != "cmyk":
        return None
    icc = cmyk_profile(output_format, workspace.root, builtin_root() / "assets")
    if not icc.is_file():
        raise LayoutError(
            f"format '{output_format.name}' prints in CMYK with the ICC profile "
            f"'{output_format.icc_profile}' (formats.{output_format.name}.icc_profile), "
            "which is not there"
        )
    return icc


def render_profile_html(
    profile: Profile,
    layout: Layout | None = None,
    output_format: OutputFormat | None = None,
    fitted: dict[str, Value] | None = None,
) -> HtmlDocument:
    """Run the layout's templates for a profile; raise :class:`LayoutError` on template errors.

    ``fitted``: variables set by copyfitting steps, over everything else.
    """
    workspace = profile.workspace
    layout = layout or find_layout(profile.layout, workspace)
    output_format = output_format or workspace.formats[DEFAULT_FORMAT]
    icc = _cmyk_profile(workspace, output_format)
    values = variable_values(layout, output_format, workspace, profile=profile, fitted=fitted)
    variables = profile_context(profile, output_format, values, layout)
    text = run_template(layout, PROFILE_TEMPLATE, variables)
    return _html_document(
        text, profile.source, layout, output_format, icc, _pdf_metadata(profile), [profile], values
    )


def variable_values(
    layout: Layout,
    output_format: OutputFormat,
    workspace: Workspace,
    edition: Edition | None = None,
    profile: Profile | None = None,
    fitted: dict[str, Value] | None = None,
) -> dict[str, Any]:
    """The layout's variables, overridden by the workspace, the edition, the profile and
    copyfitting (``fitted``), in that order."""
    layers = [
        {"page_size": workspace.config.page_size},
        workspace.config.variables,
        edition.meta.variables if edition else {},
        profile.meta.variables if profile else {},
        fitted or {},
    ]
    return resolve(layout.variables, *layers, cmyk=output_format.color == "cmyk")


def variable_diagnostics(
    layout: Layout,
    workspace: Workspace,
    edition: Edition | None = None,
    profiles: list[Profile] = (),
) -> list[Diagnostic]:
    """Unknown variables (warnings) and unusable values (errors), where they were set."""
    declared = layout.variables
    places = []
    if workspace.config_path is not None:
        places.append((workspace.config.variables, workspace.config_path, workspace.config_lines))
    if edition is not None:
        places.append((edition.meta.variables, edition.source, edition.lines))
    places += [(p.meta.variables, p.source, p.lines) for p in profiles]
    found = []
    for overrides, source, lines in places:
        for problem in problems(declared, overrides):
            unknown = problem.args[0].startswith("unknown variable")
            found.append(
                Diagnostic(
                    source,
                    lines.line_of(("variables", problem.name)),
                    f"variables.{problem.name}",
                    f"{problem.args[0]} (layout '{layout.name}')" if unknown else problem.args[0],
                    "warning" if unknown else "error",
                )
            )
    return found


def _pdf_metadata(profile: Profile) -> dict[str, Any]:
    meta = profile.meta
    return {
        "title": meta.title,
        "author": meta.byline,
        "subject": meta.dek,
        "keywords": meta.tags,
        "lang": profile.lang,
        "images": image_records(profile.workspace, [profile]),
    }


def _html_document(
    text: str,
    source: Path,
    layout: Layout,
    output_format: OutputFormat,
    icc: Path | None,
    metadata: dict[str, Any],
    profiles: list[Profile],
    values: dict[str, Any],
) -> HtmlDocument:
    attach = output_format.attach_sources
    declared = layout.variables
    page_rules = " ".join(
        f"{name.removeprefix('page_').replace('_', '-')}: {css_value(values[name])};"
        for name, spec in declared.items()
        if spec.target == "page" and values.get(name) not in (None, "")
    )
    extra_css = root_css(declared, values) + format_css(output_format, icc)
    return HtmlDocument(
        text,
        source.as_uri(),
        layout.stylesheets,
        extra_css,
        metadata,
        page_css=f"@page {{ {page_rules} }}\n" if page_rules else "",
        output_format=output_format,
        attachments=[p.source for p in profiles] if attach else [],
        extra_roots=[icc] if icc else [],
        root=profiles[0].workspace.root,
        icc_profile=icc,
    )


def render_edition_html(
    edition: Edition,
    profiles: list[Profile],
    output_format: OutputFormat,
    layout: Layout | None = None,
    part: str = FRONT,
    pages: dict[str, int] | None = None,
    fitted: dict[str, Value] | None = None,
    teaser: bool = False,
) -> HtmlDocument:
    """One piece of an edition as HTML: the front (cover and contents), or one profile
    (``fitted``: the variables copyfitting set for it; ``teaser``: only the page that
    faces its opener, a full-page pull quote).

    An edition is laid out piece by piece and assembled into one PDF (so a change to
    one profile re-renders only that piece). ``pages`` says on which page each profile
    opens: the contents, "see also" references and folios print those numbers.
    Links to another piece name ``INTERNAL_LINK`` + anchor; assembly resolves them.
    """
    workspace = edition.workspace
    layout = layout or find_layout(workspace.config.layout, workspace)
    icc = _cmyk_profile(workspace, output_format)
    pages = pages or {}
    in_edition = {p.slug: p for p in profiles}
    values = variable_values(layout, output_format, workspace, edition=edition)
    declared = layout.variables

    def entry(profile: Profile) -> context.Entry:
        anchor = f"profile-{profile.slug}"
        page = pages.get(profile.slug)
        page_text = "" if page is None else str(page)
        if values.get("digits") == "arabic-indic":  # attributes are not localised with the text
            page_text = page_text.translate(ARABIC_INDIC)
        return context.Entry(
            slug=profile.slug,
            title=profile.meta.title,
            dek=profile.meta.dek,
            kicker=profile.meta.kicker,
            lang=profile.lang,
            anchor=anchor,
            href=INTERNAL_LINK + anchor,
            page=page,
            page_text=page_text,
        )

    entries = [entry(profile) for profile in profiles]
    pictures = []
    if part == BACK:
        for record in image_records(workspace, profiles, edition, pages):
            page = record["page"]
            text = "" if page is None else str(page)
            if values.get("digits") == "arabic-indic":
                text = text.translate(ARABIC_INDIC)
            pictures.append(context.Picture(**record, page_text=text))
    articles = []
    if part not in (FRONT, BACK):
        if part not in in_edition:
            raise LayoutError(f"edition '{edition.slug}' has no profile '{part}'")
        profile = in_edition[part]
        see_also = [
            entry(in_edition[slug])
            for slug in profile.meta.related
            if slug in in_edition and slug != profile.slug
        ]
        # A profile's own overrides apply to its article (page-wide ones cannot).
        own = variable_values(layout, output_format, workspace, edition, profile, fitted)
        set_here = {**profile.meta.variables, **(fitted or {})}
        changed = {k: v for k, v in own.items() if k in set_here}
        style = inline_style(declared, changed)
        view = profile_view(
            profile, output_format, f"profile-{part}", see_also, own, style, layout=layout
        )
        articles.append(dataclasses.replace(view, page=pages.get(part)))
    meta = edition.meta
    issue = meta.issue or ""
    if isinstance(meta.issue, int):
        issue = f"{layout.label('issue', edition.lang)} {meta.issue}"
    cover = None
    if meta.cover is not None and edition.cover_path is not None:
        (use,) = edition.image_uses()
        art = credit_for(use, load_ledger(workspace.root), edition.lang)
        cover = context.Cover(
            url=edition.cover_path.as_uri(),
            alt=meta.cover.alt,
            credit=art.credit or "",
            lines=meta.cover.lines,
            fpo=art.fpo,
        )
    lang = edition.lang
    title = f"{meta.title}, {issue}" if issue else meta.title
    keywords = sorted({tag for profile in profiles for tag in profile.meta.tags})
    document_info = context.DocumentInfo(
        title=title,
        author=workspace.config.publication,
        description="; ".join(meta.cover.lines) if meta.cover else None,
        keywords=keywords,
        lang=lang,
        dir=text_direction(lang),
        created=meta.date,
    )
    variables = {
        "edition": context.EditionView(
            title=meta.title,
            issue=issue,
            date=meta.date,
            lang=lang,
            dir=text_direction(lang),
            slug=edition.slug,
            cover=cover,
            part=part,
            teaser=teaser,  # the articles' teaser page, not the articles
            profiles=entries,
            articles=articles,
            pictures=pictures,  # the colophon's (edition.part == "back")
            masthead=[context.MastheadEntry(k, v) for k, v in meta.masthead.items()],
        ),
        "vars": context.Record("vars", values),
        "document": document_info,
        **common_context(workspace, output_format),
    }
    text = run_template(layout, EDITION_TEMPLATE, variables)
    attach = output_format.attach_sources
    if part in (FRONT, BACK):
        metadata = {
            "title": title,
            "author": workspace.config.publication,
            "subject": document_info.description,
            "keywords": keywords,
            "lang": lang,
            "images": image_records(workspace, profiles, edition),  # the edition's XMP
        }
        attached = profiles if part == FRONT else []
    else:
        metadata, attached = _pdf_metadata(in_edition[part]), [in_edition[part]]
    document = _html_document(
        text, edition.source, layout, output_format, icc, metadata, profiles, values
    )
    document.attachments = [p.source for p in attached] if attach else []
    start = pages.get(part)
    if start and start > 1:  # the piece's first page carries the edition's page number
        document.extra_css += f"@page :first {{ counter-increment: page {start}; }}\n"
    return document
