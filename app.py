"""Puppet events service: wiring only (routes live in chalicelib/<api>/routes.py)."""
from chalice import Chalice, Rate

from chalicelib import limits, logs, retention, routing
from chalicelib.activity.routes import blueprint as activity
from chalicelib.auth.middleware import authenticate
from chalicelib.errors import render_errors
from chalicelib.openapi import blueprint as api_description
from chalicelib.query import budget
from chalicelib.orchestrator.routes import blueprint as orchestrator
from chalicelib.puppetdb.metrics import blueprint as puppetdb_metrics
from chalicelib.puppetdb.not_stored import blueprint as puppetdb_not_stored
from chalicelib.puppetdb.routes import blueprint as puppetdb
from chalicelib.puppetdb.status import blueprint as status
from chalicelib.subscriptions import dispatcher, stream
from chalicelib.subscriptions.routes import blueprint as subscriptions

logs.configure()
app = Chalice(app_name="puppet-events")
# The first-registered middleware runs outermost: the access log sees the
# response after errors are rendered, so it logs the final status.
app.register_middleware(logs.access_log, "http")
app.register_middleware(render_errors, "http")
# Inside render_errors, so their refusals are rendered in each API's format;
# authentication first, so an unauthenticated request learns nothing more.
app.register_middleware(authenticate, "http")
app.register_middleware(limits.enforce, "http")
# Innermost: a request's read budget (deadline, items read) starts with its route.
app.register_middleware(budget.request_budget, "http")
app.register_blueprint(orchestrator, url_prefix="/orchestrator/v1")
app.register_blueprint(puppetdb)
app.register_blueprint(puppetdb_metrics)
app.register_blueprint(puppetdb_not_stored)
app.register_blueprint(status)
app.register_blueprint(activity, url_prefix="/activity-api")
app.register_blueprint(subscriptions)
app.register_blueprint(api_description)
# Last, from the routes above: 404 for unknown paths, 405 for unserved methods.
routing.answer_unrouted(app)
# Retention: node expiry and purge, summaries, jobs and commits (TTL does the rest).
# Bound to this name: the packaged function's handler is `app.collect_garbage`.
collect_garbage = app.schedule(Rate(retention.GC_RATE_MINUTES, unit=Rate.MINUTES),
                               name="collect_garbage")(retention.collect_garbage)


# Webhook subscriptions in the cloud: the tables' streams feed one handler (the
# template maps every streamed table to it); a schedule sends retries when due.
@app.on_dynamodb_record(stream_arn=stream.PLACEHOLDER_ARN, batch_size=stream.BATCH_SIZE,
                        starting_position="TRIM_HORIZON", name="subscription_stream")
def subscription_stream(event):
    stream.on_stream(event.to_dict())


@app.schedule(Rate(1, unit=Rate.MINUTES), name="subscription_retries")
def subscription_retries(event):
    stream.on_schedule()


# `chalice local` on the SQLite stage: the outbox's delivery thread (subscriptions/dispatcher.py).
dispatcher.start_local()
