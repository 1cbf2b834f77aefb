"""One PDF from the pieces of an edition (front, profiles, blank pages), with pikepdf.

An edition is laid out piece by piece, so that a change to one profile re-renders
only that piece. Assembly keeps what a single WeasyPrint document would have had:
the front's catalogue (metadata, output intent, attachments, language), every page
with its boxes, the tagged structure (each piece's elements under one Document
element, the parent tree renumbered), named destinations, the outline, and links
between pieces (``INTERNAL_LINK`` + anchor, turned into links to the anchor).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from .anchors import INTERNAL_LINK

Source = bytes | Path  # a PDF in memory, or in a file (a piece in the build's cache)


def assemble(
    front: Source,
    pieces: Sequence[Source],
    blank: Source,
    pad: Sequence[bool],
    labels: Sequence[tuple[int, int]] = (),
    fillers: dict[int, Source] | None = None,
    output: Path | None = None,
) -> bytes | None:
    """The edition: ``front``, then each piece, preceded by the blank page where ``pad``.

    ``labels``: (page index, folio) where the folios jump (a blank page left out), so
    that viewers number pages as they are printed. ``fillers``: by piece index, a piece of
    one page (the colophon) that takes that piece's blank page, with its structure.
    Returns the PDF's bytes, or writes it to ``output`` (then the pieces' page contents
    go from their files to that file as it is written, never all held in memory)."""
    fillers = fillers or {}
    merged = _open(front)
    tree = merged.Root.get("/StructTreeRoot")
    document = _document_element(tree) if tree is not None else None
    parent_nums = list(tree.ParentTree.Nums) if tree is not None else []
    next_key = _next_key(parent_nums)
    names = _named_destinations(merged)
    opened = [_open(piece) for piece in pieces]
    opened_fillers = {index: _open(data) for index, data in fillers.items()}
    opened_blanks: list[pikepdf.Pdf] = []
    for index, (piece, padded) in enumerate(zip(opened, pad, strict=True)):
        if index in opened_fillers:  # a designed page where a blank one would be
            filler = opened_fillers[index]
            next_key = _append_pages(merged, filler, document, parent_nums, next_key)
            names += [(name, _copy(merged, dest)) for name, dest in _named_destinations(filler)]
        elif padded:  # a fresh copy each time: a page object can be in the page tree once
            opened_blanks.append(_open(blank))  # open until saved
            merged.pages.append(opened_blanks[-1].pages[0])
            page = merged.pages[-1].obj
            if "/StructParents" in page:  # nothing on it to tag
                del page["/StructParents"]
        next_key = _append_pages(merged, piece, document, parent_nums, next_key)
        names += [
            (name, _copy(merged, destination)) for name, destination in _named_destinations(piece)
        ]
    if tree is not None:
        tree.ParentTree = pikepdf.Dictionary(Nums=pikepdf.Array(parent_nums))
        tree.ParentTreeNextKey = next_key
    if names:
        names.sort(key=lambda item: bytes(item[0]))
        flat = pikepdf.Array()
        for name, destination in names:
            flat.append(name)
            flat.append(destination)
        if "/Names" not in merged.Root:
            merged.Root.Names = pikepdf.Dictionary()
        merged.Root.Names.Dests = pikepdf.Dictionary(Names=flat)
    _resolve_links(merged, {str(name) for name, _ in names})
    _merge_outlines(merged, _in_page_order(opened, opened_fillers))
    if labels:
        nums = pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)])
        for index, folio in labels:
            nums.extend([index, pikepdf.Dictionary(S=pikepdf.Name.D, St=folio)])
        merged.Root.PageLabels = pikepdf.Dictionary(Nums=nums)
    if output is None:
        return _save(merged)
    merged.save(output, deterministic_id=True)  # the same bytes as _save's
    return None


def _open(source: Source) -> pikepdf.Pdf:
    return pikepdf.open(source if isinstance(source, Path) else io.BytesIO(source))


def _in_page_order(opened: list, fillers: dict[int, pikepdf.Pdf]) -> list:
    """The pieces as their pages follow each other (a filler before its piece)."""
    ordered = []
    for index, piece in enumerate(opened):
        if index in fillers:
            ordered.append(fillers[index])
        ordered.append(piece)
    return ordered


def offprint(piece: bytes) -> bytes:
    """A piece on its own: links to the rest of the edition have no target, so they go inert."""
    pdf = pikepdf.open(io.BytesIO(piece))
    if not _internal_links(pdf):
        return piece
    for annotation, _ in _internal_links(pdf):
        del annotation["/A"]
    return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    # deterministic_id: the same pieces always give the same bytes
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _copy(merged: pikepdf.Pdf, value):
    """A foreign object in ``merged``: indirect objects through pikepdf (once each, so
    pages and structure elements stay shared), direct arrays and dictionaries by hand."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return merged.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy(merged, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy(merged, item) for key, item in value.items()})
    return value


def _document_element(tree: pikepdf.Dictionary) -> pikepdf.Dictionary | None:
    kids = tree.get("/K")
    if isinstance(kids, pikepdf.Array):
        kids = kids[0] if len(kids) else None
    return kids


def _next_key(nums: list) -> int:
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys, default=-1) + 1


def _append_pages(merged, piece, document, parent_nums: list, next_key: int) -> int:
    """Copy a piece's pages (and its tagged structure) to the end of ``merged``."""
    tree = piece.Root.get("/StructTreeRoot")
    offset = next_key
    for page in piece.pages:
        merged.pages.append(page)
    if tree is None or document is None:
        return next_key
    # Keys of the piece's parent tree move past the ones already used.
    nums = list(tree.ParentTree.Nums)
    for i in range(0, len(nums), 2):
        parent_nums.append(int(nums[i]) + offset)
        parent_nums.append(_copy(merged, nums[i + 1]))
    count = len(piece.pages)
    for page in list(merged.pages)[-count:]:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + offset
        for annotation in page.obj.get("/Annots") or []:
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset
    piece_document = _document_element(tree)
    if piece_document is not None:
        kids = piece_document.get("/K")
        kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        if not isinstance(document.get("/K"), pikepdf.Array):
            document.K = pikepdf.Array([document.K] if "/K" in document else [])
        for kid in kids:
            local = _copy(merged, kid)
            if isinstance(local, pikepdf.Dictionary):
                local.P = document
            document.K.append(local)
    return offset + _next_key(nums)


def _named_destinations(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.String, pikepdf.Object]]:
    names = pdf.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None:
        return []
    found = []

    def walk(node) -> None:
        flat = node.get("/Names")
        if flat is not None:
            found.extend((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
        for kid in node.get("/Kids") or []:
            walk(kid)

    walk(dests)
    return found


def _internal_links(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Dictionary, str]]:
    found = []
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots") or []:
            action = annotation.get("/A")
            uri = action.get("/URI") if action is not None else None
            if uri is not None and str(uri).startswith(INTERNAL_LINK):
                found.append((annotation, str(uri).removeprefix(INTERNAL_LINK)))
    return found


def _resolve_links(pdf: pikepdf.Pdf, anchors: set[str]) -> None:
    """Links between pieces become links to the named destination (the anchor)."""
    for annotation, anchor in _internal_links(pdf):
        del annotation["/A"]
        if anchor in anchors:
            annotation.Dest = pikepdf.String(anchor)


def _merge_outlines(merged: pikepdf.Pdf, pieces: list[pikepdf.Pdf]) -> None:
    """Each piece's bookmarks, under the front's last top-level one (as one document
    would nest a profile's level-2 headline under the edition's level-1 title)."""
    with merged.open_outline() as outline:
        parent = outline.root[-1].children if outline.root else outline.root
        for piece in pieces:
            with piece.open_outline() as source:
                for item in source.root:
                    parent.append(_copy_item(merged, item))


def _copy_item(merged: pikepdf.Pdf, item) -> pikepdf.OutlineItem:
    destination = item.destination
    if isinstance(destination, pikepdf.Array) and len(destination):
        destination = _copy(merged, destination)
    copied = pikepdf.OutlineItem(item.title, destination)
    copied.is_closed = item.is_closed
    for child in item.children:
        copied.children.append(_copy_item(merged, child))
    return copied
