"""The compared requests: the v4 routes, every event and report field, every
operator, `order_by` and paging option and parameter error the service offers,
the command endpoint's parameter errors, unknown routes and wrong methods.

`{a1}`..`{c1}` name the loaded reports (conftest.fixture_commands): a/b are the
six fixture reports of node-a and node-b, c1 the fan-out copy for node-c.
"""
from __future__ import annotations

import json

from .compare import Case

REPORTS = {
    "a1": ("node-a.anchor.test", "2026-11-22T05:06:51.428Z"),
    "a2": ("node-a.anchor.test", "2026-11-22T05:06:54.410Z"),
    "a3": ("node-a.anchor.test", "2026-11-22T05:06:57.399Z"),
    "b1": ("node-b.anchor.test", "2026-11-22T05:07:00.825Z"),
    "b2": ("node-b.anchor.test", "2026-11-22T05:07:04.458Z"),
    "b3": ("node-b.anchor.test", "2026-11-22T05:07:07.941Z"),
    "c1": ("node-c.anchor.test", "2026-11-22T05:06:51.428Z"),
}
V4 = "/pdb/query/v4"
NODE_A = ["=", "certname", "node-a.anchor.test"]
# A full order for events: no two events share all of these.
EVENT_ORDER = [{"field": "certname"}, {"field": "run_start_time"},
               {"field": "resource_type"}, {"field": "resource_title"},
               {"field": "property"}]


def events(name: str, query=None, **params) -> Case:
    if query is not None:
        params["query"] = json.dumps(query)
    return Case(name, V4 + "/events", params)


def ordered_events(name: str, query=None, **params) -> Case:
    params["order_by"] = json.dumps(params.pop("order", EVENT_ORDER))
    if query is not None:
        params["query"] = json.dumps(query)
    return Case(name, V4 + "/events", params, ordered=True)


def reports(name: str, query=None, **params) -> Case:
    if query is not None:
        params["query"] = json.dumps(query)
    ordered = params.pop("_ordered", False)
    return Case(name, V4 + "/reports", params, ordered=ordered)


def counts(name: str, path: str = "/event-counts", query=None, **params) -> Case:
    if query is not None:
        params["query"] = json.dumps(query)
    return Case(name, V4 + path, params)


def nodes(name: str, query=None, **params) -> Case:
    if query is not None:
        params["query"] = json.dumps(query)
    ordered = params.pop("_ordered", False)
    return Case(name, V4 + "/nodes", params, ordered=ordered)


def environments(name: str, query=None, path: str = "", **params) -> Case:
    if query is not None:
        params["query"] = json.dumps(query)
    return Case(name, V4 + "/environments" + path, params)


def _and(*terms):
    return ["and", NODE_A, *terms]


CASES = [
    # ----------------------------------------------------------- events: fields
    events("events-all"),
    events("events-include-total", include_total="true"),
    events("events-certname", ["=", "certname", "node-b.anchor.test"]),
    events("events-configuration-version", ["=", "configuration_version", "1795324011"]),
    events("events-report", ["=", "report", "{a2}"]),
    events("events-status", ["=", "status", "failure"]),
    events("events-timestamp", ["=", "timestamp", "2026-11-22T05:06:51.436Z"]),
    events("events-timestamp-offset", ["=", "timestamp", "2026-11-22T15:06:51.436+10:00"]),
    events("events-timestamp-micros", ["=", "timestamp", "2026-11-22T05:06:51.436999Z"]),
    events("events-run-start-time", ["=", "run_start_time", "2026-11-22T05:07:00.825Z"]),
    events("events-run-end-time", ["<", "run_end_time", "2026-11-22T05:06:55Z"]),
    events("events-receive-time", [">", "report_receive_time", "2026-01-01T00:00:00Z"]),
    events("events-resource-type", ["=", "resource_type", "Exec"]),
    events("events-resource-title", ["=", "resource_title", "hello"]),
    events("events-property", ["=", "property", "returns"]),
    events("events-name", ["=", "name", "executed_command"]),
    events("events-new-value", ["=", "new_value", "file"]),
    events("events-old-value", ["=", "old_value", "notrun"]),
    events("events-message", ["=", "message", "executed successfully"]),
    events("events-file", ["=", "file", "/srv/puppet-fixture/manifests/site.pp"]),
    events("events-line", ["=", "line", 46]),
    events("events-containment-path", ["=", "containment_path", "Anchor::Marker[one]"]),
    events("events-containing-class", ["=", "containing_class", "Anchor"]),
    events("events-environment", ["=", "environment", "production"]),
    events("events-corrective-change", ["=", "corrective_change", False]),
    events("events-latest-report", ["=", "latest_report?", True]),
    events("events-not-latest-report", ["=", "latest_report?", False]),
    events("events-nul-new-value", ["and", ["=", "certname", "node-c.anchor.test"],
                                    ["=", "resource_title",
                                     "/srv/puppet-fixture/target/node-a.anchor.test"]]),
    # ----------------------------------------------------------- events: operators
    events("events-regex-title", ["~", "resource_title", "^/srv/.*marker"]),
    events("events-regex-message", ["~", "message", "failed"]),
    events("events-regex-certname", ["~", "certname", "node-[ab]"]),
    events("events-regex-containment", ["~", "containment_path", "Marker"]),
    events("events-timestamp-ge", [">=", "timestamp", "2026-11-22T05:07:04.5Z"]),
    events("events-timestamp-lt", ["<", "timestamp", "2026-11-22T05:06:51.44Z"]),
    events("events-line-gt", [">", "line", 40]),
    events("events-line-le", ["<=", "line", 15]),
    events("events-in-status", ["in", "status", ["array", ["failure", "noop"]]]),
    events("events-in-line", ["in", "line", ["array", [8, 46]]]),
    events("events-null-property", ["null?", "property", True]),
    events("events-not-null-property", ["null?", "property", False]),
    events("events-null-corrective", ["null?", "corrective_change", True]),
    events("events-null-new-value", ["null?", "new_value", True]),
    events("events-eq-null", ["=", "property", None]),
    events("events-or", ["or", ["=", "status", "failure"], ["=", "status", "noop"]]),
    events("events-and-or-not", _and(["or", ["=", "resource_type", "Exec"],
                                      ["not", ["=", "status", "success"]]])),
    events("events-numeric-time-lt", ["<", "timestamp", 0]),
    events("events-numeric-time-gt", [">", "run_start_time", 0]),
    # ----------------------------------------------------------- events: not over NULL
    events("events-not-property", _and(["not", ["=", "property", "ensure"]])),
    events("events-not-name", _and(["not", ["=", "name", "file_created"]])),
    events("events-not-message", _and(["not", ["~", "message", "defined"]])),
    events("events-not-regex-property", _and(["not", ["~", "property", "ens"]])),
    events("events-not-message-eq", _and(["not", ["=", "message", "created"]])),
    events("events-not-line", _and(["not", ["<", "line", 30]])),
    events("events-not-null-in-or", _and(["not", ["or", ["null?", "name", True],
                                                  ["=", "name", "file_created"]]])),
    events("events-not-new-value", _and(["not", ["=", "new_value", "file"]])),
    events("events-not-old-value", _and(["not", ["=", "old_value", "absent"]])),
    events("events-not-corrective", ["not", ["=", "corrective_change", True]]),
    events("events-not-and", _and(["not", ["and", ["=", "property", "ensure"],
                                           ["=", "status", "success"]]])),
    events("events-not-or", _and(["not", ["or", ["=", "property", "ensure"],
                                          ["=", "status", "skipped"]]])),
    events("events-not-not", _and(["not", ["not", ["=", "property", "ensure"]]])),
    events("events-not-in", _and(["not", ["in", "property", ["array", ["ensure"]]]])),
    events("events-not-null", _and(["not", ["null?", "property", True]])),
    # ----------------------------------------------------------- events: order and paging
    ordered_events("events-ordered"),
    ordered_events("events-ordered-desc", order=[{"field": "certname", "order": "desc"}]
                   + EVENT_ORDER[1:]),
    ordered_events("events-limit", limit="5"),
    ordered_events("events-limit-offset", limit="5", offset="10", include_total="true"),
    ordered_events("events-offset-past-end", offset="500"),
    ordered_events("events-order-line", order=[{"field": "line", "order": "desc"}]
                   + EVENT_ORDER),
    ordered_events("events-order-timestamp", order=[{"field": "timestamp"}] + EVENT_ORDER),
    # ----------------------------------------------------------- events: errors
    events("err-limit-zero", limit="0"),
    events("err-limit-text", limit="ten"),
    events("err-offset-negative", offset="-1"),
    events("err-order-by-not-json", order_by="timestamp"),
    events("err-order-by-not-array", order_by='{"field": "timestamp"}'),
    events("err-order-by-direction", order_by='[{"field": "timestamp", "order": "up"}]'),
    events("err-order-by-column", order_by='[{"field": "nope"}]'),
    events("err-order-by-no-field", order_by='[{"order": "asc"}]'),
    events("err-unknown-parameter", foo="bar"),
    Case("err-query-not-json", V4 + "/events", {"query": '["=", "certname" "x"]'}),
    events("err-and-empty", ["and"]),
    events("err-or-empty", ["or"]),
    events("err-not-empty", ["not"]),
    events("err-not-two", ["not", NODE_A, NODE_A]),
    events("err-unknown-field", ["=", "nope", "x"]),
    events("err-regex-on-line", ["~", "line", "4"]),
    events("err-lt-on-string", ["<", "certname", "x"]),
    events("err-bad-timestamp", ["=", "timestamp", "yesterday"]),
    events("err-null-not-boolean", ["null?", "property", "yes"]),
    events("err-eq-arity", ["=", "certname"]),
    events("err-line-string", ["=", "line", "46"]),
    events("err-query-not-array", "certname"),
    events("err-in-not-vector", ["in", "status", ["array", "x"]]),
    events("err-lt-latest", ["<", "latest_report?", True]),
    events("err-regex-invalid", ["~", "certname", "["]),
    events("err-in-containment", ["in", "containment_path", ["array", ["x"]]]),
    events("err-gt-new-value", [">", "new_value", 1]),
    events("err-unknown-field-list", ["=", "noop", True]),
    events("events-line-float", ["=", "line", 1.5]),
    events("events-date-only", ["=", "timestamp", "2026-11-22"]),
    events("err-distinct-without-times", distinct_resources="true"),
    events("err-times-without-distinct", distinct_start_time="0", distinct_end_time="1"),
    Case("err-accept-html", V4 + "/events", headers={"Accept": "text/html"}),
    # ----------------------------------------------------------- events: distinct, POST
    events("events-distinct", distinct_resources="true",
           distinct_start_time="2026-11-22T05:07:00Z", distinct_end_time="2026-11-23T00:00:00Z"),
    events("events-distinct-numeric", _and(), distinct_resources="true",
           distinct_start_time="0", distinct_end_time="2026-11-23T00:00:00Z"),
    Case("events-post", V4 + "/events", method="POST",
         body={"query": ["=", "status", "failure"], "include_total": True}),
    # ----------------------------------------------------------- reports
    reports("reports-all"),
    reports("reports-certname", ["=", "certname", "node-b.anchor.test"]),
    reports("reports-hash", ["=", "hash", "{b2}"]),
    reports("reports-latest", ["=", "latest_report?", True]),
    reports("reports-status", ["=", "status", "failed"]),
    reports("reports-noop", ["=", "noop", False]),
    reports("reports-start-time", [">", "start_time", "2026-11-22T05:07:00Z"]),
    reports("reports-receive-time", [">", "receive_time", "2026-01-01T00:00:00Z"]),
    reports("reports-producer-ts", ["<=", "producer_timestamp", "2026-11-22T05:06:57.5Z"]),
    reports("reports-transaction", ["~", "transaction_uuid", "^532f"]),
    reports("reports-not-job", ["not", ["=", "job_id", "x"]]),
    reports("reports-type", ["=", "type", "agent"]),
    reports("reports-ordered", order_by='[{"field": "start_time", "order": "desc"}]',
            limit="2", offset="1", include_total="true", _ordered=True),
    reports("err-reports-field", ["=", "resource_type", "Exec"]),
    Case("report-metrics", V4 + "/reports/{a1}/metrics"),
    Case("report-logs", V4 + "/reports/{b3}/logs"),
    Case("report-unknown-events", V4 + "/reports/foo/events"),
    Case("report-unknown-metrics", V4 + "/reports/foo/metrics"),
    Case("report-unknown-logs", V4 + "/reports/foo/logs"),
    # ----------------------------------------------------------- event counts
    counts("counts-certname", summarize_by="certname"),
    counts("counts-resource", summarize_by="resource", include_total="true"),
    counts("counts-class", summarize_by="containing_class"),
    counts("counts-by-certname", query=["=", "status", "failure"], summarize_by="resource",
           count_by="certname"),
    counts("counts-filter", summarize_by="resource", counts_filter='[">", "failures", 0]'),
    counts("counts-latest", query=["=", "latest_report?", True], summarize_by="certname"),
    counts("err-counts-summarize", summarize_by="nope"),
    counts("err-counts-missing"),
    counts("aggregate", "/aggregate-event-counts", summarize_by="certname"),
    counts("aggregate-several", "/aggregate-event-counts", summarize_by="certname,resource",
           query=["=", "certname", "node-b.anchor.test"]),
    counts("aggregate-distinct", "/aggregate-event-counts", summarize_by="resource",
           distinct_resources="true", distinct_start_time="0",
           distinct_end_time="2026-11-23T00:00:00Z"),
    # ----------------------------------------------------------- nodes
    nodes("nodes-all"),
    nodes("nodes-include-total", include_total="true"),
    nodes("nodes-status", ["=", "latest_report_status", "failed"]),
    nodes("nodes-not-status", ["not", ["=", "latest_report_status", "failed"]]),
    nodes("nodes-noop", ["=", "latest_report_noop", True]),
    nodes("nodes-noop-pending", ["=", "latest_report_noop_pending", True]),
    nodes("nodes-hash", ["=", "latest_report_hash", "{a3}"]),
    nodes("nodes-report-time", [">", "report_timestamp", "2026-11-22T05:06:55Z"]),
    nodes("nodes-environment", ["=", "report_environment", "production"]),
    nodes("nodes-cached-catalog", ["=", "cached_catalog_status", "not_used"]),
    nodes("nodes-job-id-null", ["null?", "latest_report_job_id", True]),
    nodes("nodes-certname-regex", ["~", "certname", "node-[ab]"]),
    nodes("nodes-certname-in", ["in", "certname", ["array", ["node-c.anchor.test", "x"]]]),
    nodes("nodes-deactivated-null", ["null?", "deactivated", True]),
    nodes("nodes-facts-environment", ["=", "facts_environment", "production"]),
    nodes("nodes-catalog-null", ["null?", "catalog_timestamp", True], include_total="true"),
    nodes("nodes-not-catalog-env", ["not", ["=", "catalog_environment", "production"]]),
    nodes("nodes-state-active", ["=", "node_state", "active"]),
    nodes("nodes-state-inactive", ["=", "node_state", "inactive"]),
    nodes("nodes-state-any", ["=", "node_state", "ANY"], include_total="true"),
    nodes("nodes-state-not-active", ["not", ["=", "node_state", "active"]]),
    nodes("nodes-ordered", order_by='[{"field": "report_timestamp", "order": "desc"}]',
          limit="2", offset="1", include_total="true", _ordered=True),
    nodes("nodes-ordered-status", order_by='[{"field": "latest_report_status"}, '
          '{"field": "certname", "order": "desc"}]', _ordered=True),
    Case("nodes-post", V4 + "/nodes", method="POST",
         body={"query": ["=", "latest_report_status", "unchanged"], "include_total": True}),
    Case("node-one", V4 + "/nodes/node-a.anchor.test"),
    Case("node-unknown", V4 + "/nodes/nowhere.example"),
    events("events-node-state", ["=", "node_state", "active"], include_total="true"),
    reports("reports-node-state", ["=", "node_state", "inactive"]),
    nodes("err-nodes-field", ["=", "nope", "x"]),
    nodes("err-nodes-latest-report", ["=", "latest_report?", True]),
    nodes("err-nodes-lt-boolean", [">", "latest_report_noop", 1]),
    nodes("err-nodes-lt-deactivated", [">", "deactivated", "2020-01-01T00:00:00Z"]),
    nodes("err-nodes-node-state", ["=", "node_state", "bogus"]),
    nodes("err-nodes-node-state-true", ["=", "node_state", True]),
    nodes("err-nodes-order-by", order_by='[{"field": "node_state"}]'),
    nodes("err-nodes-parameter", distinct_resources="true"),
    # ----------------------------------------------------------- environments
    environments("environments-all"),
    environments("environments-query", ["=", "name", "production"]),
    environments("environments-regex", ["~", "name", "prod"]),
    environments("environments-ordered", order_by='[{"field": "name", "order": "desc"}]',
                 include_total="true"),
    environments("environment-one", path="/production"),
    environments("environment-unknown", path="/nope"),
    environments("environment-reports", path="/production/reports",
                 query=["=", "certname", "node-b.anchor.test"]),
    environments("environment-events", path="/production/events",
                 query=["=", "status", "failure"]),
    environments("environment-unknown-reports", path="/nope/reports"),
    environments("environment-unknown-events", path="/nope/events"),
    environments("err-environments-field", ["=", "x", "production"]),
    environments("err-environments-lt", [">", "name", "a"]),
    environments("err-environments-order-by", order_by='[{"field": "bogus"}]'),
    environments("err-environment-parameter", path="/production", limit="1"),
    # ----------------------------------------------------------- meta, commands, routes
    Case("version", "/pdb/meta/v1/version"),
    Case("cmd-extra-param", "/pdb/cmd/v1", {"command": "store_report", "version": "8",
                                            "certname": "x", "foo": "bar"},
         method="POST", body={"certname": "x"}),
    Case("cmd-no-certname", "/pdb/cmd/v1", {"command": "store_report", "version": "8"},
         method="POST", body={"certname": "x"}),
    Case("cmd-unknown-command", "/pdb/cmd/v1", {"command": "frobnicate", "version": "8",
                                                "certname": "x"}, method="POST", body={}),
    Case("cmd-old-version", "/pdb/cmd/v1", {"command": "store_report", "version": "2",
                                            "certname": "x"}, method="POST", body={}),
    Case("cmd-bad-version", "/pdb/cmd/v1", {"command": "store_report", "version": "eight",
                                            "certname": "x"}, method="POST", body={}),
    Case("cmd-content-type", "/pdb/cmd/v1", {"command": "store_report", "version": "8",
                                             "certname": "x"}, method="POST", body="{}",
         headers={"Content-Type": "text/plain"}),
    Case("cmd-deactivate-no-version", "/pdb/cmd/v1", {"command": "deactivate_node",
                                                      "certname": "x"}, method="POST",
         body={"certname": "x"}),
    Case("cmd-deactivate-no-certname", "/pdb/cmd/v1", {"command": "deactivate_node",
                                                        "version": "3"}, method="POST",
         body={"certname": "x"}),
    Case("route-unknown-v4", V4 + "/nodes-of-mars"),
    Case("route-unknown-root", "/pdb/nothing/here"),
    Case("method-delete-events", V4 + "/events", method="DELETE"),
    Case("method-put-reports", V4 + "/reports", method="PUT", body={}),
]
