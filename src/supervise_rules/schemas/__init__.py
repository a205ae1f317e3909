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

SCHEMAS = ("ruleset",)


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
        branches.append({
            "if": {"properties": {"validator": {"const": name}}, "required": ["validator"]},
            "then": {"properties": {"params": {"$ref": f"#/$defs/{key}"}}},
        })
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


def render(schema: dict[str, Any]) -> str:
    """The schema as shipped: indented, non-ASCII kept, trailing newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_shipped() -> Path:
    """Regenerate ``ruleset.schema.json`` from the models and built-in validators."""
    RULESET_SCHEMA.write_text(render(ruleset_schema()), encoding="utf-8")
    return RULESET_SCHEMA


__all__ = ["RULESET_SCHEMA", "SCHEMAS", "render", "ruleset_schema", "write_shipped"]
