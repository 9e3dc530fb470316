"""Hypothesis strategies for hostile query JSON: any JSON value, biased towards the
shapes the parsers look at (operator arrays, field names, query-item objects)."""
from __future__ import annotations

from hypothesis import strategies as st

from chalicelib.activity.parsing import QUERY_ITEM_KEYS
from chalicelib.puppetdb.catalogue import EVENT_FIELDS
from chalicelib.puppetdb.catalogue import V1_4_QUERY_FIELDS as EXPERIMENTAL_FIELDS

OPERATORS = ("=", "~", "<", ">", "<=", ">=", "and", "or", "not", "AND", "in", "null?",
             "extract", "subquery", "select_events")
FIELD_NAMES = tuple(EXPERIMENTAL_FIELDS) + EVENT_FIELDS + ("latest_report?", "hash", "")
WORDS = OPERATORS + FIELD_NAMES + tuple(QUERY_ITEM_KEYS) + (
    "users", "node", "node_groups", "2016-05-05T19:50:08Z", "2011-01-01T12:00:01-03:00",
    "success", "failure", ".*", "(", "[", "\\", "a{1000}{1000}",
    "true", "", "\ud800", "a\udfffb", "\x00", "\u2028")
# Integer-looking text for limit/offset/start: "\u00b2".isdigit() is True but int()
# refuses it; "\u0663" is an Arabic-Indic 3; the last is beyond 64 bits.
INTEGER_TEXTS = ("10", " 5", "-1", "0", "1e3", "1.5", "\u00b2", "\u0663",
                 "99999999999999999999999")
WORDS = WORDS + INTEGER_TEXTS

# Every character, lone surrogates (category Cs) included: Hypothesis's text() leaves
# them out by default, yet "\ud800" is valid JSON (issue 20 item 1). Half the texts
# hold one for sure (two drawn at random mostly make a pair, which JSON joins).
ANY_CHARACTER = st.characters(exclude_categories=())
LONE_SURROGATE = st.characters(categories=["Cs"])


def any_text(max_size: int) -> st.SearchStrategy[str]:
    text = st.text(ANY_CHARACTER, max_size=max_size)
    return st.one_of(text, st.builds(lambda head, lone, tail: head + lone + tail,
                                     text, LONE_SURROGATE, text))


atoms = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text(12), st.sampled_from(WORDS))

keys = st.one_of(st.sampled_from(WORDS), any_text(8))

json_values = st.recursive(
    atoms,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(keys, children, max_size=4)),
    max_leaves=15)

# A PuppetDB query: [op, field, value] leaves combined with and/or/not, any part of
# which may be replaced by arbitrary JSON.
query_leaves = st.builds(lambda op, field, value: [op, field, value],
                         st.sampled_from(OPERATORS), st.sampled_from(FIELD_NAMES) | json_values,
                         json_values)
# Well-formed text leaves, so that hostile text reaches the stores, not only the parser.
text_leaves = st.builds(lambda op, field, value: [op, field, value],
                        st.sampled_from(("=", "~")), st.sampled_from(FIELD_NAMES), any_text(6))
puppetdb_queries = st.one_of(json_values, text_leaves, st.recursive(
    query_leaves | text_leaves,
    lambda inner: st.one_of(
        st.builds(lambda op, terms: [op, *terms], st.sampled_from(("and", "or", "OR")),
                  st.lists(inner, max_size=4)),
        st.builds(lambda term: ["not", term], inner),
        st.lists(inner | json_values, max_size=4)),
    max_leaves=12))

# Activity v2 `query`: an array of query items, or the {"query": [...]} form.
activity_items = st.dictionaries(st.sampled_from(sorted(QUERY_ITEM_KEYS)) | keys,
                                 st.sampled_from(WORDS) | any_text(6) | json_values, max_size=3)
activity_queries = st.one_of(
    json_values,
    st.lists(activity_items, max_size=4),
    st.builds(lambda items: {"query": items}, st.lists(activity_items, max_size=3)))

# ---------------------------------------------------------------- wide and deep queries
# Issue 20 (query cost): shapes around the cost caps (query/cost.py: width 100, depth 32,
# regexes 8) built from leaves that parse, so they reach the cost check and the store.
# Fields and operators valid in both PuppetDB dialects (1.4 and v4 spell these alike).
WIDTHS = st.integers(min_value=0, max_value=130) | st.sampled_from((99, 100, 101))
cheap_leaves = st.one_of(
    st.builds(lambda n: ["=", "line", n], st.integers(0, 200)),
    st.builds(lambda name: ["=", "certname", name], st.sampled_from(WORDS)),
    st.builds(lambda pattern: ["~", "certname", pattern], st.sampled_from(("^a", "b$", "x", ".*"))))


def _wide(leaf):
    return WIDTHS.flatmap(lambda n: st.lists(leaf, min_size=n, max_size=n))


def _nested(depth: int, operators: list, leaf: list) -> list:
    term = leaf
    for level in range(depth):
        operator = operators[level % len(operators)]
        term = ["not", term] if operator == "not" else [operator, ["=", "line", level], term]
    return term


# Alternations: SQLite's parser stack once overflowed on "and"/"or" and "not"/"and" ones.
ALTERNATIONS = (("and", "or"), ("not", "and"), ("not", "or"), ("or", "not", "and"), ("not",))
deep_queries = st.builds(_nested, st.integers(24, 40), st.sampled_from(ALTERNATIONS),
                         cheap_leaves)
wide_puppetdb_queries = st.one_of(
    st.builds(lambda op, terms: [op, *terms], st.sampled_from(("or", "and")), _wide(cheap_leaves)),
    st.builds(lambda values: ["in", "line", ["array", values]], _wide(st.integers(0, 200))),
    st.builds(lambda n: ["or", *[["~", "message", "e" * (i + 1)] for i in range(n)]],
              st.integers(0, 12)),
    deep_queries)

# Activity: v1 comma lists of ids, and v2 query-item arrays, around the width cap.
wide_id_lists = _wide(st.integers(0, 10 ** 6).map(str)).map(",".join)
wide_activity_queries = _wide(st.one_of(
    st.builds(lambda i: {"object_type": "node_groups", "object_id": i}, st.sampled_from(WORDS)),
    st.builds(lambda i: {"subject_id": i}, st.sampled_from(WORDS)),
    st.builds(lambda ip: {"ip_address": ip}, st.sampled_from(("10.", "192.168.", "::1")))))
