"""Safe YAML loading that remembers the line of every key and list item.

Validation errors must point at a line in the user's file, so the loader keeps
a map from field paths such as ``("facts", 2, "value")`` to 1-based line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import ContentError, Diagnostic

FieldPath = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: the schemas parse them, so an
    impossible date like 2021-13-01 becomes a field error, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

if yaml.__with_libyaml__:

    class _FastLoader(yaml.CSafeLoader):
        """The same loader with libyaml's parser: ten times faster on a clean file.
        A file it cannot read is read again by the pure-Python loader, whose error
        messages (line, column, context) are the ones pressroom reports."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _LOADERS: tuple[type, ...] = (_FastLoader, _Loader)
else:  # pragma: no cover - PyYAML's wheels include libyaml
    _LOADERS = (_Loader,)


@dataclass
class LineMap:
    """Field path -> line number, with lookups that fall back to the nearest parent."""

    lines: dict[FieldPath, int] = field(default_factory=dict)
    default: int = 1

    def line_of(self, path: FieldPath) -> int:
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return self.default


def format_field_path(path: FieldPath) -> str:
    """``("facts", 2, "value")`` -> ``facts[2].value``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def load_yaml(
    text: str, source: Path, first_line: int = 1, max_nodes: int = 20_000
) -> tuple[Any, LineMap]:
    """Parse ``text`` (which starts at ``first_line`` of ``source``) with YAML's safe loader.

    Raises :class:`ContentError` with the line and column of a syntax error, for
    tags that would build Python objects, and for documents that expand (through
    aliases, the "billion laughs") to more than ``max_nodes`` values.
    """
    for loader_class in _LOADERS[:-1]:
        try:
            return _load(loader_class, text, source, first_line, max_nodes)
        except (ContentError, yaml.YAMLError, ValueError, TypeError):
            pass  # read it again, below, for the message
    return _load(_LOADERS[-1], text, source, first_line, max_nodes)


MAX_DEPTH = 100  # nesting levels: real content has a handful; 1,000 would crash the parser
MAX_DIGITS = 4000  # Python refuses to read longer numbers (sys.get_int_max_str_digits)


def _load(loader_class: type, text: str, source: Path, first_line: int, max_nodes: int):
    node = None
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as error:  # a NUL byte or another control character
        raise ContentError([_reader_problem(error, text, source, first_line)]) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, source, first_line, max_nodes)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as error:
        raise ContentError([_reader_problem(error, text, source, first_line)]) from None
    except RecursionError:
        message = f"YAML nested too deeply (more than {MAX_DEPTH} levels)"
        raise ContentError([Diagnostic(source, first_line, None, message)]) from None
    except yaml.constructor.ConstructorError as error:
        # Tags that would build Python objects (!!python/object...): refused, not a typo.
        mark = error.problem_mark
        line = first_line + mark.line if mark else first_line
        field = _field_at(node, line, first_line) if node is not None else None
        tag = (error.problem or "").rsplit("tag ", 1)[-1].strip("'")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        message = (
            f"the YAML tag {tag} would make a program object; pressroom reads plain values "
            "only (text, numbers, dates, lists, mappings)"
        )
        raise ContentError([Diagnostic(source, line, field, message)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark else first_line
        column = f", column {mark.column + 1}" if mark else ""
        message = f"YAML syntax error{column}: {error.problem or error.context or 'invalid YAML'}"
        if error.problem and error.context and error.context_mark is not None:
            started = first_line + error.context_mark.line
            message += f" ({error.context} that starts on line {started})"
        raise ContentError([Diagnostic(source, line, None, message)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise ContentError([Diagnostic(source, first_line, None, f"YAML error: {error}")]) from None
    finally:
        loader.dispose()
    line_map = LineMap(default=first_line)
    if node is not None:
        _record_lines(node, (), line_map, first_line)
    return data, line_map


def _reader_problem(error, text: str, source: Path, first_line: int) -> Diagnostic:
    position = getattr(error, "position", 0) or 0
    line = first_line + text[:position].count("\n")
    character = getattr(error, "character", None)
    if isinstance(character, str) and character:
        character = ord(character)
    code = f"U+{character:04X}" if isinstance(character, int) else "a byte"
    return Diagnostic(source, line, None, f"a control character ({code}) YAML does not allow")


def _field_at(root: yaml.Node, line: int, first_line: int) -> str | None:
    """The field whose key is on ``line`` (or the nearest one above it)."""
    line_map = LineMap(default=first_line)
    _record_lines(root, (), line_map, first_line)
    above = [(at, -len(path), path) for path, at in line_map.lines.items() if at <= line]
    return format_field_path(max(above)[2]) if above else None


def _check_size(root: yaml.Node, source: Path, first_line: int, max_nodes: int) -> None:
    """Count values as if aliases were expanded, stopping as soon as the limit is passed;
    refuse nesting deeper than ``MAX_DEPTH`` and numbers Python will not read."""
    count = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            message = f"YAML nested too deeply (more than {MAX_DEPTH} levels)"
            raise ContentError(
                [Diagnostic(source, first_line + node.start_mark.line, None, message)]
            )
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag.endswith(":int")
            and len(node.value) > MAX_DIGITS
        ):
            message = (
                f"a number of {len(node.value):,} digits, more than anyone can read; if it is "
                "text, put it in quotes"
            )
            raise ContentError(
                [Diagnostic(source, first_line + node.start_mark.line, None, message)]
            )
        if count > max_nodes:
            line = first_line + root.start_mark.line
            raise ContentError(
                [
                    Diagnostic(
                        source,
                        line,
                        None,
                        f"YAML expands to more than {max_nodes:,} values (aliases included); "
                        "limits.yaml_nodes",
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [(key, depth + 1), (value, depth + 1)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(value, depth + 1) for value in node.value]


def _record_lines(node: yaml.Node, path: FieldPath, line_map: LineMap, first_line: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            line_map.lines[child] = first_line + key_node.start_mark.line
            _record_lines(value_node, child, line_map, first_line)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            line_map.lines[child] = first_line + item.start_mark.line
            _record_lines(item, child, line_map, first_line)
