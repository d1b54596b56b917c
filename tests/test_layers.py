"""The import layers (pyproject.toml, ``[tool.importlinter]``) hold: ``make lint`` checks
them too, this keeps a plain ``make test`` from missing an arrow that runs back up."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from passnum import ROOT


def test_imports_run_one_way() -> None:
    # its own process: import-linter configures logging, which would mute later tests'
    linter = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_core_is_forbidden_every_domain() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    domains = {f"passnum.{path.name}" for path in (ROOT / "passnum").iterdir()
               if (path / "__init__.py").is_file() and path.name != "core"}
    assert domains <= set(contracts["core"]["forbidden_modules"])
    assert "passnum.core" in contracts["core"]["source_modules"]
