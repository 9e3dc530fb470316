"""Stored JSON served as stored (chalicelib/jsontext.py): the text is spliced into the
response unchanged, decoded only when read, and reads and compares as its value."""
from __future__ import annotations

import json

from chalicelib import jsontext
from chalicelib.jsontext import JSONText, dumps, loads_own


def test_stored_text_is_spliced_into_the_response_unchanged():
    stored = JSONText('{"node": "caf\\u00e9", "n": [1, 2]}')
    assert dumps({"details": stored}) == '{"details":{"node": "caf\\u00e9", "n": [1, 2]}}'
    assert stored._value is jsontext._UNDECODED        # served without being decoded


def test_it_reads_as_the_mapping_or_sequence_it_holds():
    details = JSONText('{"node": "a", "detail": {"x": 1}}')
    assert details.get("node") == "a" and details["detail"] == {"x": 1}
    assert dict(details.items()) == {"node": "a", "detail": {"x": 1}} and "node" in details
    events = JSONText('[{"type": "create"}]')
    assert list(events) == [{"type": "create"}] and len(events) == 1 and events
    assert not JSONText("[]")


def test_it_equals_its_value_and_an_array_equals_a_tuple_of_the_same_items():
    assert JSONText('{"a": 1}') == {"a": 1} and {"a": 1} == JSONText('{"a": 1}')
    assert JSONText('[{"a": 1}]') == ({"a": 1},)
    assert JSONText('[1]') == JSONText('[1]') and JSONText('[1]') != [2]


def test_a_body_orjson_refuses_is_written_by_json_with_the_same_values():
    # orjson refuses integers beyond 64 bits; Python's json writes them exactly.
    body = {"big": 2 ** 70, "stored": JSONText('{"x": 1}'), "text": "é"}
    assert json.loads(dumps(body)) == {"big": 2 ** 70, "stored": {"x": 1}, "text": "é"}
    assert json.loads(dumps({1: "non-string key"})) == {"1": "non-string key"}
    assert dumps({"node": "\ud800"}) == '{"node":"\\ud800"}'      # a lone surrogate, escaped


def test_the_services_own_json_decodes_like_json_even_where_orjson_refuses():
    for text in ('{"running": 2}', '["a", "caf\\u00e9"]', '["\\ud800"]'):
        assert loads_own(text) == json.loads(text)


def test_responses_are_utf8_text_not_escapes():
    assert dumps({"name": "Zoë", "n": (1, 2)}) == '{"name":"Zoë","n":[1,2]}'
