"""The code base stays ruff-clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run([ruff, "check", "."], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
