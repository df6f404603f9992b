"""The house rules the suite keeps: the import layers (import-linter's contracts in pyproject.toml)
and the lint (ruff). Both run the project's own tools on the checkout, as CI does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_imports_point_one_way_and_never_in_circles() -> None:
    """Entry points → handlers | scheduler → buttons, callbacks, context → services → infrastructure →
    texts | db → models; no module imports one above its own layer, and no package has a circle."""
    result = run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr
