"""Reading YAML configuration with error messages that name the file, the line, the key and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from workflow.errors import ConfigurationError

T = TypeVar("T", bound=BaseModel)

Location = tuple[str | int, ...]


def _line_map(
    node: yaml.Node | None, path: Location = (), into: dict[Location, int] | None = None
) -> dict[Location, int]:
    """Map every key path in a composed YAML tree to its (1-based) line."""
    lines = {} if into is None else into
    if node is None:
        return lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, str(key_node.value))
            lines[key_path] = key_node.start_mark.line + 1
            _line_map(value_node, key_path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)
    return lines


_GERMAN = {
    "missing": "Pflichtangabe fehlt",
    "extra_forbidden": "unbekannter Schlüssel (Tippfehler?)",
    "int_parsing": "muss eine ganze Zahl sein",
    "int_type": "muss eine ganze Zahl sein",
    "int_from_float": "muss eine ganze Zahl sein",
    "bool_parsing": "muss true oder false sein",
    "bool_type": "muss true oder false sein",
    "string_type": "muss ein Text sein",
    "dict_type": "muss eine Zuordnung (Schlüssel: Wert) sein",
    "list_type": "muss eine Liste sein",
    "tuple_type": "muss eine Liste sein",
    "date_from_datetime_parsing": "muss ein Datum JJJJ-MM-TT sein",
    "date_parsing": "muss ein Datum JJJJ-MM-TT sein",
    "date_type": "muss ein Datum JJJJ-MM-TT sein",
}


def _german(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        return f"ungültiger Wert {error.get('input')!r}; erlaubt: {ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        return f"muss mindestens {ctx.get('ge')} sein"
    if kind == "less_than_equal":
        return f"darf höchstens {ctx.get('le')} sein"
    if kind == "greater_than":
        return f"muss größer als {ctx.get('gt')} sein"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return f"ungültiges Format {error.get('input')!r} (erlaubt: Kleinbuchstaben, Ziffern, '-' und '_')"
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return "darf nicht leer sein" if minimum == 1 else f"braucht mindestens {minimum} Einträge"
    if kind in ("model_type", "dict_type") and not error["loc"]:
        return "die Datei ist leer oder keine Zuordnung (Schlüssel: Wert)"
    if kind == "model_type":
        return "muss eine Zuordnung (Schlüssel: Wert) sein"
    return _GERMAN.get(kind, str(error["msg"]))


def format_key(loc: Location) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(loc: Location, lines: dict[Location, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def parse_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Read a YAML file; a syntax error becomes a ConfigurationError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: Datei nicht gefunden", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: Datei nicht lesbar ({exc})", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f", Zeile {line}" if line else ""
        detail = exc.problem or exc.context
        if exc.context_mark and mark and exc.context_mark.line != mark.line:
            # e.g. an unclosed '{': the problem shows on a later line, the cause is where it was opened.
            detail = f"{detail}; {exc.context} in Zeile {exc.context_mark.line + 1}"
        raise ConfigurationError(
            f"{path}{where}: kein gültiges YAML ({detail})", file=str(path), line=line
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: kein gültiges YAML ({exc})", file=str(path)) from None
    lines = _line_map(node)
    raise_for(path, lines, _structural_problems(node))
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # pragma: no cover - caught above node by node
        raise ConfigurationError(f"{path}: kein gültiges YAML ({exc})", file=str(path)) from None
    return data, lines


def _structural_problems(node: yaml.Node | None, path: Location = ()) -> list[tuple[Location, str]]:
    """What PyYAML would accept silently (a key written twice) or crash on (an impossible date)."""
    problems: list[tuple[Location, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(((*path, key), "Schlüssel steht zweimal in derselben Zuordnung"))
            seen.add(key)
            problems.extend(_structural_problems(value_node, (*path, key)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems.extend(_structural_problems(item, (*path, index)))
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
        try:
            yaml.constructor.SafeConstructor().construct_yaml_timestamp(node)
        except ValueError:
            problems.append(
                (path, f"ungültiges Datum {node.value!r} (erwartet JJJJ-MM-TT, z. B. 2021-04-01)")
            )
    return problems


def raise_for(path: Path, lines: dict[Location, int], problems: list[tuple[Location, str]]) -> None:
    """Raise one ConfigurationError listing every problem with its line and key."""
    if not problems:
        return
    rendered = []
    errors = []
    for loc, message in problems:
        line = _locate(loc, lines)
        key = format_key(loc)
        where = ", ".join(part for part in (f"Zeile {line}" if line else "", key) if part)
        rendered.append(f"{path}, {where}: {message}" if where else f"{path}: {message}")
        errors.append({"line": line, "key": key, "message": message})
    raise ConfigurationError("\n".join(rendered), file=str(path), errors=errors)


def validate(path: Path, data: Any, lines: dict[Location, int], model: type[T]) -> T:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose items failed also reports itself as too short; only the items' errors are news.
        failing_prefixes = {tuple(e["loc"][:-1]) for e in errors if len(e["loc"]) > 1}
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(
                    p[: len(e["loc"])] == tuple(e["loc"]) and len(p) >= len(e["loc"])
                    for p in failing_prefixes
                )
            )
        ]
        raise_for(path, lines, [(tuple(err["loc"]), _german(err)) for err in errors])
    raise AssertionError("unreachable")  # pragma: no cover


def load_yaml_model(path: Path, model: type[T]) -> T:
    data, lines = parse_yaml(path)
    return validate(path, data, lines, model)
