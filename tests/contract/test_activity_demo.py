"""The demo data set loads on both adapters and serves the README's examples."""
from __future__ import annotations

from chalicelib.activity.demo import COMMITS, load_activity
from chalicelib.query.ast import EVERYTHING


def test_demo_commits_load_and_list_per_service(store):
    assert load_activity(store) == len(COMMITS)
    assert store.list_commits(None, EVERYTHING, "desc", 100, 0).total == len(COMMITS)
    assert store.list_commits("classifier", EVERYTHING, "desc", 100, 0).total == 2
