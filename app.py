"""Puppet events service: wiring only (routes live in chalicelib/<api>/routes.py)."""
from chalice import Chalice

from chalicelib import logs
from chalicelib.activity.routes import blueprint as activity
from chalicelib.errors import render_errors
from chalicelib.openapi import blueprint as api_description
from chalicelib.orchestrator.routes import blueprint as orchestrator
from chalicelib.puppetdb.routes import blueprint as puppetdb

logs.configure()
app = Chalice(app_name="puppet-events")
# The first-registered middleware runs outermost: the access log sees the
# response after errors are rendered, so it logs the final status.
app.register_middleware(logs.access_log, "http")
app.register_middleware(render_errors, "http")
app.register_blueprint(orchestrator, url_prefix="/orchestrator/v1")
app.register_blueprint(puppetdb)
app.register_blueprint(activity, url_prefix="/activity-api")
app.register_blueprint(api_description)
