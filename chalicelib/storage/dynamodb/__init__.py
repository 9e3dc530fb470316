"""The DynamoDB adapter (the cloud; moto in tests)."""
from __future__ import annotations

from . import activity, orchestrator, puppetdb, subscriptions, tokens
from .client import GuardedClient, make_client
from .tables import TABLES, create_tables


class DynamoStorage(orchestrator.JobItems, puppetdb.PuppetdbItems, activity.CommitItems,
                    tokens.TokenItems, subscriptions.SubscriptionItems):
    def __init__(self, table_prefix: str, client=None):
        self.table_prefix = table_prefix
        self.client = GuardedClient(client or make_client())

    def table_name(self, logical: str) -> str:
        return self.table_prefix + logical

    def create_tables(self, wait: bool = True) -> list[str]:
        return create_tables(self.client, self.table_prefix, TABLES, wait=wait)


__all__ = ["DynamoStorage"]
