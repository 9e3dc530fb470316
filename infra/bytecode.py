"""Add compiled bytecode to the Lambda zip: `python -m infra.bytecode build/prod/deployment.zip`.

`chalice package` ships sources only, and Lambda's /var/task is read-only, so without
this every cold start compiles every module it imports (docs/performance.md, cold
start). The .pyc files use unchecked-hash invalidation, so they are used whatever
the files' times after unzipping; they must be built by the runtime's Python version
(infra/runtime.py); with another Python the zip is left as it is.
"""
from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
import tempfile
import zipfile

from .runtime import VERSION as RUNTIME


def add_bytecode(path: str, runtime: tuple[int, int] = RUNTIME) -> int:
    """Rewrite the zip with a __pycache__ .pyc beside each .py; returns the count.
    `runtime` is the Python version the zip runs on (tests pass their own)."""
    if sys.version_info[:2] != tuple(runtime):
        # Bytecode of another version would be ignored by the runtime: ship sources only.
        print(f"infra.bytecode: Python {sys.version_info[:2]} is not the runtime's {runtime}; "
              "the zip keeps sources only", file=sys.stderr)
        return 0
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(path) as source:
            entries = [(info, source.read(info)) for info in source.infolist()]
        names = {info.filename for info, _ in entries}
        output = path + ".tmp"
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in entries:
                target.writestr(info, data)
                if not info.filename.endswith(".py"):
                    continue
                cached = importlib.util.cache_from_source(info.filename)
                if cached in names:
                    continue
                source_file = os.path.join(tmp, "module.py")
                with open(source_file, "wb") as handle:
                    handle.write(data)
                compiled = os.path.join(tmp, "module.pyc")
                try:
                    py_compile.compile(source_file, cfile=compiled, dfile=info.filename, doraise=True,
                                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                except py_compile.PyCompileError:
                    continue       # e.g. a Python-2-only file some package ships; left as source
                pyc = zipfile.ZipInfo(cached, date_time=info.date_time)
                pyc.external_attr = info.external_attr
                with open(compiled, "rb") as handle:
                    target.writestr(pyc, handle.read(), zipfile.ZIP_DEFLATED)
                added += 1
        os.replace(output, path)
    return added


if __name__ == "__main__":
    for zip_path in sys.argv[1:]:
        print(f"{zip_path}: {add_bytecode(zip_path)} .pyc files added")
