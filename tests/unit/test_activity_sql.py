"""The "related" column kind of query/sql.py (added for activity object filters):
a test on rows of an indexed side table, two-valued under NOT like every leaf."""
from __future__ import annotations

import sqlite3

from chalicelib.query import sql
from chalicelib.query.ast import Compare, In, Not

COLUMNS = {"tag": sql.Column("tags.tag", "related", ("p.id", "post"))}


def run(node) -> list[int]:
    db = sqlite3.connect(":memory:")
    db.executescript("CREATE TABLE posts (id INTEGER PRIMARY KEY);"
                     "CREATE TABLE tags (post INTEGER, tag TEXT);"
                     "CREATE INDEX tags_by_tag ON tags (tag, post);"
                     "INSERT INTO posts VALUES (1), (2), (3);"
                     "INSERT INTO tags VALUES (1, 'a'), (1, 'b'), (2, 'b');")
    clause, params = sql.where(node, COLUMNS)
    return [r[0] for r in db.execute(f"SELECT p.id FROM posts AS p WHERE {clause} ORDER BY p.id",
                                     params)]


def test_related_equality_matches_any_row():
    assert run(Compare("tag", "=", "b")) == [1, 2]


def test_related_membership():
    assert run(In("tag", ("a", "zzz"))) == [1]


def test_not_related_includes_rows_without_any_related_row():
    assert run(Not(Compare("tag", "=", "a"))) == [2, 3]


def test_related_compiles_to_an_indexable_subquery():
    clause, _ = sql.where(Compare("tag", "=", "a"), COLUMNS)
    assert clause == "(p.id IN (SELECT post FROM tags WHERE tags.tag = ?))"
