"""infra.bytecode: the Lambda zip gains a .pyc per module that Python uses whatever
the unzipped files' times (unchecked hash), so a read-only /var/task never compiles."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile

from infra.bytecode import add_bytecode


def test_each_module_gains_an_unchecked_hash_pyc_that_python_uses(tmp_path):
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("app.py", "VALUE = 42\n")
        out.writestr("pkg/__init__.py", "")
        out.writestr("data.json", "{}")
    assert add_bytecode(str(archive), runtime=sys.version_info[:2]) == 2
    with zipfile.ZipFile(archive) as done:
        names = set(done.namelist())
        pyc = done.read(importlib.util.cache_from_source("app.py"))
        done.extractall(tmp_path / "unpacked")
    assert {"app.py", "pkg/__init__.py", "data.json",
            importlib.util.cache_from_source("pkg/__init__.py")} <= names
    assert int.from_bytes(pyc[4:8], "little") == 0b01      # hash-based, not checked
    (tmp_path / "unpacked" / "app.py").write_text("VALUE = 0\n")   # the source is not read
    result = subprocess.run([sys.executable, "-c", "import app; print(app.VALUE)"],
                            cwd=tmp_path / "unpacked", capture_output=True, text=True, check=True,
                            env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": ""})
    assert result.stdout.strip() == "42"


def test_another_pythons_bytecode_is_not_added(tmp_path):
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("app.py", "VALUE = 42\n")
    assert add_bytecode(str(archive), runtime=(2, 7)) == 0
    assert zipfile.ZipFile(archive).namelist() == ["app.py"]
