"""Every PuppetDB entity this service answers, as data (DESIGN.md 1): the stored
event and report attributes, the 1.4 query fields of /experimental/events, and
PuppetDB 7's v4 entities: each field's stored name and type, and the
columns `order_by` accepts (../shared/notes/puppetdb.md 3; PDB query_eng/engine.clj
report-events-query and reports-query, query.clj resource-event-columns).

v4 types decide the operators (dialects/v4.py): string (`=`, `~`, `in`), numeric and
timestamp (also `<`, `>`, `<=`, `>=`), boolean (`=`), json (values compared as
canonical JSON text), array (`=`/`~` hold when any element does), latest
(`latest_report?`, query only).
"""
from __future__ import annotations

from dataclasses import dataclass


# The event attributes of PuppetDB 1.4, in its response order (notes 1.7).
V1_EVENT_FIELDS = ("certname", "configuration_version", "report", "status", "timestamp",
                   "resource_type", "resource_title", "property", "new_value", "old_value",
                   "message", "file", "line", "containment_path", "containing_class")
# v4 adds these (notes 3); the report-level ones are copied onto every event so
# both adapters filter on them like any other attribute.
V4_EVENT_EXTRAS = ("name", "corrective_change", "environment", "run_start_time",
                   "run_end_time", "report_receive_time")
# Every stored event attribute (plus `seq`, its position in the report).
EVENT_FIELDS = V1_EVENT_FIELDS + V4_EVENT_EXTRAS

# Orderable fields of /experimental/events (notes 1.6: underscored names).
ORDER_FIELDS = V1_EVENT_FIELDS

# Report-level attributes (PuppetDB 7 reports entity, notes 3 and 5.1). `metrics`
# and `logs` are kept as canonical JSON text; timestamps in stored form.
REPORT_FIELDS = ("hash", "certname", "puppet_version", "report_format", "configuration_version",
                 "start_time", "end_time", "producer_timestamp", "receive_time",
                 "transaction_uuid", "catalog_uuid", "code_id", "job_id",
                 "cached_catalog_status", "producer", "environment", "status", "noop",
                 "noop_pending", "corrective_change", "type")
REPORT_DETAILS = ("metrics", "logs")

# Default order (notes 1.7): timestamp descending; ties broken by report and position.
TIEBREAK = (("report", "asc"), ("seq", "asc"))
DEFAULT_ORDER = (("timestamp", "desc"),)

# /experimental/events query fields (document 002): field -> (AST field, kind). Kinds
# decide which operators apply (notes 1.2 table; dialects/v1_4.py).
V1_4_QUERY_FIELDS = {
    "certname": ("certname", "string"),
    "report": ("report", "string"),
    "status": ("status", "string"),
    "resource-type": ("resource_type", "string"),
    "resource-title": ("resource_title", "string"),
    "property": ("property", "string"),
    "message": ("message", "string"),
    "file": ("file", "string"),
    "containing-class": ("containing_class", "string"),
    "line": ("line", "number"),
    "new-value": ("new_value", "json"),
    "old-value": ("old_value", "json"),
    "timestamp": ("timestamp", "timestamp"),
    "latest-report": ("latest_report", "boolean"),
}


def full_order(keys) -> tuple[tuple[str, str], ...]:
    """The requested order plus the stable tiebreak."""
    keys = tuple(keys) or DEFAULT_ORDER
    return keys + tuple(k for k in TIEBREAK if k[0] not in {n for n, _ in keys})


@dataclass(frozen=True)
class Field:
    stored: str          # the AST / storage field
    type: str
    # Whether PuppetDB 7 can hold SQL NULL here: a test on a NULL is unknown, so `not`
    # of it excludes the row (dialects/v4.py three_valued). False where every row has a value
    # (new_value/old_value hold JSON null, not SQL NULL: `null?` never finds them).
    nullable: bool = True


@dataclass(frozen=True)
class Entity:
    name: str                          # as PuppetDB names it in messages
    fields: dict[str, Field]
    order_columns: tuple[str, ...]     # what order_by accepts
    default_order: tuple[tuple[str, str], ...]
    tiebreak: tuple[tuple[str, str], ...]
    order_aliases: tuple[tuple[str, str], ...] = ()    # order column -> stored field
    # The columns as PuppetDB 7.12 lists them when refusing one, less `latest_report?`:
    # PuppetDB lists every queryable field (engine.clj compile-user-query->sql,
    # paging.clj validate-order-by!) though latest_report? orders nothing; here it is
    # refused, so it is not offered.
    order_text: tuple[str, ...] = ()

    def order_field(self, column: str) -> str:
        if column in self.fields:
            return self.fields[column].stored
        return dict(self.order_aliases)[column]

    @property
    def queryable(self) -> list[str]:
        return sorted(self.fields)


LATEST = {"latest_report?": Field("latest_report", "latest", nullable=False)}   # query only, never shown


# Never NULL in PuppetDB 7 (measured with `null?`, tests/conformance).
NOT_NULL = {"certname", "report", "status", "timestamp", "resource_type", "resource_title",
            "run_start_time", "run_end_time", "report_receive_time", "new_value", "old_value",
            "configuration_version", "environment", "hash", "start_time", "end_time",
            "producer_timestamp", "receive_time", "puppet_version", "report_format", "type",
            "transaction_uuid"}


def _fields(**types: str) -> dict[str, Field]:
    return {name: Field(name, kind, name not in NOT_NULL) for name, kind in types.items()}


EVENTS = Entity(
    name="events",
    fields=_fields(
        certname="string", configuration_version="string", run_start_time="timestamp",
        run_end_time="timestamp", report_receive_time="timestamp", report="string",
        status="string", corrective_change="boolean", timestamp="timestamp",
        resource_type="string", resource_title="string", property="string", name="string",
        new_value="json", old_value="json", message="string", file="string", line="numeric",
        containment_path="array", containing_class="string", environment="string") | LATEST,
    order_columns=("certname", "configuration_version", "run_start_time", "run_end_time",
                   "report_receive_time", "report", "status", "corrective_change", "timestamp",
                   "resource_type", "resource_title", "property", "name", "new_value",
                   "old_value", "message", "file", "line", "containment_path",
                   "containing_class", "environment"),
    default_order=(("timestamp", "desc"),),
    tiebreak=(("report", "asc"), ("seq", "asc")),
    # PuppetDB's hash-set order (without latest_report?, see Entity.order_text).
    order_text=("message", "old_value", "report_receive_time", "corrective_change",
                "containment_path", "certname", "timestamp", "run_end_time", "name",
                "configuration_version", "new_value", "resource_title", "status", "property",
                "resource_type", "line", "environment", "containing_class", "run_start_time",
                "file", "report"),
)

REPORTS = Entity(
    name="reports",
    fields=_fields(
        hash="string", certname="string", puppet_version="string", report_format="numeric",
        configuration_version="string", start_time="timestamp", end_time="timestamp",
        producer_timestamp="timestamp", receive_time="timestamp", transaction_uuid="string",
        catalog_uuid="string", code_id="string", job_id="string",
        cached_catalog_status="string", producer="string", environment="string",
        status="string", noop="boolean", noop_pending="boolean", corrective_change="boolean",
        type="string") | LATEST,
    order_columns=("hash", "certname", "noop_pending", "puppet_version", "report_format",
                   "configuration_version", "start_time", "end_time", "producer_timestamp",
                   "producer", "corrective_change", "receive_time", "transaction_uuid",
                   "catalog_uuid", "noop", "code_id", "job_id", "cached_catalog_status",
                   "environment", "status", "type"),
    default_order=(("producer_timestamp", "desc"),),
    tiebreak=(("hash", "asc"),),
    order_text=("receive_time", "corrective_change", "code_id", "noop", "certname",
                "puppet_version", "hash", "cached_catalog_status", "transaction_uuid",
                "configuration_version", "status", "job_id", "producer", "catalog_uuid",
                "noop_pending", "end_time", "type", "environment",
                "start_time", "producer_timestamp", "report_format"),
)

# Nodes (PDB engine.clj nodes-query): each node's summary of its latest report, kept
# by store_report (puppetdb/nodes.py; stored names are PuppetDB's). `deactivated` is
# a string there (`<` refused; `=` a PostgreSQL type error), `report_timestamp` the
# latest report's end time. Facts and catalogs are not stored: their fields are
# queryable with their PuppetDB types and always NULL (NEVER_STORED).
NODES = Entity(
    name="nodes",
    fields={name: Field(name, kind, name != "certname") for name, kind in (
        ("certname", "string"), ("deactivated", "string"), ("expired", "timestamp"),
        ("facts_environment", "string"), ("catalog_timestamp", "timestamp"),
        ("facts_timestamp", "timestamp"), ("report_timestamp", "timestamp"),
        ("latest_report_hash", "string"), ("latest_report_noop", "boolean"),
        ("latest_report_noop_pending", "boolean"), ("latest_report_status", "string"),
        ("latest_report_corrective_change", "boolean"), ("latest_report_job_id", "string"),
        ("cached_catalog_status", "string"), ("catalog_environment", "string"),
        ("report_environment", "string"))},
    order_columns=("certname", "deactivated", "expired", "facts_environment",
                   "catalog_timestamp", "facts_timestamp", "report_timestamp",
                   "latest_report_hash", "latest_report_noop", "latest_report_noop_pending",
                   "latest_report_status", "latest_report_corrective_change",
                   "latest_report_job_id", "cached_catalog_status", "catalog_environment",
                   "report_environment"),
    # PuppetDB leaves the order unspecified; certname is the natural one.
    default_order=(("certname", "asc"),),
    tiebreak=(("certname", "asc"),),
    order_text=("latest_report_corrective_change", "deactivated", "expired",
                "report_environment", "certname", "facts_timestamp", "facts_environment",
                "cached_catalog_status", "latest_report_status", "latest_report_hash",
                "catalog_timestamp", "latest_report_noop_pending", "report_timestamp",
                "latest_report_noop", "catalog_environment", "latest_report_job_id"),
)
NEVER_STORED = frozenset({"facts_environment", "catalog_timestamp", "facts_timestamp",
                          "catalog_environment"})

# Environments (PDB engine.clj environments-query): the environments stored reports named.
ENVIRONMENTS = Entity(
    name="environments",
    fields={"name": Field("name", "string", nullable=False)},
    order_columns=("name",), default_order=(("name", "asc"),), tiebreak=(("name", "asc"),),
    order_text=("name",),
)

# node_state (PDB engine.clj expand-query-node, http/query.clj restrict-query-to-active-nodes):
# a query term any entity takes, not a field; `nodes` adds `active` unless the query has it.
NODE_STATES = ("active", "inactive", "any")

# event-counts: `summarize_by` -> the event fields that name a subject
# (PDB query/event_counts.clj get-group-by).
# PuppetDB 7's v4 entities this service does not store (PDB 7.12.1 http/server.clj and
# handlers.clj): entity -> (what it is made of, its sub-routes below /pdb/query/v4/<entity>).
# Each route answers 404 in PuppetDB's JSON error format (not_stored.py), and so do the
# facts and resources children of a node and of an environment (NESTED_UNDER).
NOT_STORED = {
    "facts": ("facts", ("/{fact}", "/{fact}/{value}")),
    "fact-names": ("facts", ()),
    "fact-contents": ("facts", ()),
    "fact-paths": ("facts", ()),
    "factsets": ("facts", ("/{node}", "/{node}/facts")),
    "inventory": ("facts", ()),
    "catalogs": ("catalogs", ("/{node}", "/{node}/edges", "/{node}/resources",
                              "/{node}/resources/{type}", "/{node}/resources/{type}/{title}")),
    "edges": ("catalogs", ()),
    "resources": ("resources", ("/{type}", "/{type}/{title}")),
    "catalog-inputs": ("catalog inputs", ()),
    "catalog-input-contents": ("catalog inputs", ()),
    "packages": ("packages", ()),
    "package-inventory": ("packages", ("/{node}",)),
}
# PuppetDB 7.12.1 handlers.clj node-routes and environments-routes: /nodes/<certname> and
# /environments/<name> have /facts and /resources children (the route parameter names
# are the nodes routes').
NESTED_UNDER = ("nodes/{certname}", "environments/{environment}")
NESTED = ("facts", "resources")


SUMMARIZE_BY = {
    "certname": ("certname",),
    "containing_class": ("containing_class",),
    "resource": ("resource_type", "resource_title"),
}
COUNT_BY = ("resource", "certname")
COUNT_COLUMNS = ("failures", "successes", "noops", "skips")
STATUS_COUNTS = {"failure": "failures", "success": "successes", "noop": "noops",
                 "skipped": "skips"}

# counts_filter: a query on the counts themselves (PDB query.clj event-count-ops).
COUNTS = Entity(
    name="event-counts",
    fields={name: Field(name, "numeric", nullable=False) for name in COUNT_COLUMNS},
    order_columns=COUNT_COLUMNS, default_order=(), tiebreak=(), order_text=COUNT_COLUMNS,
)
