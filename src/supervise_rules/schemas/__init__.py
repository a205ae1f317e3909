"""JSON Schemas generated from the pydantic models, for editors and other tools.

``ruleset.schema.json`` (shipped next to this module) describes ruleset YAML
files: the keys of :class:`~supervise_rules.rules.RulesetFile` and, for each
built-in validator, the ``params`` it accepts. With the YAML language server
(VS Code's YAML extension, …) a ruleset file that starts with::

    # yaml-language-server: $schema=<path or URL of ruleset.schema.json>

is validated and completed as it is typed. ``supervise-check schema ruleset``
prints the same schema, including the validators of installed plugins.
A test regenerates the shipped file and fails when it is stale; refresh it with
``python -m supervise_rules.schemas``.

``supervise-check schema submission`` prints the schema of a submission in its
JSON form (:func:`submission_schema`), generated from the table specs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plugins import PluginHost

SCHEMA_DIR = Path(__file__).parent
RULESET_SCHEMA = SCHEMA_DIR / "ruleset.schema.json"
RULESET_SCHEMA_ID = "https://supervise-rules.invalid/schemas/ruleset.schema.json"

SUBMISSION_SCHEMA_ID = "https://supervise-rules.invalid/schemas/submission.schema.json"

SCHEMAS = ("ruleset", "submission")


def ruleset_schema(host: PluginHost | None = None) -> dict[str, Any]:
    """The JSON Schema of a ruleset file.

    :param host: whose validators' ``Params`` to include (default: the
        built-in validators only, as in the shipped file).
    """
    from ..plugins import get_plugin_host
    from ..rules import RulesetFile

    if host is None:
        host = get_plugin_host(entry_points=False)
    schema = RulesetFile.model_json_schema(by_alias=True, mode="validation")
    defs = schema.setdefault("$defs", {})
    branches = []
    for name in sorted(host.validators):
        params_model = host.validators[name].Params
        params_schema = params_model.model_json_schema(
            by_alias=True, mode="validation", ref_template="#/$defs/{model}"
        )
        defs.update(params_schema.pop("$defs", {}))
        key = f"params_{name}"
        defs[key] = params_schema
        branches.append(
            {
                "if": {"properties": {"validator": {"const": name}}, "required": ["validator"]},
                "then": {"properties": {"params": {"$ref": f"#/$defs/{key}"}}},
            }
        )
    rule = defs.get("Rule")
    if rule is not None and branches:
        rule["allOf"] = branches
        rule["properties"]["validator"]["examples"] = sorted(host.validators)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RULESET_SCHEMA_ID,
        **schema,
        "$defs": dict(sorted(defs.items())),
    }


#: text forms of numbers the readers take (thousands separators, surrounding spaces)
_INT_TEXT = r"^\s*[+-]?(\d+|\d{1,3}(,\d{3})+)(\.0*)?\s*$"
_NUMBER_TEXT = r"^\s*[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?([eE][+-]?\d+)?\s*$"
_RATIO_TEXT = r"^\s*[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?([eE][+-]?\d+)?\s*%?\s*$"


def _value_schema(column: Any, *, nullable: bool) -> dict[str, Any]:
    """What a JSON value of one column may be: what the JSON reader reads
    cleanly (numbers or their text forms, codes, ISO dates)."""
    from ..readers.normalize import BOOLEANS

    match column.kind:
        case "int":
            branches: list[dict[str, Any]] = [{"type": "integer"}, {"type": "string", "pattern": _INT_TEXT}]
        case "float":
            branches = [{"type": "number"}, {"type": "string", "pattern": _NUMBER_TEXT}]
        case "ratio":
            branches = [{"type": "number"}, {"type": "string", "pattern": _RATIO_TEXT}]
        case "bool":
            texts = sorted({f(t) for t in BOOLEANS for f in (str, str.upper, str.title)})
            branches = [{"type": "boolean"}, {"enum": [0, 1]}, {"type": "string", "enum": texts}]
        case "date":
            branches = [{"type": "string", "format": "date"}]
        case "enum":
            branches = [{"type": "string", "enum": list(column.labels)}]
        case _:  # text: an id written as a JSON number is read as its digits
            branches = [{"type": "string"}, {"type": "integer"}]
    if nullable:
        branches.append({"type": "null"})
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _column_schema(column: Any, *, nullable: bool = True) -> dict[str, Any]:
    from ..contract import KINDS, header_with_unit, own_description, unit_text

    kind_zh, kind_en, _ = KINDS.get(column.kind, (column.kind, column.kind, ""))
    parts = [header_with_unit(column), f"{kind_en} ({kind_zh})"]
    if column.unit:
        parts.append(f"unit: {unit_text(column.unit)}")
    if column.labels:
        parts.append("codes: " + ", ".join(f"{c} = {lb}" for c, lb in column.labels.items()))
    if column.required:
        parts.append("required")
    if own_description(column):
        parts.append(own_description(column))
    schema: dict[str, Any] = {"title": column.zh, "description": "; ".join(parts)}
    schema.update(_value_schema(column, nullable=nullable and not column.required))
    schema["x-kind"] = column.kind
    if column.unit:
        schema["x-unit"] = column.unit
    if column.labels:
        schema["x-labels"] = dict(column.labels)
    if column.aliases:
        schema["x-aliases"] = list(column.aliases)
    return schema


def submission_schema(host: PluginHost | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a submission as one JSON document:
    ``{"manifest": {...}, "schools": [{...}, ...], ...}`` with the contract's
    English keys. Chinese headers are the titles; units, codes and whether a
    column is required are in the descriptions.

    Values are what the JSON reader reads without a finding: numbers as JSON
    numbers or text (``"1,862"``, ``"93.72%"``), codes (``public``), ISO dates
    (``format: date``), booleans or 是/否, ``null`` for a blank. The reader is
    more lenient than this schema (Chinese keys, Chinese labels for codes,
    other date forms); the schema describes the canonical form.

    :param host: whose tables to include (default: the core tables only).
    """
    from ..tables import CORE_TABLES, MANIFEST

    tables = dict(CORE_TABLES) if host is None else dict(host.tables)
    defs: dict[str, Any] = {}
    manifest_props = {name: _column_schema(c) for name, c in MANIFEST.columns.items()}
    manifest_props["ruleset"] = {
        "type": "string",
        "description": "the ruleset supervise-check uses when --ruleset is not given",
    }
    defs["manifest"] = {
        "title": f"{MANIFEST.zh} (manifest)",
        "description": "Who submitted what, and the 'today' of every deadline rule. Other keys are kept.",
        "type": "object",
        "properties": manifest_props,
        "not": {"required": ["county_code", "region_code"]},
    }
    properties: dict[str, Any] = {"manifest": {"$ref": "#/$defs/manifest"}}
    for name, spec in tables.items():
        required = [c.name for c in spec.columns.values() if c.required]
        row: dict[str, Any] = {
            "title": spec.zh,
            "description": " ".join((spec.model.__doc__ or "").split()),
            "type": "object",
            "properties": {c.name: _column_schema(c) for c in spec.columns.values()},
            "additionalProperties": False,
        }
        if required:
            row["required"] = required
        defs[name] = row
        properties[name] = {
            "title": f"{spec.zh} ({name})",
            "type": "array",
            "items": {"$ref": f"#/$defs/{name}"},
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SUBMISSION_SCHEMA_ID,
        "title": "Submission (提交数据)",
        "description": "A submission in its JSON form: the manifest and one list of records "
        "per table, English keys (docs/data-contract.md).",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


def render(schema: dict[str, Any]) -> str:
    """The schema as shipped: indented, non-ASCII kept, trailing newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_shipped() -> Path:
    """Regenerate ``ruleset.schema.json`` from the models and built-in validators."""
    RULESET_SCHEMA.write_text(render(ruleset_schema()), encoding="utf-8")
    return RULESET_SCHEMA


__all__ = ["RULESET_SCHEMA", "SCHEMAS", "render", "ruleset_schema", "submission_schema", "write_shipped"]
