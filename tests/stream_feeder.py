"""DynamoDB Streams on moto, read as Lambda reads them: every streamed table's new
records, shaped as the event a `on_dynamodb_record` handler receives (moto's
get_records records plus `eventSourceARN`), in stream order per table."""
from __future__ import annotations

import boto3

from chalicelib.storage.dynamodb.tables import STREAMED

# botocore's endpoint rules send stream calls that name an ARN to an endpoint moto
# does not intercept; the regional endpoint is the one it serves.
ENDPOINT = "https://streams.dynamodb.us-east-1.amazonaws.com"


class StreamFeeder:
    def __init__(self, store, endpoint_url: str | None = None):
        tables = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint_url)
        self.streams = boto3.client("dynamodbstreams", region_name="us-east-1",
                                    endpoint_url=endpoint_url or ENDPOINT)
        self.iterators: dict[tuple[str, str], str] = {}
        self.arns = [tables.describe_table(TableName=store.table_name(spec.name))
                     ["Table"]["LatestStreamArn"] for spec in STREAMED]

    def records(self) -> list[dict]:
        """Every record written since the last call."""
        found = []
        for arn in self.arns:
            shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                key = (arn, shard["ShardId"])
                if key not in self.iterators:
                    self.iterators[key] = self.streams.get_shard_iterator(
                        StreamArn=arn, ShardId=shard["ShardId"],
                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                answer = self.streams.get_records(ShardIterator=self.iterators[key])
                self.iterators[key] = answer["NextShardIterator"]
                found += [{**r, "eventSourceARN": arn} for r in answer["Records"]]
        return found

    def feed(self, store, handler, **options) -> int:
        """Hand the new records to `handler(store, records, **options)` in batches of
        the mapping's size (stream.BATCH_SIZE), as Lambda would."""
        from chalicelib.subscriptions.stream import BATCH_SIZE
        records = self.records()
        done = 0
        for start in range(0, len(records), BATCH_SIZE):
            done += handler(store, records[start:start + BATCH_SIZE], **options)
        return done
