"""Layout variables: a layout's documented knobs (accent colour, fonts, columns...).

A layout declares its variables with defaults in ``layout.yaml``; a workspace
(``pressroom.yaml``), an edition and a profile may override them, in that order.
Each variable reaches the CSS as a custom property (``accent`` -> ``--accent``),
the page rules (``page_size``, ``margins``), or only the templates (``vars``).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Value = str | int | float | bool

# Values are pasted into CSS: refuse anything that could end a declaration or a rule.
_UNSAFE = re.compile(r"[;{}<>\\]|/\*|url\s*\(|@import", re.I)
_HEX = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$", re.I)


class VariableSpec(BaseModel):
    """One variable as ``layout.yaml`` declares it."""

    model_config = ConfigDict(extra="ignore")

    default: Value | None = None
    description: str = ""
    choices: list[Value] | None = None
    target: Literal["css", "page", "template"] = "css"
    cmyk: str | None = None  # the default for formats that print in CMYK (colours)


class VariableProblem(Exception):
    """A variable override that cannot be used, with its name."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(message)


def check_value(name: str, value: Any, spec: VariableSpec) -> Value:
    """Validate an override against its declaration; raise :class:`VariableProblem`."""
    if not isinstance(value, Value):
        raise VariableProblem(name, f"must be text, a number or true/false, found {value!r}")
    if spec.choices is not None and value not in spec.choices:
        options = ", ".join(str(c) for c in spec.choices)
        raise VariableProblem(name, f"{value!r} is not one of: {options}")
    if isinstance(value, str) and (
        _UNSAFE.search(value) or "\n" in value or "\r" in value or not _strings_closed(value)
    ):
        raise VariableProblem(name, f"{value!r} is not a plain CSS value")
    return value


def _strings_closed(value: str) -> bool:
    """Every quoted string in ``value`` ends: an open quote would run on past the
    declaration and swallow the rules after it."""
    quote = None
    for char in value:
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
    return quote is None


def unknown_hint(name: str, declared: dict[str, VariableSpec]) -> str:
    close = difflib.get_close_matches(name, list(declared), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def resolve(
    declared: dict[str, VariableSpec], *overrides: dict[str, Any], cmyk: bool = False
) -> dict[str, Value | None]:
    """Defaults, then each mapping of overrides in turn (later ones win).

    Unknown names and bad values are skipped here; :func:`problems` reports them.
    In CMYK formats a colour keeps its CMYK default unless overridden, and an
    overriding ``#rrggbb`` colour is converted.
    """
    values: dict[str, Value | None] = {}
    for name, spec in declared.items():
        values[name] = spec.cmyk if cmyk and spec.cmyk else spec.default
    for layer in overrides:
        for name, value in (layer or {}).items():
            if name not in declared:
                continue
            try:
                value = check_value(name, value, declared[name])
            except VariableProblem:
                continue
            values[name] = rgb_to_cmyk(value) if cmyk and isinstance(value, str) else value
    return values


def problems(declared: dict[str, VariableSpec], overrides: dict[str, Any]) -> list[VariableProblem]:
    found = []
    for name, value in (overrides or {}).items():
        if name not in declared:
            found.append(VariableProblem(name, f"unknown variable{unknown_hint(name, declared)}"))
            continue
        try:
            check_value(name, value, declared[name])
        except VariableProblem as problem:
            found.append(problem)
    return found


def css_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def css_value(value: Value | None) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def root_css(declared: dict[str, VariableSpec], values: dict[str, Value | None]) -> str:
    """``:root { --accent: ...; }`` for every CSS variable."""
    lines = [
        f"  {css_name(name)}: {css_value(values[name])};"
        for name, spec in declared.items()
        if spec.target == "css" and values.get(name) not in (None, "")
    ]
    return ":root {\n" + "\n".join(lines) + "\n}\n" if lines else ""


def inline_style(declared: dict[str, VariableSpec], values: dict[str, Value | None]) -> str:
    """The CSS variables that differ from ``values``' defaults, for a ``style`` attribute."""
    return " ".join(
        f"{css_name(name)}: {css_value(value)};"
        for name, value in values.items()
        if name in declared and declared[name].target == "css" and value not in (None, "")
    )


def rgb_to_cmyk(value: str) -> str:
    """``#a4262c`` -> ``device-cmyk(...)``: a naive conversion for user colours in print."""
    match = _HEX.match(value.strip())
    if not match:
        return value
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    k = 1 - max(r, g, b)
    if k >= 1:
        return "device-cmyk(0 0 0 1)"
    c, m, y = ((1 - x - k) / (1 - k) for x in (r, g, b))
    return f"device-cmyk({c:.2f} {m:.2f} {y:.2f} {k:.2f})"
