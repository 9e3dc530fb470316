"""python -m bench [--quick]: the figures of issue 8. Writes bench/results/<size>.json
and bench/results/<size>.md (the tables docs/performance.md quotes).

Ratios (port/floor) are measured in the same run, interleaved, so the noise of a
shared machine hits both sides; absolute times are context only."""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from . import cost, dynamo, fleet, load, mix, server

ROOT = Path(__file__).parents[1]
RESULTS = Path(__file__).parent / "results"

SIZES = {
    # PuppetDB growth steps (events), activity commits, orchestrator (jobs, events),
    # in-process repeats, HTTP repeats, ingest reports (in process, HTTP), DynamoDB
    # (events, commits, jobs, job events).
    "quick": dict(pdb=(2_000, 10_000, 20_000), commits=5_000, jobs=(50, 20_000), repeat=10,
                  http_repeat=5, ingest=(200, 30), dynamo=(150, 60, 2, 80),
                  fleet=dict(dynamodb=60, sqlite=300, runs=2, events=10, rerun_every=3)),
    "full": dict(pdb=(10_000, 100_000, 1_000_000), commits=300_000, jobs=(10_000, 1_000_000),
                 repeat=100, http_repeat=40, ingest=(2_000, 200), dynamo=(1_000, 300, 4, 160),
                 # issue 15: nodes on DynamoDB (moto, counted) and on SQLite (timed),
                 # runs per node, events per report
                 # (on DynamoDB only every 10th node reruns: moto is slow to load)
                 fleet=dict(dynamodb=2_000, sqlite=10_000, runs=3, events=10, rerun_every=10)),
}


def cold_import_ms(runs: int = 5) -> float:
    """Median time to `import app` in a fresh interpreter in the repository, bytecode
    compiled (after one run that writes it to a temporary pycache prefix)."""
    code = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as prefix:
        env["PYTHONPYCACHEPREFIX"] = prefix
        subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, check=True, env=env)
        samples = sorted(float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                              text=True, check=True, cwd=ROOT, env=env).stdout)
                         for _ in range(runs))
    return round(samples[len(samples) // 2], 1)


def lambda_package() -> dict:
    """`chalice package` (prod), then infra.bytecode: the zip's size before and after,
    and the median time to `import app` from each unpacked zip, outside the venv
    (-S) and writing no bytecode, as on Lambda's read-only /var/task."""
    from infra import bytecode, template
    code = ("import sys, time; sys.path.insert(0, '.'); t = time.perf_counter(); import app; "
            "print((time.perf_counter() - t) * 1000)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "merge.json").write_text(json.dumps(template.template()))
        done = subprocess.run([str(Path(sys.executable).with_name("chalice")), "package", "--stage", "prod",
                               "--merge-template", str(tmp / "merge.json"), str(tmp / "prod")], cwd=ROOT,
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
        if done.returncode:
            print(done.stdout + done.stderr, file=sys.stderr)
            return {}
        zipped = tmp / "prod" / "deployment.zip"
        figures = {}
        for label in ("sources only", "with bytecode"):
            if label == "with bytecode":
                bytecode.add_bytecode(str(zipped))
            unpacked = tmp / label.replace(" ", "-")
            with zipfile.ZipFile(zipped) as archive:
                archive.extractall(unpacked)
            samples = sorted(float(subprocess.run(
                [sys.executable, "-S", "-c", code], cwd=unpacked, capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).stdout) for _ in range(5))
            figures[label] = {"zip KiB": zipped.stat().st_size // 1024,
                              "import app ms (median of 5)": round(samples[2], 1)}
        return figures


def table(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke, under a minute)")
    parser.add_argument("--no-http", action="store_true", help="skip the chalice local figures")
    parser.add_argument("--only", choices=("sqlite", "dynamodb", "fleet", "fleet-dynamodb",
                                           "fleet-sqlite", "package", "retention"), action="append",
                        help="re-measure only these parts, updating the stored results of this size")
    args = parser.parse_args()
    size = "quick" if args.quick else "full"
    s = SIZES[size]
    parts = set(args.only or ("sqlite", "dynamodb", "fleet", "package"))
    stored = RESULTS / f"{size}.json"
    results: dict = json.loads(stored.read_text()) if args.only and stored.exists() else {}
    results.update({"machine": f"{platform.machine()} {os.cpu_count()} cores (shared), "
                                f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
                     "size": size, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})

    if "sqlite" in parts:
        sqlite_figures(results, s, http=not args.no_http)
        save(results)
    if "dynamodb" in parts:
        dynamodb_figures(results, s)
        save(results)
    backends = [b for b in ("dynamodb", "sqlite") if {"fleet", f"fleet-{b}"} & parts]
    if backends:
        fleet_figures(results, s["fleet"], s["repeat"], backends)
        save(results)
    if "retention" in parts:
        step("retention: collection under load, a day at steady state")
        from . import retention
        retention.run(size)        # its own results: bench/results/retention-<size>.md
        if parts == {"retention"}:
            return 0
    if "package" in parts:
        step("cold import and Lambda zip")
        results["cold import of app (median of 5)"] = cold_import_ms()
        results["Lambda package"] = lambda_package()

    save(results)
    report = render(results)
    (RESULTS / f"{size}.md").write_text(report)
    print(report)
    return 0


def save(results: dict) -> None:
    """Written after each part, so a failure late in a long run keeps what was measured."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{results['size']}.json").write_text(json.dumps(results, indent=2) + "\n")


def sqlite_figures(results: dict, s: dict, http: bool) -> None:
    from chalicelib.storage.sqlite import SqliteStorage
    with tempfile.TemporaryDirectory() as tmp:
        step("ingest: store_report in process")
        results["ingest in process"] = load.report_ingest(SqliteStorage(os.path.join(tmp, "ingest.db")),
                                                          s["ingest"][0])
        path = os.path.join(tmp, "bench.db")
        store = SqliteStorage(path)
        results["bulk load"] = {}
        results["growth"] = []
        loaded = 0
        for events in s["pdb"]:
            step(f"bulk load PuppetDB to {events} events")
            results["bulk load"][f"puppetdb to {events} events"] = load.puppetdb(store, events, loaded)
            loaded = events
            raw = sqlite3.connect(path)
            cases = mix.cases(raw)
            raw.close()
            step(f"PuppetDB mix at {events} events")
            for row in mix.in_process(store, path, cases, s["repeat"]):
                results["growth"].append({"events": events, **row})
        step(f"bulk load activity ({s['commits']} commits) and orchestrator {s['jobs']}")
        results["bulk load"]["activity"] = load.activity(store, s["commits"])
        results["bulk load"]["orchestrator"] = load.orchestrator(store, *s["jobs"])
        raw = sqlite3.connect(path)
        cases = mix.cases(raw)
        raw.close()
        step("full mix in process")
        results["in process"] = mix.in_process(store, path, cases, s["repeat"])
        step("cost cases (issue 20) in process, default limits")
        certname = raw_certname(path)
        results["cost cases"] = {"events": s["pdb"][-1], "rows": cost.run(store, certname)}
        store.close()
        if http:
            step("full mix over HTTP (chalice local)")
            save(results)
            with server.chalice_local(path, Path(tmp)) as (new_session, base):
                results["over HTTP"] = mix.over_http(new_session, base, cases, s["http_repeat"])
                try:
                    results["ingest over HTTP"] = load.report_ingest_http(new_session, base, s["ingest"][1])
                except Exception as error:
                    results["ingest over HTTP"] = {"error": str(error)}


def raw_certname(path: str) -> str:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT certname FROM pdb_reports LIMIT 1").fetchone()[0]
    finally:
        raw.close()


def dynamodb_figures(results: dict, s: dict) -> None:
    step("DynamoDB (moto) reads per item")
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    import boto3
    from moto import mock_aws

    from chalicelib.storage.dynamodb import DynamoStorage
    with mock_aws():
        store = DynamoStorage("bench-", client=boto3.client("dynamodb", region_name="us-east-1"))
        store.create_tables()
        results["dynamodb"] = dynamo.run(store, *s["dynamo"])
    results["peak RSS MB (process, after moto)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def fleet_figures(results: dict, f: dict, repeat: int, backends=("dynamodb", "sqlite")) -> None:
    """Issue 15: the dashboard mix at fleet size, on both backends (bench/fleet.py)."""
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    import boto3
    from moto import mock_aws

    from chalicelib.storage.dynamodb import DynamoStorage
    from chalicelib.storage.sqlite import SqliteStorage
    if "dynamodb" in backends:
        step(f"fleet: {f['dynamodb']} nodes on DynamoDB (moto), items read")
        with mock_aws():
            store = DynamoStorage("fleet-", client=boto3.client("dynamodb", region_name="us-east-1"))
            store.create_tables()
            results["fleet dynamodb"] = fleet.dynamodb(store, f["dynamodb"], f["runs"], f["events"],
                                                       f["rerun_every"])
        save(results)
    if "sqlite" not in backends:
        return
    step(f"fleet: {f['sqlite']} nodes on SQLite, timed")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fleet.db")
        store = SqliteStorage(path)
        results["fleet sqlite"] = fleet.sqlite(store, path, f["sqlite"], f["runs"], f["events"],
                                               repeat)
        store.close()


def render(results: dict) -> str:
    parts = [f"# Benchmark results ({results['size']} size)\n\n{results['machine']}; {results['date']}\n"]
    if "ingest in process" in results:
        parts.append("Ingest in process (fixture-sized store_report v8, one transaction each): "
                     f"{results['ingest in process']}\n")
    if "ingest over HTTP" in results:
        parts.append(f"Ingest over HTTP (chalice local, POST /pdb/cmd/v1): {results['ingest over HTTP']}\n")
    if "bulk load" in results:
        parts.append("Bulk loads (port write path, batched transactions):\n\n" + table(
            [{"data set": k, "figures": json.dumps(v)} for k, v in results["bulk load"].items()]) + "\n")
    if "in process" in results:
        parts.append("## Query mix in process vs the raw-sqlite3 floor\n\n" + table(results["in process"]) + "\n")
    if "cost cases" in results:
        parts.append(f"## Cost cases (issue 20) at {results['cost cases']['events']} events, "
                     "default limits, in process through the app\n\n"
                     + table(results["cost cases"]["rows"]) + "\n")
    if "over HTTP" in results:
        parts.append("## Query mix over HTTP (chalice local)\n\n" + table(results["over HTTP"]) + "\n")
    if "growth" in results:
        parts.append("## Growth (PuppetDB mix)\n\n" + table(results["growth"]) + "\n")
    if "dynamodb" in results:
        parts.append(f"## DynamoDB (moto) reads per item returned\n\nData: {results['dynamodb']['items']}\n\n"
                     + table(results["dynamodb"]["patterns"]) + "\n")
    for backend, what in (("dynamodb", "items read per item returned (moto; an aggregate over "
                                       "nodes counts the nodes it summarises as returned)"),
                          ("sqlite", "timed in process, port vs the raw-SQL floor")):
        if f"fleet {backend}" in results:
            part = results[f"fleet {backend}"]
            parts.append(f"## Fleet dashboard on {backend}: {what}\n\nFleet: {part['fleet']}\n\n"
                         + table(part["queries"]) + "\n")
    if "peak RSS MB (process, after moto)" in results:
        parts.append(f"Peak RSS of the bench process: {results['peak RSS MB (process, after moto)']} MB\n")
    if "cold import of app (median of 5)" in results:
        parts.append("Cold `import app` in the repository, bytecode compiled (median of 5): "
                     f"{results['cold import of app (median of 5)']} ms\n")
    if results.get("Lambda package"):
        parts.append("Lambda zip (`chalice package`, then `infra.bytecode`) and `import app` from it, "
                     "no bytecode writes:\n\n"
                     + table([{"zip": k, **v} for k, v in results["Lambda package"].items()]) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
