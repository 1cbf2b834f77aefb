"""Real writers' documents, made in the tests: .docx with python-docx, .odt with odfdo.

python-docx has no API for footnotes, hyperlinks, tracked changes or alt text, so those
are written as the WordprocessingML that Word itself writes.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from PIL import Image

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def png(width: int = 240, height: int = 160, colour=(180, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def _w(fragment: str):
    """Parse a WordprocessingML fragment written with the w: and r: prefixes."""
    import re

    from docx.oxml import parse_xml

    return parse_xml(re.sub(r"^<([\w:]+)", rf'<\1 xmlns:w="{W}" xmlns:r="{R}"', fragment, count=1))


class WordDocument:
    """A .docx as a writer makes it: styles, pictures, tables, notes, comments, changes."""

    def __init__(self) -> None:
        import docx

        self.document = docx.Document()
        self._footnotes: list[str] = []
        self._change_id = 100

    # -- metadata --

    def properties(self, title="", author="", created: dt.datetime | None = None) -> None:
        core = self.document.core_properties
        core.title, core.author = title, author
        if created:
            core.created = created

    def language(self, lang: str, bidi: str = "") -> None:
        """The document's default language, as Word stores it in styles.xml."""
        styles = self.document.styles.element
        defaults = styles.find(f"{{{W}}}docDefaults")
        run_properties = defaults.find(f"{{{W}}}rPrDefault").find(f"{{{W}}}rPr")
        for old in run_properties.findall(f"{{{W}}}lang"):
            run_properties.remove(old)
        extra = f' w:bidi="{bidi}"' if bidi else ""
        run_properties.append(_w(f'<w:lang w:val="{lang}" w:eastAsia="zh-CN"{extra}/>'))

    # -- blocks --

    def paragraph(self, text: str = "", style: str | None = None):
        return self.document.add_paragraph(text, style=style)

    def heading(self, text: str, level: int = 1):
        return self.document.add_heading(text, level=level)

    def picture(self, data: bytes, alt: str = "", caption: str = "") -> None:
        from docx.shared import Inches

        self.document.add_picture(io.BytesIO(data), width=Inches(3))
        if alt:
            inline = self.document.paragraphs[-1]._p.xpath(".//wp:docPr")[0]
            inline.set("descr", alt)
        if caption:
            self.document.add_paragraph(caption, style="Caption")

    def table(self, rows: list[list[str]]) -> None:
        table = self.document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text

    # -- inline pieces --

    def link(self, paragraph, text: str, url: str) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE

        rid = self.document.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        paragraph._p.append(
            _w(
                f'<w:hyperlink r:id="{rid}"><w:r><w:t xml:space="preserve">{text}</w:t></w:r>'
                "</w:hyperlink>"
            )
        )

    def footnote(self, paragraph, text: str) -> None:
        self._footnotes.append(text)
        number = len(self._footnotes)
        paragraph._p.append(
            _w(
                f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                f'<w:footnoteReference w:id="{number}"/></w:r>'
            )
        )

    def insertion(self, paragraph, text: str) -> None:
        self._tracked_change(paragraph, "w:ins", "w:t", text)

    def deletion(self, paragraph, text: str) -> None:
        self._tracked_change(paragraph, "w:del", "w:delText", text)

    def _tracked_change(self, paragraph, tag: str, text_tag: str, text: str) -> None:
        self._change_id += 1
        paragraph._p.append(
            _w(
                f'<{tag} w:id="{self._change_id}" w:author="Editor" w:date="2024-01-01T00:00:00Z">'
                f'<w:r><{text_tag} xml:space="preserve">{text}</{text_tag}></w:r></{tag}>'
            )
        )

    def comment(self, paragraph, text: str) -> None:
        self.document.add_comment(paragraph.runs[0], text=text, author="Editor")

    # -- saving --

    def save(self, path: Path) -> Path:
        if self._footnotes:
            self._add_footnotes_part()
        self.document.save(path)
        return path

    def _add_footnotes_part(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        notes = "".join(
            f'<w:footnote w:id="{n}"><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r>'
            "</w:p></w:footnote>"
            for n, text in enumerate(self._footnotes, start=1)
        )
        xml = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:footnotes xmlns:w="{W}">'
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            "</w:footnote>"
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            "<w:continuationSeparator/></w:r></w:p></w:footnote>"
            f"{notes}</w:footnotes>"
        )
        part = Part(
            PackURI("/word/footnotes.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
            xml.encode("utf-8"),
            self.document.part.package,
        )
        self.document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
