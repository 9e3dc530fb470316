"""Input limits as functions (chalicelib/limits.py); their HTTP answers are in
tests/http/test_limits.py."""
from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from chalicelib import limits
from chalicelib.errors import ApiError
from chalicelib.query import regex
from tests.query_strategies import json_values


@pytest.mark.parametrize("text, deepest", [
    ("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4),
    ('["[[[[", "]]", {"k\\"[": "{"}]', 2),     # brackets inside strings do not count
    ('["ends in a backslash \\\\", "[[", "\\\\\\"[[["]', 1),
    (b"[[[]]]", 3),
])
def test_depth_counts_brackets_outside_strings(text, deepest):
    assert limits.depth(text) == deepest


def test_depth_agrees_with_the_parsed_document():
    text = json.dumps({"a": ["[\\", {"b": "]\"{"}, [[["\\\\"]]]]})
    assert limits.depth(text) == 5 and json.loads(text)


def test_nesting_beyond_the_limit_is_refused_before_parsing():
    deep = "[" * 100_000 + "]" * 100_000     # json.loads alone raises RecursionError here
    with pytest.raises(limits.TooComplex, match="nested more than 32 levels"):
        limits.loads(deep, max_depth=32)
    assert limits.loads("[[1]]", max_depth=2) == [[1]]


def test_text_beyond_the_size_limit_is_refused():
    with pytest.raises(limits.TooComplex, match="longer than 10 bytes"):
        limits.loads('["ééééé"]', max_depth=5, max_bytes=10)     # 14 bytes in UTF-8


def _bomb(inflated_bytes: int) -> bytes:
    """A gzip stream of `inflated_bytes` zeros, built without holding them."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(inflated_bytes >> 20)]
    return b"".join(parts) + packer.flush()


def test_a_gzip_bomb_is_refused_without_being_inflated_in_memory(monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_BODY_BYTES", str(4 << 20))
    bomb = _bomb(64 << 20)               # 64 MiB inflated, well under 1 MiB sent
    tracemalloc.start()
    try:
        with pytest.raises(ApiError) as refused:
            limits.inflate(bomb, "gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413
    assert peak < (4 << 20) + 4 * limits.INFLATE_CHUNK     # the limit plus a few chunks


def test_a_body_within_the_limit_inflates_whole():
    assert limits.inflate(gzip.compress(b"x" * 1000), "gzip") == b"x" * 1000


@pytest.mark.parametrize("raw", [b"not gzip", gzip.compress(b"{}")[:-6]],
                         ids=["garbage", "truncated"])
def test_broken_gzip_is_a_400(raw):
    with pytest.raises(ApiError) as refused:
        limits.inflate(raw, "gzip")
    assert refused.value.status == 400


def test_a_regex_over_the_length_limit_is_refused():
    with pytest.raises(regex.InvalidRegex, match="longer than 8"):
        regex.validate("a" * 9, max_length=8)


def test_a_backtracking_pattern_runs_in_linear_time_on_re2():
    # On a backtracking engine (Python's re) this search takes longer than the
    # age of the universe; RE2 answers at once, so the test finishes.
    assert regex.search("(a*)*$", "a" * 50_000 + "!") is True
    assert regex.search("^(a|aa)+$", "a" * 50_000 + "!") is False


def _nesting(value) -> int:
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    return 0


_TRICKY = st.text(alphabet='[]{}"\\ab\ud800\U0001f600', max_size=8)   # lone surrogates too
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | _TRICKY,
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_TRICKY, inner, max_size=4), max_leaves=30)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(_JSON, st.booleans())
def test_depth_of_any_document_is_its_nesting(document, as_bytes):
    text = json.dumps(document, ensure_ascii=False)
    raw = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert limits.depth(raw) == _nesting(document)


# ---------------------------------------------------------------- the text rule (issue 20 item 1)

class _Event:
    def __init__(self, path, query=None, uri=None):
        from chalice.app import MultiDict
        self.path, self.headers, self.raw_body = path, {}, b""
        self.query_params = MultiDict({k: [v] for k, v in (query or {}).items()}) if query else None
        self.uri_params = uri


@pytest.mark.parametrize("event,kind", [
    (_Event("/activity-api/v1/events", query={"subject_id": "\ud800"}), "invalid-parameter"),
    (_Event("/orchestrator/v1/jobs/{job_id}", uri={"job_id": "\udfff"}), "validation-error"),
    (_Event("/pdb/query/v4/events", query={"\ud800": "x"}), "bad-request"),
])
def test_a_url_parameter_that_is_not_text_is_refused_before_the_route(event, kind):
    with pytest.raises(ApiError) as raised:
        limits.enforce(event, lambda e: pytest.fail("the route ran"))
    assert (raised.value.status, raised.value.kind) == (400, kind)


def test_a_json_text_with_a_lone_surrogate_escape_is_not_text():
    with pytest.raises(limits.NotText):
        limits.loads(b'{"a": ["\\ud800"]}', max_depth=8)
    with pytest.raises(limits.NotText):
        limits.loads('{"\\uDFFF": 1}', max_depth=8)


def test_a_surrogate_pair_and_an_escaped_backslash_are_text():
    assert limits.loads(b'["\\ud83d\\ude00", "\\\\ud800"]', max_depth=8) == ["\U0001F600", "\\ud800"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(json_values)
def test_any_json_loads_or_is_not_text_exactly_when_a_lone_surrogate_survives(value):
    try:    # as a client sends it: surrogates as escapes (NaN is refused elsewhere)
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        reject()
    decoded = json.loads(text)
    try:
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
        lone = False
    except UnicodeEncodeError:
        lone = True
    for raw in (text, text.encode("ascii")):
        if lone:
            with pytest.raises(limits.NotText):
                limits.loads(raw, max_depth=100)
        else:
            assert json.dumps(limits.loads(raw, max_depth=100)) == json.dumps(decoded)
