"""Puppet events service: wiring only (routes live in chalicelib/<api>/routes.py)."""
from chalice import Chalice

from chalicelib.activity.routes import blueprint as activity
from chalicelib.errors import render_errors
from chalicelib.orchestrator.routes import blueprint as orchestrator

app = Chalice(app_name="puppet-events")
app.register_middleware(render_errors, "http")
app.register_blueprint(orchestrator, url_prefix="/orchestrator/v1")
app.register_blueprint(activity, url_prefix="/activity-api")
