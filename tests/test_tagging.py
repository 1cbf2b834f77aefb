"""Page furniture marked as artifact, on content as WeasyPrint writes it and otherwise."""

from __future__ import annotations

import io

import pikepdf
import pytest

from pressroom.tagging import mark_orphans_as_artifacts


def tagged_page(content: bytes) -> bytes:
    """One page whose marked contents 0 and 1 are in the parent tree; only 1 is in the
    structure tree (0 is a running head WeasyPrint tagged but listed nowhere)."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0].obj
    page.Contents = pdf.make_stream(content)
    page.StructParents = 0
    head = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Span))
    text = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P))
    document = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=[text])
    )
    pdf.Root.StructTreeRoot = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot,
            K=document,
            ParentTree=pikepdf.Dictionary(Nums=[0, pikepdf.Array([head, text])]),
        )
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"/Span <</MCID 0>> BDC BT ET EMC\n/P <</MCID 1>> BDC BT ET EMC",  # as WeasyPrint writes
        b"/Span<</MCID 0/Lang(en)>>BDC BT ET EMC /P<</MCID 1>>BDC BT ET EMC",  # another way
    ],
)
def test_orphaned_marks_become_artifacts_and_the_rest_stays(content):
    marked = pikepdf.open(io.BytesIO(mark_orphans_as_artifacts(tagged_page(content))))
    operators = [
        (str(op), [str(x) for x in operands if isinstance(x, pikepdf.Name)])
        for operands, op in pikepdf.parse_content_stream(marked.pages[0])
        if str(op) in ("BDC", "BMC")
    ]
    assert operators == [("BMC", ["/Artifact"]), ("BDC", ["/P"])]
    entry = marked.Root.StructTreeRoot.ParentTree.Nums[1]
    assert entry[0] is None and entry[1].S == "/P"  # the orphan's entry cleared
