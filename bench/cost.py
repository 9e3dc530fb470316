"""The cost cases of issue 20 (items 2 and 3), each sent through the app in process
(Chalice's test client: middleware, the request budget, parsing, the port) under
the default settings: the hostile input as the issue sent it, and the worst input
the caps still accept. Each line gives the answer's status and the worst time of
a few repeats: the figure the caps and the deadline promise to bound."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

# A 1,000-character pattern with no literal RE2 could skip ahead on (the issue's
# 54-second case was 15 such patterns ORed).
PATTERN = ("(x|q)[0-9]" * 100)[:1000]
POST = {"Content-Type": "application/json"}


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _get(path: str, **params) -> tuple[str, str, dict, str]:
    return ("GET", path + "?" + urlencode(params), {}, "")


def _post(path: str, body: dict) -> tuple[str, str, dict, str]:
    return ("POST", path, POST, _compact(body))


def _nested(depth: int) -> list:
    term = ["=", "line", 1]
    for level in range(depth - 1):
        term = [("and", "or")[level % 2], ["=", "certname", "x"], term]
    return term


def cases(certname: str) -> list[tuple[str, tuple]]:
    regexes = lambda n, field: ["or"] + [["~", field, PATTERN]] * n     # noqa: E731
    return [
        ("15 x 1000-char regex, or (1.4) [issue]",
         _get("/experimental/events", query=_compact(regexes(15, "resource-title")))),
        ("8 x 1000-char regex, or (1.4), the cap",
         _get("/experimental/events", query=_compact(regexes(8, "resource-title")))),
        ("8 x 1000-char regex, or, include-total (1.4), the cap",
         _get("/experimental/events", query=_compact(regexes(8, "resource-title")),
              **{"include-total": "true"})),
        ("or of 1000 line= (1.4) [issue]",
         _get("/experimental/events", query=_compact(["or"] + [["=", "line", 1]] * 1000))),
        ("or of 1000 line= (v4 GET) [issue]",
         _get("/pdb/query/v4/events", query=_compact(["or"] + [["=", "line", 1]] * 1000))),
        ("or of 100 line= (v4 GET), the cap",
         _get("/pdb/query/v4/events", query=_compact(["or"] + [["=", "line", n] for n in range(100)]),
              limit="1000")),
        ("or of 100 line> (v4 GET), the cap, no IN possible",
         _get("/pdb/query/v4/events", query=_compact(["or"] + [[">", "line", 10 ** 6 + n]
                                                              for n in range(100)]))),
        ("58 nested not (v4 POST) [issue]",
         _post("/pdb/query/v4/events", {"query": _nested_not(58)})),
        ("32-deep and/or (v4 POST), the cap",
         _post("/pdb/query/v4/events", {"query": _nested(32), "limit": 1000})),
        ("60 x 1000-char regex, 63 KB (v4 POST) [issue]",
         _post("/pdb/query/v4/events", {"query": regexes(60, "message")})),
        ("in of 30,000 certnames, 348 KB (v4 POST) [issue]",
         _post("/pdb/query/v4/events",
               {"query": ["in", "certname", ["array", ["node-%06d.example" % i for i in range(30000)]]]})),
        ("in of 100 certnames (v4 POST), the cap",
         _post("/pdb/query/v4/events",
               {"query": ["in", "certname", ["array", [certname] + ["n%d" % i for i in range(99)]]],
                "limit": 1000})),
        ("activity v1 object_id=0..999 [issue]",
         _get("/activity-api/v1/events", service_id="puppet-ca", object_type="node",
              object_id=",".join(map(str, range(1000))))),
        ("activity v1 object_id=0..99, the cap",
         _get("/activity-api/v1/events", service_id="puppet-ca", object_type="node",
              object_id=",".join(map(str, range(100))))),
        ("activity v2 100 ip_address items, the cap",
         _get("/activity-api/v2/events", query=_compact([{"ip_address": f"10.{i}."}
                                                         for i in range(100)]))),
    ]


def _nested_not(depth: int) -> list:
    term = ["=", "certname", "a"]
    for _ in range(depth):
        term = ["not", term]
    return term


def run(store, certname: str, repeat: int = 3) -> list[dict]:
    """Each case `repeat` times; the worst time and the (last) answer's status."""
    from app import app
    from chalice.test import Client
    from chalicelib import storage
    from chalicelib.auth import tokens

    issued = tokens.issue(("admin",), label="bench cost")
    store.add_token(issued.token)
    storage.use(store)
    rows = []
    try:
        with Client(app, stage_name="local") as client:
            for name, (method, path, headers, body) in cases(certname):
                headers = {**headers, "X-Authentication": issued.secret}
                worst, status, answer = 0.0, None, b""
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.http.request(method, path, headers=headers,
                                                   body=body.encode())
                    worst = max(worst, time.perf_counter() - started)
                    status, answer = response.status_code, response.body
                rows.append({"case": name, "status": status,
                             "worst ms": round(worst * 1000, 1),
                             "answer": _summary(status, answer)})
    finally:
        storage.use(None)
    return rows


def _summary(status: int, body: bytes) -> str:
    if status == 200:
        found = json.loads(body)
        rows = found.get("commits", found) if isinstance(found, dict) else found
        return f"{len(rows)} rows"
    text = body.decode("utf-8", "replace")
    if text.startswith("{"):
        text = json.loads(text)["msg"]
    return text[:90].replace("|", "/")


def main() -> int:
    """python -m bench.cost EVENTS: these cases alone on a fresh data set of EVENTS
    events (and 5,000 commits), written to bench/results/cost-EVENTS.md."""
    import sys
    import tempfile
    from pathlib import Path

    from chalicelib.storage.sqlite import SqliteStorage

    from . import load
    from .__main__ import RESULTS, raw_certname, step, table

    events = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.db")
        store = SqliteStorage(path)
        step(f"load {events} events and 5000 commits")
        load.puppetdb(store, events)
        load.activity(store, 5_000)
        step("cost cases")
        rows = run(store, raw_certname(path))
        store.close()
    report = (f"# Cost cases (issue 20) at {events} events, default limits\n\n"
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; in process through "
              "the app (Chalice's test client), worst of 3\n\n" + table(rows) + "\n")
    (RESULTS / f"cost-{events}.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
