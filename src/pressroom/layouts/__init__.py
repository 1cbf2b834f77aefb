"""Layouts: finding them, and turning a profile or an edition's piece into HTML.

- ``lookup``: ``layout.yaml``, the ``extends`` chain, the search path
- ``environment``: the Jinja sandbox, confined loader, filters, template errors
- ``languages``: direction, dates, quotation marks, digits, labels
- ``views``: the template context built (typed objects of :mod:`pressroom.context`)
- ``documents``: profile and edition pieces as :class:`pressroom.render.HtmlDocument`
"""

from .documents import (
    render_edition_html,
    render_profile_html,
    variable_diagnostics,
    variable_values,
)
from .environment import make_environment
from .languages import format_any_date, locale_for, localise_digits, quotes_for, text_direction
from .lookup import (
    DEFAULT_FORMAT,
    EDITION_TEMPLATE,
    LAYOUT_FILE,
    PROFILE_TEMPLATE,
    FitStep,
    FittingSpec,
    Layout,
    LayoutSpec,
    available_layouts,
    builtin_layouts_dir,
    find_layout,
    layout_dirs,
)
from .views import (
    factbox_height_mm,
    image_records,
    length_mm,
    place_boxes,
    profile_context,
    profile_view,
)

__all__ = [
    "DEFAULT_FORMAT",
    "EDITION_TEMPLATE",
    "LAYOUT_FILE",
    "PROFILE_TEMPLATE",
    "FitStep",
    "FittingSpec",
    "Layout",
    "LayoutSpec",
    "available_layouts",
    "builtin_layouts_dir",
    "factbox_height_mm",
    "find_layout",
    "format_any_date",
    "image_records",
    "layout_dirs",
    "length_mm",
    "locale_for",
    "localise_digits",
    "make_environment",
    "place_boxes",
    "profile_context",
    "profile_view",
    "quotes_for",
    "render_edition_html",
    "render_profile_html",
    "text_direction",
    "variable_diagnostics",
    "variable_values",
]
