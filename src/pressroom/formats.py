"""Output formats: the forms a document ships in (print, screen, archive...).

A format is a named set of settings. Three are built in; ``pressroom.yaml`` may
change any of their settings or define new formats::

    formats:
      print: {bleed: 5mm, icc_profile: profiles/FOGRA39.icc}
      proof: {description: Low-resolution proofs, image_dpi: 72}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from .credits import FpoPolicy, Usage

PDF_VARIANTS = (
    "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u",
    "pdf/a-1a", "pdf/a-2a", "pdf/a-3a", "pdf/ua-1", "pdf/x-1a", "pdf/x-3", "pdf/x-4",
)  # fmt: skip

# The CMYK output intent when the workspace names none: a generic profile pressroom
# makes itself (see icc.py; the free press profiles are not under a licence that fits
# this project). A print shop names the profile it wants: formats.print.icc_profile.
GENERIC_CMYK_PROFILE = "icc/pressroom-generic-cmyk.icc"  # under the built-in assets


class OutputFormat(BaseModel):
    """How one output format renders and writes PDFs."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    description: str = ""
    bleed: str = Field("0mm", description="Bleed around the trim box, a CSS length.")
    marks: list[Literal["crop", "cross"]] = Field([], description="Printer's marks.")
    color: Literal["rgb", "cmyk"] = Field("rgb", description="Colour space of the layout.")
    icc_profile: str | None = Field(None, description="CMYK output intent profile (a path).")
    links: bool = Field(True, description="Live links and clickable references.")
    tagged: bool = Field(False, description="Tagged PDF, with alt texts, for accessibility.")
    pdf_variant: str | None = Field(None, description="A PDF standard: pdf/x-4, pdf/ua-1...")
    image_dpi: int | None = Field(None, description="Downsample images above this resolution.")
    jpeg_quality: int | None = Field(None, description="JPEG quality (0-95) for images.")
    attach_sources: bool = Field(False, description="Attach each profile's Markdown source.")
    blank_pages: Literal["keep", "drop"] = Field(
        "keep",
        description="Pages left blank so a profile opens on a recto: keep (for binding) or "
        "drop (for reading on screen; folios stay as in print).",
    )
    usage: Usage | None = Field(
        None,
        description="The use image rights must cover (print, screen, archive); "
        "default: the format's name when it is one of those.",
    )
    fpo: FpoPolicy = Field(
        "warn", description="FPO (for position only) art: allow, warn or error (print)."
    )

    _variant = field_validator("pdf_variant")(lambda value: _check_variant(value))
    _quality = field_validator("jpeg_quality")(lambda value: _check_quality(value))


def _check_variant(value: str | None) -> str | None:
    if value is not None and value not in PDF_VARIANTS:
        raise ValueError(f"{value!r} is not a PDF variant; use one of {', '.join(PDF_VARIANTS)}")
    return value


def _check_quality(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 95:
        raise ValueError("must be between 0 and 95")
    return value


# A format as written in ``pressroom.yaml``: every setting of OutputFormat (but its name),
# optional, with the same checks. Derived, so the two never disagree on a field.
FormatSettings = create_model(
    "FormatSettings",
    __config__=ConfigDict(extra="ignore"),
    __doc__="A format as written in pressroom.yaml: every setting optional.",
    __validators__={
        "_variant": field_validator("pdf_variant")(lambda cls, value: _check_variant(value)),
        "_quality": field_validator("jpeg_quality")(lambda cls, value: _check_quality(value)),
    },
    **{
        name: (Optional[info.annotation], Field(None, description=info.description))  # noqa: UP045
        for name, info in OutputFormat.model_fields.items()
        if name != "name"
    },
)


BUILTIN_FORMATS: dict[str, OutputFormat] = {
    "print": OutputFormat(
        name="print",
        description="For the printer: trim plus 3 mm bleed, crop and cross marks, CMYK "
        "with an output intent (PDF/X-4), images at full resolution, no links",
        bleed="3mm",
        marks=["crop", "cross"],
        color="cmyk",
        links=False,
        pdf_variant="pdf/x-4",
        fpo="error",
    ),
    "screen": OutputFormat(
        name="screen",
        description="For reading on screen: RGB, links and outline, images at 150 dpi, "
        "tagged PDF (PDF/UA-1) carrying the alt texts",
        tagged=True,
        pdf_variant="pdf/ua-1",
        image_dpi=150,
        jpeg_quality=85,
        blank_pages="drop",
    ),
    "archive": OutputFormat(
        name="archive",
        description="For the archive: PDF/A-3b, with each profile's Markdown source attached",
        pdf_variant="pdf/a-3b",
        attach_sources=True,
    ),
}


def resolve_formats(settings: dict[str, FormatSettings]) -> dict[str, OutputFormat]:
    """Built-in formats with the workspace's changes applied, plus its own formats."""
    formats = dict(BUILTIN_FORMATS)
    for name, change in settings.items():
        base = formats.get(name, OutputFormat(name=name))
        updates = change.model_dump(exclude_none=True)
        formats[name] = OutputFormat.model_validate({**base.model_dump(), **updates, "name": name})
    return formats


def cmyk_profile(output_format: OutputFormat, root: Path, assets: Path) -> Path:
    """The ICC profile for a CMYK format's output intent: the configured one, else the
    generic one shipped in the built-in ``assets`` folder."""
    if output_format.icc_profile:
        return (root / output_format.icc_profile).resolve()
    return assets / GENERIC_CMYK_PROFILE


def format_css(output_format: OutputFormat, icc: Path | None) -> str:
    """Page and colour rules a format adds on top of the layout's CSS."""
    rules = []
    # Marks are drawn after layout, in a slug beyond the bleed (pressroom.prepress):
    # WeasyPrint's own sit inside the bleed, where full-bleed art hides them.
    rules.append(f"@page {{ bleed: {output_format.bleed}; marks: none; }}")
    if output_format.color == "cmyk" and icc is not None:
        rules.append(
            f"@color-profile device-cmyk {{ src: url({icc.as_uri()}); "
            "components: cyan, magenta, yellow, black; }"
        )
    return "\n".join(rules) + "\n"
