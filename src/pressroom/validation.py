"""Typed schemas validated into diagnostics: every problem at once, each with its line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .diagnostics import Diagnostic
from .yamlsource import FieldPath, LineMap, format_field_path

Model = TypeVar("Model", bound=BaseModel)

_TYPE_NAMES = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "dict": "a mapping",
    "NoneType": "empty",
    "date": "a date",
    "datetime": "a date and time",
}


def validate(
    model: type[Model], data: Any, source: Path, line_map: LineMap
) -> tuple[Model | None, list[Diagnostic]]:
    """Validate ``data`` against ``model``; return the instance (if valid) and all diagnostics.

    Unknown keys are warnings with a did-you-mean hint, so a typo never silently
    drops an editor's data.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        found = _type_name(data)
        return None, [
            Diagnostic(source, line_map.default, None, f"expected key: value pairs, found {found}")
        ]
    diagnostics = list(_unknown_keys(model, data, (), source, line_map))
    try:
        instance = model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            path: FieldPath = tuple(p for p in problem["loc"] if isinstance(p, str | int))
            diagnostics.append(
                Diagnostic(
                    source,
                    line_map.line_of(path),
                    format_field_path(path) or None,
                    _message(problem),
                )
            )
        return None, diagnostics
    return instance, diagnostics


def _message(problem: dict[str, Any]) -> str:
    kind = problem["type"]
    found = _type_name(problem.get("input"))
    if kind == "missing":
        return "required"
    if kind in ("string_type", "str_type"):
        return f"must be text, found {found}"
    if kind == "list_type":
        return f"must be a list, found {found}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be key: value pairs, found {found}"
    if kind in ("int_type", "int_parsing", "float_type", "float_parsing"):
        return f"must be a number, found {found}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, found {found}"
    if kind.startswith("date"):
        return f"{problem.get('input')!r} is not a date; write it as YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        return f"{problem.get('input')!r} is not valid here"
    message = problem["msg"]
    # Messages raised by our own validators arrive as "Value error, <text>".
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return _TYPE_NAMES.get(name, name)


def _unknown_keys(
    model: type[BaseModel], data: dict, path: FieldPath, source: Path, line_map: LineMap
):
    known = {info.alias or name: info for name, info in model.model_fields.items()}
    for key, value in data.items():
        key_path = (*path, key)
        if key not in known:
            hint = difflib.get_close_matches(str(key), list(known), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            yield Diagnostic(
                source,
                line_map.line_of(key_path),
                format_field_path(key_path),
                f"unknown field, ignored{suggestion}",
                "warning",
            )
            continue
        submodel, container = _submodel(known[key].annotation)
        if submodel is None:
            continue
        if container is list and isinstance(value, list):
            children = [((*key_path, i), item) for i, item in enumerate(value)]
        elif container is dict and isinstance(value, dict):
            children = [((*key_path, k), item) for k, item in value.items()]
        elif container is None:
            children = [(key_path, value)]
        else:
            children = []
        for child_path, item in children:
            if isinstance(item, dict):
                yield from _unknown_keys(submodel, item, child_path, source, line_map)


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, type | None]:
    """The BaseModel inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``, and the
    container it sits in (None, list or dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, None
    origin = get_origin(annotation)
    for arg in get_args(annotation):
        found, container = _submodel(arg)
        if found is not None:
            return found, origin if origin in (list, dict) else container
    return None, None
