"""checkov over the packaged prod template: no failed check. Severities need a Prisma
Cloud key, so offline every failed check counts; each accepted finding is skipped in
the template's Metadata with its reason (infra/template.py CHECKOV_SKIPS)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra.template import CHECKOV_SKIPS, TABLE_CHECKOV_SKIPS

from .conftest import ROOT


def checkov_executable() -> Path:
    """`make test` names it in CHECKOV (built by `make tools`); a bare pytest run
    uses .venv-tools when it exists and skips otherwise."""
    configured = os.environ.get("CHECKOV")
    if configured:
        assert Path(configured).exists(), f"CHECKOV={configured} does not exist: run `make tools`"
        return Path(configured)
    default = ROOT / ".venv-tools" / "bin" / "checkov"
    if not default.exists():
        pytest.skip("checkov is not installed: `make tools` (make test does it)")
    return default


@pytest.fixture(scope="module")
def report(packaged):
    result = subprocess.run(
        [str(checkov_executable()), "--file", str(packaged[0] / "sam.json"),
         "--framework", "cloudformation", "--skip-download", "--output", "json"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "BC_API_KEY": "", "PRISMA_API_URL": ""})
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


def test_no_check_fails(report):
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}"
              for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)


def test_the_whole_template_was_checked(packaged, report):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(resources)
    assert report["summary"]["passed"] > 0


def test_every_skipped_check_is_one_the_template_explains(packaged, report):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    explained = {(check, logical_id) for logical_id, skips in CHECKOV_SKIPS.items()
                 for check, _ in skips}
    explained |= {(check, logical_id) for logical_id, r in resources.items()
                  if r["Type"] == "AWS::DynamoDB::Table" for check, _ in TABLE_CHECKOV_SKIPS}
    skipped = {(c["check_id"], c["resource"].split(".")[-1]) for c in report["results"]["skipped_checks"]}
    assert skipped == explained
    assert all(len(c["check_result"]["suppress_comment"]) > 20
               for c in report["results"]["skipped_checks"])
