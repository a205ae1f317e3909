"""Types: mypy through the configuration in pyproject.toml (``[tool.mypy]``:
strict on the public modules, normal on the rest, the example plugins'
sources too), the generic :class:`~supervise_rules.Validator`, and a docstring
on everything public."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import supervise_rules
import supervise_rules.testing
from supervise_rules import Params, RuleContext, RuleResult, Validator

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    # the repository's cache: a second run only rechecks what changed (~2 s)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_mypy_reports_no_error() -> None:
    result = _mypy()
    assert result.returncode == 0, f"mypy found errors:\n{result.stdout}{result.stderr}"
    assert "Success: no issues found" in result.stdout


def _strict_modules() -> set[str]:
    return {m for o in CONFIG.get("overrides", []) if o.get("strict") for m in o["module"]}


def _covered(module: str, patterns: set[str]) -> bool:
    parts = module.split(".")
    return module in patterns or any(
        p.endswith(".*") and parts[: len(p[:-2].split("."))] == p[:-2].split(".") for p in patterns
    )


def test_every_public_module_is_checked_strictly() -> None:
    """Where a name of ``__all__`` is defined is a public module: a new one is
    added to the strict list, not left to normal mode by accident."""
    strict = _strict_modules()
    objects = [getattr(supervise_rules, n) for n in supervise_rules.__all__]
    defining = {o.__module__ for o in objects if inspect.isclass(o) or inspect.isfunction(o)}
    # constants and the hookimpl marker are defined beside the contract they belong to
    defining |= {"supervise_rules.hookspecs", "supervise_rules.plugins", "supervise_rules.submission"}
    defining |= {"supervise_rules", "supervise_rules.testing", "supervise_rules.testing.pytest_plugin"}
    # the modules a plugin imports by name (docs/plugins.md, the built-ins' contract)
    defining |= {
        "supervise_rules.helpers",
        "supervise_rules.values",
        "supervise_rules.safetext",
        "supervise_rules.pdf",
        "supervise_rules.store",
    }
    missing = sorted(m for m in defining if not _covered(m, strict))
    assert not missing, f"public modules not in the strict mypy override: {missing}"


def test_the_example_plugins_are_checked() -> None:
    plugins = sorted(p.parent.name for p in ROOT.glob("plugins/*/src"))
    assert plugins, "no example plugin found"
    assert "plugins/*/src" in CONFIG["files"] and "src" in CONFIG["files"]


def test_untyped_libraries_are_named_one_by_one() -> None:
    for override in CONFIG.get("overrides", []):
        if override.get("ignore_missing_imports"):
            assert not any(m in ("*", "supervise_rules", "supervise_rules.*") for m in override["module"])
    assert "ignore_missing_imports" not in CONFIG


PLUGIN = '''
from typing import Any

from pydantic import Field

from supervise_rules import Params, RuleContext, RuleResult, Validator


class MinutesParams(Params):
    table: str = Field(description="the table")
    limit: float = Field(description="the most minutes")


class MinutesValidator(Validator[MinutesParams]):
    """Minutes against a limit."""

    name = "minutes"
    summary = "Minutes against a limit."
    Params = MinutesParams

    def check(self, ctx: RuleContext[MinutesParams]) -> RuleResult:
        p = ctx.params
        limit: float = p.limit
        frame = ctx.frame(p.table)
        assert frame is not None
        return RuleResult(frame=frame, table=p.table, threshold=limit)


class OldStyleValidator(Validator):
    """API 1 style: no type argument."""

    name = "old"
    summary = "Old style."

    def check(self, ctx: RuleContext) -> list[RuleResult]:
        return ctx.require("schools", ["students"])


def helper(ctx: RuleContext) -> str:
    return ctx.rule.id


def use(ctx: RuleContext[MinutesParams]) -> str:
    return helper(ctx)  # a plain RuleContext accepts every validator's


def register_validators() -> list[type[Validator[Any]]]:
    return [MinutesValidator, OldStyleValidator]
'''


def test_a_plugin_written_with_the_generic_validator_type_checks_strictly(tmp_path: Path) -> None:
    module = tmp_path / "typed_plugin.py"
    module.write_text(PLUGIN, encoding="utf-8")
    result = _mypy("--strict", str(module))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ctx_params_is_typed_as_the_validators_params(tmp_path: Path) -> None:
    """Without the type parameter ``ctx.params`` would be a plain ``Params`` (or
    ``Any``) and the misspelt field would pass unnoticed."""
    module = tmp_path / "typo_plugin.py"
    module.write_text(
        PLUGIN.replace("limit: float = p.limit", "limit: float = p.limt"),
        encoding="utf-8",
    )
    result = _mypy("--strict", str(module))
    assert result.returncode == 1
    assert '"MinutesParams" has no attribute "limt"' in result.stdout


def test_the_docs_worked_example_type_checks_strictly(tmp_path: Path) -> None:
    """docs/plugins.md's plugin, as a plugin author would check it."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# file: supervise_rules_ningxia/__init__.py\n.*?)```", docs, re.S)
    assert len(blocks) == 1
    module = tmp_path / "supervise_rules_ningxia.py"
    module.write_text(blocks[0], encoding="utf-8")
    result = _mypy("--strict", str(module))
    assert result.returncode == 0, result.stdout + result.stderr


class _Half(Params):
    share: float = 0.5


def test_validators_with_and_without_a_type_argument_run_alike() -> None:
    class Typed(Validator[_Half]):
        """Typed."""

        Params = _Half

        def check(self, ctx: RuleContext[_Half]) -> RuleResult:
            raise NotImplementedError

    class Bare(Validator):  # API 1 and existing third-party subclasses
        """Bare."""

    assert issubclass(Typed, Validator) and issubclass(Bare, Validator)
    assert Typed.Params is _Half and Bare.Params is Params
    assert Typed.placeholders(_Half()) is None and Bare.placeholders(Params()) is None
    assert RuleContext[_Half].__origin__ is RuleContext  # subscripting works at run time


def _public(module: Any) -> list[tuple[str, Any]]:
    return [(n, getattr(module, n)) for n in module.__all__]


@pytest.mark.parametrize(
    ("name", "obj"),
    [
        pytest.param(n, o, id=f"{m.__name__}.{n}")
        for m in (supervise_rules, supervise_rules.testing)
        for n, o in _public(m)
        if inspect.isclass(o) or inspect.isfunction(o)
    ],
)
def test_public_classes_and_functions_have_their_own_docstring(name: str, obj: Any) -> None:
    # a class's own: an undocumented subclass would otherwise show its base's
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc and doc.strip(), f"{name} has no docstring"


def test_the_doc_check_covers_the_plugin_contract() -> None:
    checked = {n for n, o in _public(supervise_rules) if inspect.isclass(o) or inspect.isfunction(o)}
    assert {"Validator", "RuleContext", "RuleResult", "Finding", "Report", "Ruleset", "check"} <= checked
    assert RuleResult.__doc__
