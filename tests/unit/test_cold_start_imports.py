"""What a cold start loads (docs/performance.md, "Cold start"): `import app` leaves out
the libraries only some requests need, each loaded by its first use: the PQL parser
(lark), the CloudEvents and Standard Webhooks SDKs, urllib's HTTP stack (a delivery
attempt) and botocore (a DynamoDB store). Counted by module, not timed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED_ON_FIRST_USE = ("lark", "cloudevents", "standardwebhooks", "urllib.request", "botocore")


def test_importing_the_app_loads_none_of_the_libraries_a_request_loads_on_first_use():
    probe = ("import sys, app; print(' '.join(sorted(m for m in sys.modules if m in %r)))"
             % (LOADED_ON_FIRST_USE,))
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
