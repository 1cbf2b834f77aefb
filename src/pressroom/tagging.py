"""What pressroom adds to WeasyPrint's tagged (PDF/UA) output.

- **Artifacts.** WeasyPrint 70 tags the text of page-margin boxes (running heads,
  folios) as Spans in the content and in the parent tree, but lists those Spans nowhere
  in the structure tree: a screen reader meets content that belongs to nothing. Page
  furniture is what PDF/UA calls an artifact, so that content is marked ``/Artifact``
  instead and its parent-tree entries are cleared.
- **Languages.** WeasyPrint writes the document's language only; an element whose
  ``lang`` differs (an Arabic name in an English story, see ``markup.mark_languages``)
  gets ``/Lang`` on its structure element, so a screen reader switches voice.
"""

from __future__ import annotations

import io
import re

import pikepdf


def mark_orphans_as_artifacts(pdf: bytes) -> bytes:
    """``pdf`` with content whose structure element is not in the tree marked as artifact."""
    document = pikepdf.open(io.BytesIO(pdf))
    root = document.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root:
        return pdf
    reachable = _elements(root)
    nums = root.ParentTree.get("/Nums")
    if nums is None:
        return pdf
    entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    changed = False
    for page in document.pages:
        key = page.obj.get("/StructParents")
        marked = entries.get(int(key)) if key is not None else None
        if not isinstance(marked, pikepdf.Array):
            continue
        orphans = {
            mcid
            for mcid, element in enumerate(marked)
            if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable
        }
        if not orphans:
            continue
        page.contents_coalesce()
        if not _mark_as_written(page, orphans):
            _mark_parsed(page, orphans)
        for mcid in orphans:
            marked[mcid] = None
        changed = True
    if not changed:
        return pdf
    out = io.BytesIO()
    document.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


# A marked-content start as WeasyPrint writes it: "/P <</MCID 7>> BDC".
_MARKED = re.compile(rb"/[^\s/<>\[\]()%]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _mark_as_written(page, orphans: set[int]) -> bool:
    """Mark ``orphans`` in the content as WeasyPrint wrote it (a page's content has
    thousands of instructions: parsing them all takes a second on a long contents list);
    False if the page's marks are not all written that way."""
    found = 0

    def swap(match: re.Match) -> bytes:
        nonlocal found
        if int(match[1]) in orphans:
            found += 1
            return b"/Artifact BMC"
        return match[0]

    content = _MARKED.sub(swap, page.obj.Contents.read_bytes())
    if found != len(orphans):
        return False
    page.obj.Contents.write(content)
    return True


def _mark_parsed(page, orphans: set[int]) -> None:
    instructions = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "BDC" and len(operands) == 2:
            properties = operands[1]
            mcid = properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
            if mcid is not None and int(mcid) in orphans:
                operands, operator = [pikepdf.Name("/Artifact")], pikepdf.Operator("BMC")
        instructions.append((operands, operator))
    page.obj.Contents.write(pikepdf.unparse_content_stream(instructions))


def _elements(root) -> set[tuple[int, int]]:
    """Every structure element reachable from the root (object ids)."""
    seen: set[tuple[int, int]] = set()
    stack = [root.get("/K")]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            if "/K" in node and node.get("/Type") not in ("/MCR", "/OBJR"):
                stack.append(node.K)
    return seen


_LANGUAGES_INSTALLED = False


def install_language_tags() -> None:
    """Give structure elements the ``lang`` of their HTML element, where it differs from
    the document's. WeasyPrint 70 builds the tree in ``pdf.tags._build_box_tree``, a
    generator called for each box (and by itself for its children): wrapping it sees
    every element with the box it came from. Pinned with WeasyPrint (<71); the tagging
    tests fail if a new release moves it."""
    global _LANGUAGES_INSTALLED
    if _LANGUAGES_INSTALLED:
        return
    import pydyf
    from weasyprint.pdf import tags

    build = tags._build_box_tree

    def build_with_languages(box, parent, pdf, *args):
        source = getattr(box, "_box", box)  # absolutely placed boxes
        element = getattr(source, "element", None)
        lang = element.get("lang") if element is not None and hasattr(element, "get") else None
        document_lang = getattr(pdf.catalog.get("Lang"), "string", None)
        for structure in build(box, parent, pdf, *args):
            if lang and lang != document_lang and "Lang" not in structure:
                structure["Lang"] = pydyf.String(lang)
            yield structure

    tags._build_box_tree = build_with_languages
    _LANGUAGES_INSTALLED = True
