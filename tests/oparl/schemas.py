"""The OParl 1.1.1 schema files as ``jsonschema`` validators, with what the files leave out made strict.

The files are not used as they are (see ../shared/oparl/README.md): the custom ``"schema": "File.json"``
marker of embedded objects becomes a ``$ref`` (so embedded objects are checked too), ``format: url`` gets
a checker, and ``date-time``/``date`` are checked in the exact form the spec writes (no ``Z``, no
fractions). The files are CC BY-SA and stay in ../shared; they are found through
``GREMIENLAUF_OPARL_SCHEMA_DIR`` or next to the repository, and the tests skip with a reason without them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[2]
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def schema_dir() -> Path | None:
    candidates = [
        os.environ.get("GREMIENLAUF_OPARL_SCHEMA_DIR"),
        str(REPO.parent / "shared" / "oparl" / "schema-1.1.1" / "schema"),
        str(REPO / "shared" / "oparl" / "schema-1.1.1" / "schema"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "Paper.json").is_file():
            return Path(candidate)
    return None


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        if "schema" in node and isinstance(node["schema"], str):
            return {"$ref": node["schema"]}
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return node


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("url")(_is_url)
    checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(DATE_TIME.match(v)))
    checker.checks("date")(lambda v: not isinstance(v, str) or bool(DATE.match(v)))
    return checker


class OparlSchemas:
    def __init__(self, directory: Path) -> None:
        documents = {
            path.name: _rewrite(json.loads(path.read_text(encoding="utf-8")))
            for path in directory.glob("*.json")
        }
        registry: Registry[Any] = Registry().with_resources(
            (name, Resource.from_contents(doc, default_specification=DRAFT7))
            for name, doc in documents.items()
        )
        checker = _checker()
        self.validators = {
            name.removesuffix(".json"): Draft7Validator(doc, registry=registry, format_checker=checker)
            for name, doc in documents.items()
        }

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Every schema violation of ``obj`` (embedded objects included), by its ``type``."""
        type_name = str(obj.get("type", "")).rsplit("/", 1)[-1]
        validator = self.validators.get(type_name)
        if validator is None:
            return [f"unknown type {obj.get('type')!r}"]
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
