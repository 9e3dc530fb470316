"""One middleware renders every error in its API's own format."""
import json

from chalice import Response

from chalicelib.errors import ApiError, render_errors


class Event:
    def __init__(self, path):
        self.path = path


def raising(error):
    def get_response(event):
        raise error
    return get_response


def test_orchestrator_errors_are_pe_json_with_namespace():
    response = render_errors(Event("/orchestrator/v1/jobs/x"), raising(ApiError(400, "validation-error", "bad", {"a": 1})))
    assert response.status_code == 400
    assert json.loads(response.body) == {"kind": "puppetlabs.orchestrator/validation-error", "msg": "bad",
                                         "details": {"a": 1}}


def test_a_namespaced_kind_is_kept():
    response = render_errors(Event("/activity-api/v2/events"),
                             raising(ApiError(401, "puppetlabs.rbac/user-unauthenticated", "Route requires authentication")))
    assert json.loads(response.body)["kind"] == "puppetlabs.rbac/user-unauthenticated"


def test_puppetdb_errors_are_plain_text():
    response = render_errors(Event("/experimental/events"), raising(ApiError(400, "query", "foo is not a queryable object")))
    assert response.body == "foo is not a queryable object"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_chalice_internal_errors_are_rewritten_in_the_api_format():
    chalice_500 = Response(body={"Code": "InternalServerError", "Message": "An internal server error occurred."},
                           status_code=500)
    response = render_errors(Event("/orchestrator/v1/jobs"), lambda event: chalice_500)
    assert response.status_code == 500
    assert json.loads(response.body)["kind"] == "puppetlabs.orchestrator/server-error"


def test_successful_responses_pass_through():
    ok = Response(body="{}", status_code=200)
    assert render_errors(Event("/orchestrator/v1/jobs"), lambda event: ok) is ok


def test_a_setting_the_service_cannot_read_is_a_500_in_the_api_format_named_in_the_log(
        monkeypatch, caplog):
    monkeypatch.setenv("EVENTS_REPORT_TTL", "14x")
    for path, raised in (("/orchestrator/v1/jobs", raising(ValueError("from a middleware"))),
                         ("/activity-api/v2/events", lambda event: Response(
                             body={"Code": "InternalServerError", "Message": "x"}, status_code=500))):
        response = render_errors(Event(path), raised)
        assert response.status_code == 500
        assert json.loads(response.body)["msg"].startswith("The service's settings are invalid")
    assert "EVENTS_REPORT_TTL" in caplog.text and "'14x'" in caplog.text


def test_a_value_error_with_readable_settings_is_not_blamed_on_them():
    import pytest
    with pytest.raises(ValueError):
        render_errors(Event("/orchestrator/v1/jobs"), raising(ValueError("a bug")))
