"""The Lambda runtime the packaged template targets, and the check that `make package`
runs under it: `python -m infra.runtime` (exit 1 with the fix when it does not).

python3.13 runs on Amazon Linux 2023 (glibc 2.34), where the google-re2 and orjson
wheels for cp313 run, and is supported until 2029-06-30 (docs/deploy.md, "Lambda
runtime"). `chalice package` takes the runtime from the Python it runs under and
downloads the zip's wheels for it, so the zip is right only when built by this version.
"""
from __future__ import annotations

import sys

VERSION = (3, 13)
NAME = f"python{VERSION[0]}.{VERSION[1]}"


def mismatch(version: tuple[int, int] | None = None) -> str | None:
    """Why this Python cannot build the Lambda zip, or None when it can."""
    current = tuple(version or sys.version_info[:2])
    if current == VERSION:
        return None
    return (f"the Lambda zip targets the {NAME} runtime and `chalice package` builds for the "
            f"Python it runs under, here {current[0]}.{current[1]}: build it with {NAME}, "
            f"e.g. `rm -rf .venv && make package PYTHON={NAME}` (docs/deploy.md, \"Lambda runtime\")")


if __name__ == "__main__":
    problem = mismatch()
    if problem:
        print(f"make package: {problem}", file=sys.stderr)
        sys.exit(1)
