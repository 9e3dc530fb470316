"""The storage port: what every adapter offers, in domain records and the common AST.

No backend is imported here. One contract suite (tests/contract) runs every
method on both adapters.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from chalice.app import ChaliceUnhandledError

from ..activity.model import Commit, NewCommit
from ..auth.tokens import Token
from ..orchestrator.model import Job, JobEvent, JobNode, NewJob, NewJobEvent
from ..paging import Page
from ..puppetdb.model import Report
from ..query.ast import Node


class StoreUnavailable(ChaliceUnhandledError):
    """The backend is overloaded or failing and retries ran out; nothing of the
    request is visible and the client may retry it (the API answers 503).

    A ChaliceUnhandledError only so that Chalice lets it reach the error
    middleware (errors.render_errors): Chalice turns any other exception into its
    own 500 before middleware runs."""


class StoreBusy(StoreUnavailable):
    """Contention outlasted the retry budget; the request may be retried."""


class QueryTooExpensive(ChaliceUnhandledError):
    """A read went past the request's budget (query/budget.py: SQLite's deadline,
    DynamoDB's items read); nothing was answered. Retrying the same query costs
    the same, so the API answers 503 without Retry-After."""


class JobStore(Protocol):
    def create_job(self, job: NewJob, record_activity: bool = False) -> Job:
        """Store a job under the next job number (1, 2, 3, ... without gaps).
        `record_activity`: also store the activity commits PE records for it
        (orchestrator/activity.job_commits, one per node), in the same transaction
        (DynamoDB: up to activity JOB_COMMITS_PER_TRANSACTION nodes, docs/dynamodb.md);
        their run keys then follow the job's events when commits are listed."""

    def get_job(self, number: int) -> Job | None: ...

    def list_jobs(self, where: Node, order_by: str, order: str,
                  limit: int, offset: int) -> Page[Job]:
        """Jobs matching `where` (fields: type, finish_timestamp), ordered by
        a field of model.ORDER_FIELDS, ties broken by job number."""

    def append_job_events(self, number: int, events: Sequence[NewJobEvent]) -> list[JobEvent]:
        """Store events atomically with the job state they cause; ids are global
        and increase in commit order within a job. Raises UnknownJob, InvalidEvent."""

    def job_events(self, number: int, start: int, limit: int) -> list[JobEvent]:
        """Events of a job with id >= start, by id, at most `limit`."""

    def job_nodes(self, number: int) -> list[JobNode]: ...


class PuppetdbEventStore(Protocol):
    def store_report(self, report: Report) -> bool:
        """Store a report's events and update its node's latest report and its
        summary (find_nodes); False when
        a report with the same hash, or one of its `aliases`, is already stored
        (nothing changes). Readers see a report's events all or none.

        The latest report of a node is the one with the greatest `latest_key`; on
        equal keys, the smaller hash: the v4 reports default order's tiebreak
        (catalogue.REPORTS, hash ascending), so `latest_report?` names the report
        that order lists first, whatever the arrival order. A report whose key is
        later than the node's `deactivated` or `expired` time clears both
        (puppetdb.nodes.reactivates); its environment is recorded."""

    def find_events(self, where: Node, order: Sequence[tuple[str, str]],
                    offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Events (dicts of puppetdb.model.EVENT_FIELDS) matching `where` (AST fields
        as EVENT_FIELDS plus `latest_report`), ordered by `order` (NULLs last
        ascending, as PostgreSQL), sliced; `total` counts before paging, None
        unless `with_total` (include-total: the count reads every match)."""

    def find_reports(self, where: Node, order: Sequence[tuple[str, str]],
                     offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Reports (dicts of puppetdb.model.REPORT_FIELDS + REPORT_DETAILS) matching
        `where` (AST fields as REPORT_FIELDS plus `latest_report`), ordered and
        sliced as find_events; `total` as find_events."""

    def find_nodes(self, where: Node, order: Sequence[tuple[str, str]],
                   offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Nodes (dicts of puppetdb.nodes.NODE_FIELDS): each node's summary of its
        latest report, kept by store_report in the write that makes the report
        visible, and its state (deactivated, expired). `where` takes NODE_FIELDS
        (no node_state: the caller writes it as tests on deactivated/expired);
        ordered and sliced as find_events. A node deactivated before any report has
        only certname and state (the rest None, counts None). SQLite reads the
        one-row-per-node table; DynamoDB Queries the node partition (GetItem when
        `where` names certnames)."""

    def deactivate_node(self, certname: str, producer_timestamp: str) -> bool:
        """PuppetDB's `deactivate node` (scf/storage.clj deactivate-node!): False
        ("stale", nothing changes) when the node's latest report has a later key
        (producer timestamp); else True, the node created if unknown, and
        `deactivated` set to `producer_timestamp` (stored form) unless it already
        holds a later time. A later report reactivates it (store_report)."""

    def expire_node(self, certname: str, expired: str, stale_before: str) -> bool:
        """Mark an active node expired at `expired` (stored form) when its latest
        report's key is before `stale_before` (or it has none): PuppetDB's
        expire-stale-nodes for one node, for node-ttl retention. Conditional on the
        node's state, so a report that lands meanwhile keeps it active. False when
        unknown, already deactivated or expired, or reported since."""

    def find_environments(self, where: Node, order: Sequence[tuple[str, str]],
                          offset: int, limit: int | None, *,
                          with_total: bool = True) -> Page[dict]:
        """Environments ({"name"}) of stored reports, recorded by store_report:
        SQLite a table, DynamoDB the ENVIRONMENTS partition (a Query, never a Scan).
        `where` takes `name`; ordered and sliced as find_events."""


class ActivityStore(Protocol):
    def add_commit(self, commit: NewCommit) -> Commit:
        """Store a commit atomically under the next submission sequence (strictly
        increasing in commit order; per service on DynamoDB, see docs/dynamodb.md)."""

    def list_commits(self, service_id: str | None, where: Node, order: str,
                     limit: int, offset: int) -> Page[Commit]:
        """Commits of a service (None: every service) matching `where` (fields:
        activity.model.FIELDS), by sequence; `total` counts every match."""


class TokenStore(Protocol):
    """API tokens (auth/tokens.py): the hash, never the secret."""

    def add_token(self, token: Token) -> None:
        """Store a new token; ValueError when its id is taken (nothing changes)."""

    def get_token(self, token_id: str) -> Token | None: ...

    def list_tokens(self) -> list[Token]:
        """Every token, oldest first (an operator's list: tokens are few)."""

    def revoke_token(self, token_id: str, when: str) -> Token | None:
        """Mark a token revoked at `when` (the first revocation time is kept);
        None when no such token."""


class Storage(JobStore, PuppetdbEventStore, ActivityStore, TokenStore, Protocol):
    """Everything the routes need from a backend."""
