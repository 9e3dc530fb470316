"""Webhook subscriptions (issue 17): new events pushed to subscribers as signed
CloudEvents (docs/subscriptions.md).

model.py     subscriptions, deliveries, dead letters as records; sources and their keys
filters.py   a subscription's `filter` in each source's own query language
signing.py   CloudEvents 1.0 structured JSON and Standard Webhooks signatures; secrets
urls.py      which receiver URLs a stage accepts
delivery.py  fan-out of source records to deliveries, one delivery attempt, backoff,
             the dispatch cycle both backends share
dispatcher.py  the local dispatcher thread (`make run`)
stream.py    DynamoDB Streams records -> source records (the cloud's outbox)
routes.py    /subscriptions
"""
