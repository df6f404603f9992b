"""What `make test` prints: a run without PostgreSQL says once why its PostgreSQL variants were skipped,
instead of one line per skipped test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_skips_are_summed_up_by_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LIANXIN_TEST_PG_URL", "LIANXIN_REQUIRE_PG")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "tests/test_outbox_collation.py"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("SKIPPED [")]
    summary = [line for line in lines if line.endswith("PostgreSQL not configured (set LIANXIN_TEST_PG_URL; .ci/run does)")]
    assert len(summary) == 1 and summary[0].split()[1] == "skipped:" and int(summary[0].split()[0]) >= 1
