"""python -m bench [--quick]: run the benchmarks, write bench/results/*.json and
print a Markdown table for docs/performance.md."""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import orchestrator

RESULTS = Path(__file__).parent / "results"


def cold_import_ms(runs: int = 5) -> float:
    code = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    samples = sorted(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True, cwd=Path(__file__).parents[1]).stdout)
                     for _ in range(runs))
    return round(samples[len(samples) // 2], 1)


def table(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke)")
    args = parser.parse_args()
    # moto copies state on every transaction: its memory and time grow with the table,
    # so the DynamoDB figures (reads per item, not time) use a small table.
    jobs, per_job, dynamo_jobs = (20, 200, 4) if args.quick else (1000, 1000, 6)
    repeat = 20 if args.quick else 200
    results: dict = {"machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                     "size": "quick" if args.quick else "full", "date": time.strftime("%Y-%m-%d")}

    from chalicelib.storage.sqlite import SqliteStorage
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.db")
        store = SqliteStorage(path)
        results["sqlite ingest"] = orchestrator.load(store, jobs, per_job)
        results["sqlite latency"] = orchestrator.sqlite_latency(store, path, jobs, repeat)

    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    import boto3
    from moto import mock_aws

    from chalicelib.storage.dynamodb import DynamoStorage
    with mock_aws():
        store = DynamoStorage("bench-", client=boto3.client("dynamodb", region_name="us-east-1"))
        store.create_tables()
        orchestrator.load(store, dynamo_jobs, 40)
        results["dynamodb reads"] = orchestrator.dynamodb_reads(store, dynamo_jobs)

    results["cold import of app (ms, median of 5)"] = cold_import_ms()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"orchestrator-{results['size']}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"# {results['machine']}, {results['size']} size, {results['date']}\n")
    print("SQLite ingest:", results["sqlite ingest"], "\n")
    print(table(results["sqlite latency"]), "\n")
    print(table(results["dynamodb reads"]), "\n")
    print("Cold import of app:", results["cold import of app (ms, median of 5)"], "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
