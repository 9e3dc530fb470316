"""Puppet events service: wiring only (routes live in chalicelib/<api>/routes.py)."""
from chalice import Chalice

from chalicelib import limits, logs, routing
from chalicelib.activity.routes import blueprint as activity
from chalicelib.auth.middleware import authenticate
from chalicelib.errors import render_errors
from chalicelib.openapi import blueprint as api_description
from chalicelib.query import budget
from chalicelib.orchestrator.routes import blueprint as orchestrator
from chalicelib.puppetdb.metrics import blueprint as puppetdb_metrics
from chalicelib.puppetdb.routes import blueprint as puppetdb

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
app.register_blueprint(activity, url_prefix="/activity-api")
app.register_blueprint(api_description)
# Last, from the routes above: 404 for unknown paths, 405 for unserved methods.
routing.answer_unrouted(app)
