"""Starting points: a child layout and a profile with every field shown. Never overwrites."""

from __future__ import annotations

from pathlib import Path

from .config import Workspace
from .diagnostics import PressroomError, display_path
from .layouts import LAYOUT_FILE, find_layout
from .markup import slugify


class ScaffoldError(PressroomError):
    """The scaffold cannot be written (it exists already, or the name is unusable)."""


def new_layout(workspace: Workspace, name: str, parent: str = "magazine") -> list[Path]:
    """``layouts/NAME``: a layout that extends ``parent`` and renders as it is."""
    if slugify(name) != name:
        raise ScaffoldError(
            f"'{name}' is not a layout name; use lower-case letters, digits and '-'"
        )
    base = find_layout(parent, workspace)
    folder = workspace.layouts_dir / name
    if folder.exists():
        raise ScaffoldError(
            f"{display_path(folder, workspace.root)} already exists; nothing written"
        )
    variables = "\n".join(
        f"#   {var}: {spec.default!r}  # {spec.description}"
        for var, spec in list(base.variables.items())[:4]
    )
    files = {
        folder / LAYOUT_FILE: (
            f"name: {name}\n"
            f"description: My publication's take on the {parent} layout.\n"
            f"extends: {parent}\n"
            "# Added after the parent's stylesheets, so its rules win.\n"
            f"stylesheets: [{name}.css]\n"
            "# Variables are inherited; override defaults here, or declare new ones:\n"
            f"# variables:\n{variables}\n"
        ),
        folder / f"{name}.css": (
            f"/* Rules for the {name} layout, applied after the {parent} layout's CSS.\n"
            "   Variables from layout.yaml are custom properties: var(--accent)... */\n\n"
            ".kicker { letter-spacing: 0.2em; }\n"
        ),
        folder / "README.md": (
            f"# Layout `{name}`\n\n"
            f"Extends `{parent}`. To change one piece, copy only that template here from\n"
            f"the parent (for example `partials/factbox.html.j2`), or replace one block:\n\n"
            "```jinja\n"
            f'{{% extends "builtin/{parent}/profile.html.j2" %}}\n'
            "{% block head %}<!-- extra tags -->{% endblock %}\n"
            "```\n\n"
            "`pressroom layouts` lists every layout and its variables.\n"
        ),
    }
    folder.mkdir(parents=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


PROFILE_TEMPLATE = """\
---
title: {title}                    # required
kicker: Profile                         # the small line above the headline
dek: >-
  One or two sentences that tell the reader why this person matters now.
byline: Your Name
date: {today}                        # YYYY-MM-DD
lang: en                                # BCP 47: en, en-GB, fr, ar...
tags: [profile]
# slug: {slug}                          # default: the file name
# layout: magazine                      # default: pressroom.yaml's layout
# Uncomment once the picture is in place (a missing file is an error):
# illustration:
#   src: ../../assets/illustrations/{slug}.svg   # relative to this file
#   alt: Describe the picture for readers who cannot see it.   # required
#   credit: Illustration by Someone     # required, unless credits.yaml lists the picture
#   caption: A line under the picture.
#   status: final                       # or fpo: a stand-in, for position only
#   focus: 50% 40%                      # the point crops keep in frame (across, down)
facts:                                  # the fact box, in this order
  - label: Born
    value: 1970, Somewhere
  - label: Occupation
    value: Something remarkable
timeline:                               # dates: YYYY, YYYY-MM or YYYY-MM-DD
  - date: 1970
    event: Born.
  - date: 2000-06
    event: Something happened.
related: []                             # slugs of other profiles
fictional: false                        # true for invented subjects
# variables:                            # layout variables for this profile only
#   accent: "#1d4a63"
---

The first paragraph opens with a drop cap. Write the profile in Markdown:
*emphasis*, [links](https://example.org), lists and footnotes.[^1]

## A section heading

::: pullquote
A line worth repeating, set large between two rules.
:::

[^1]: Footnotes are set at the foot of the page.
"""


def new_profile(workspace: Workspace, slug: str, today: str) -> Path:
    """``content/profiles/SLUG.md`` with every field of the format shown."""
    if slugify(slug) != slug:
        raise ScaffoldError(f"'{slug}' is not a slug; use lower-case letters, digits and '-'")
    path = workspace.profiles_dir / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{display_path(path, workspace.root)} already exists; nothing written")
    title = slug.replace("-", " ").title()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROFILE_TEMPLATE.format(title=title, slug=slug, today=today), encoding="utf-8")
    return path
