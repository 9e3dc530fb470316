"""The DynamoDB adapter (the cloud; moto in tests)."""
from __future__ import annotations

import logging

from . import activity, orchestrator, puppetdb, retention, subscriptions, tokens
from .client import GuardedClient, make_client
from .codec import to_value
from .tables import TABLES, create_tables

log = logging.getLogger(__name__)
# A token id is 16 hex digits (auth/tokens.py): no token has this one.
PING_KEY = {"id": to_value("status-ping")}


class DynamoStorage(orchestrator.JobItems, puppetdb.PuppetdbItems, activity.CommitItems,
                    tokens.TokenItems, retention.RetentionItems,
                    subscriptions.SubscriptionItems):
    def __init__(self, table_prefix: str, client=None):
        self.table_prefix = table_prefix
        self.client = GuardedClient(client or make_client())

    def table_name(self, logical: str) -> str:
        return self.table_prefix + logical

    def create_tables(self, wait: bool = True) -> list[str]:
        return create_tables(self.client, self.table_prefix, TABLES, wait=wait)

    def ping(self) -> bool:
        # The tokens table: every request with a token reads it, so it must be up.
        try:
            self.client.get_item(TableName=self.table_name(tokens.TABLE), Key=PING_KEY,
                                 ProjectionExpression="id")
            return True
        except Exception as error:      # unavailable, throttled, no table: "not up"
            log.warning("store ping failed: %s", error)
            return False


__all__ = ["DynamoStorage"]
