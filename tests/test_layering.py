"""The layering of docs/architecture.md holds: ``lint-imports`` keeps the
contracts of ``[tool.importlinter]`` in pyproject.toml, and every module of the
package has its place in them (a new module cannot slip past the layers)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import supervise_rules

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}
#: the modules a plugin may import (docs/plugins.md, "Public API")
PUBLIC = {"helpers", "pdf", "safetext", "store", "tables", "values"}


def _lint_imports(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # the console script's entry point, run by this interpreter: the same venv as the tests
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def _top_modules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules(supervise_rules.__path__)}


def _layer_modules() -> set[str]:
    names = set()
    for layer in CONTRACTS["layers"]["layers"]:
        for part in layer.replace(":", "|").split("|"):
            names.add(part.strip().strip("()"))
    return names


def test_the_import_contracts_are_kept():
    done = _lint_imports()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_module_has_a_layer():
    missing = _top_modules() - {"builtin"} - _layer_modules()
    assert not missing, (
        f"add these modules to a layer in pyproject.toml [tool.importlinter]: {sorted(missing)}"
    )


def test_builtins_may_import_only_the_public_modules():
    forbidden = {
        m.removeprefix("supervise_rules.") for m in CONTRACTS["builtins-public-api"]["forbidden_modules"]
    }
    assert forbidden | PUBLIC | {"builtin"} == _top_modules(), (
        "a module is neither public nor forbidden to the built-ins: "
        f"{sorted(_top_modules() - forbidden - PUBLIC - {'builtin'})}"
    )
    assert not forbidden & PUBLIC


def test_a_broken_contract_fails_with_the_offending_import(tmp_path):
    """The check can fail: the CLI imports the commandline module, so a contract
    forbidding that import is reported broken, naming the import."""
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = supervise_rules\n\n"
        "[importlinter:contract:demo]\nname = demo\ntype = forbidden\n"
        "source_modules = supervise_rules.cli\nforbidden_modules = supervise_rules.commandline\n",
        encoding="utf-8",
    )
    done = _lint_imports(cwd=tmp_path)
    assert done.returncode != 0
    assert "supervise_rules.cli -> supervise_rules.commandline" in done.stdout


def test_no_module_imports_another_modules_private_names():
    """An underscore name is its module's own: a module that needs one from
    another (as followup once took cli's parser and host) needs a shared,
    public home for it instead."""
    package = Path(supervise_rules.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("supervise_")
            ):
                found += [
                    f"{path.relative_to(package)}:{node.lineno}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not found, found


def test_only_the_front_door_builds_the_default_host():
    """``get_plugin_host()`` without arguments (the built-ins and the installed
    plugins) is made in one place, ``api.default_host``; every other module is
    handed a host or asks for that one."""
    package = Path(supervise_rules.__file__).parent
    calls = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "get_plugin_host"
                and not node.args
                and not node.keywords
            ):
                calls.append(str(path.relative_to(package)))
    assert calls == ["api.py"], calls
