"""The packaged prod template and zip, built once per test run (what `make package` builds)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import runtime
from infra import template as merge

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """(directory holding sam.json and deployment.zip, chalice's output). Built only
    under the runtime's Python, which chalice packages for (infra/runtime.py); CI runs
    the suite there, so under CI another Python is a failure, not a skip."""
    problem = runtime.mismatch()
    if problem:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(problem)
    out = tmp_path_factory.mktemp("package")
    merge_file = out / "merge.json"
    merge_file.write_text(json.dumps(merge.template()))
    result = subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", "prod", "--merge-template", str(merge_file),
         str(out / "prod")], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "prod", result.stdout + result.stderr
