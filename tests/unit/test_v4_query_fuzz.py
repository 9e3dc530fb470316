"""Any JSON as PuppetDB v4 parameters gets a parsed request or PuppetDB's 400, never
another exception (issue 6 item 4)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import ApiError
from chalicelib.puppetdb import catalogue
from chalicelib.puppetdb.dialects import v4
from tests.query_strategies import INTEGER_TEXTS, WORDS, json_values, puppetdb_queries

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
ENDPOINTS = {   # name -> (entity, allowed parameters, parse options)
    "events": (catalogue.EVENTS, v4.EVENTS_PARAMS, {}),
    "reports": (catalogue.REPORTS, v4.REPORTS_PARAMS, {}),
    "event-counts": (catalogue.EVENTS, v4.EVENT_COUNTS_PARAMS, {"counting": True}),
    "aggregate-event-counts": (catalogue.EVENTS, v4.AGGREGATE_PARAMS,
                               {"counting": True, "aggregate": True}),
}
# Values as a URL gives them (text) or a POST body does (any JSON).
values = st.one_of(puppetdb_queries.map(json.dumps), puppetdb_queries, st.sampled_from(WORDS),
                   json_values)
parameters = st.dictionaries(
    st.sampled_from(sorted(v4.EVENT_COUNTS_PARAMS | {"unknown"})), values, max_size=5)
integers = st.one_of(st.sampled_from(INTEGER_TEXTS), st.integers(), json_values)
paging = st.fixed_dictionaries({}, optional={"limit": integers, "offset": integers,
                                             "include_total": values})


@FUZZ
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), params=parameters)
def test_v4_parameters_parse_or_are_400(endpoint, params):
    entity, allowed, options = ENDPOINTS[endpoint]
    try:
        v4.parse_request(params, None, entity, allowed, **options)
    except ApiError as error:
        assert error.status == 400 and error.msg, (error.status, error.msg)


@FUZZ
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), term=puppetdb_queries)
def test_v4_query_parses_or_is_400(endpoint, term):
    entity, allowed, options = ENDPOINTS[endpoint]
    try:
        v4.parse_request({"query": json.dumps(term)}, None, entity, allowed, **options)
    except ApiError as error:
        assert error.status == 400 and error.msg, (error.status, error.msg)


@FUZZ
@given(endpoint=st.sampled_from(["events", "reports", "event-counts"]), params=paging)
def test_v4_paging_parameters_parse_or_are_400(endpoint, params):
    entity, allowed, options = ENDPOINTS[endpoint]
    try:
        v4.parse_request({**params, **({"summarize_by": "certname"} if options else {})}, None,
                       entity, allowed, **options)
    except ApiError as error:
        assert error.status == 400 and error.msg, (error.status, error.msg)
