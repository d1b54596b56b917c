"""The import layers (pyproject.toml, ``[tool.importlinter]``) hold: ``make lint`` checks
them too, this keeps a plain ``make test`` from missing an arrow that runs back up."""

from __future__ import annotations

import tomllib

from importlinter.cli import lint_imports

from passnum import ROOT


def test_imports_run_one_way() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                        no_logo=True) == 0


def test_core_is_forbidden_every_domain() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    domains = {f"passnum.{path.name}" for path in (ROOT / "passnum").iterdir()
               if (path / "__init__.py").is_file() and path.name != "core"}
    assert domains <= set(contracts["core"]["forbidden_modules"])
    assert "passnum.core" in contracts["core"]["source_modules"]
