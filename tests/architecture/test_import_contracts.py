"""The layers point one way (STYLE.md "The house", issue 12): the import-linter contracts
in .importlinter hold, inside pytest as well as in `make test`, and every module of
`dashboard` is placed on one side of the domain / web-edge line, so a new module cannot
slip past the domain contract by being in neither list."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contracts() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def listed(value: str) -> set[str]:
    return {line.split("#", 1)[0].strip() for line in value.splitlines()} - {""}


def test_the_import_contracts_hold():
    command = str(LINT_IMPORTS) if LINT_IMPORTS.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed (import-linter, requirements.txt)"
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert " broken" in report and "0 broken" in report, report[-2000:]


def test_every_dashboard_module_is_domain_or_edge():
    domain = contracts()["importlinter:contract:domain"]
    sides = listed(domain["source_modules"]) | listed(domain["forbidden_modules"])
    modules = {f"dashboard.{p.stem}" for p in (ROOT / "dashboard").glob("*.py") if p.stem != "__init__"}
    modules |= {f"dashboard.{p.parent.name}" for p in (ROOT / "dashboard").glob("*/__init__.py")}
    assert sorted(modules - sides) == [], "place these in .importlinter's domain contract (source or forbidden)"
    assert sorted(sides - modules) == [], "these modules no longer exist: take them out of .importlinter"
    assert not listed(domain["source_modules"]) & listed(domain["forbidden_modules"])
