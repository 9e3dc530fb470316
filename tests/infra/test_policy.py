"""Least privilege, checked against reality: the hand-written IAM policy allows
exactly the DynamoDB actions the contract and HTTP tiers performed on moto.

It reads what tests/conftest.py recorded earlier in the same run, so it runs after
tests/contract and tests/http (pytest's directory order); run alone, it skips.
"""
import pytest

from infra.policy import ACTIONS
from tests.conftest import DYNAMODB_ACTIONS


def test_the_policy_allows_every_action_the_adapter_uses_and_no_other():
    if not DYNAMODB_ACTIONS:
        pytest.skip("run with tests/contract and tests/http (the whole suite) to record the actions")
    assert sorted(DYNAMODB_ACTIONS - set(ACTIONS)) == [], "used but not allowed by infra/policy.py"
    assert sorted(set(ACTIONS) - DYNAMODB_ACTIONS) == [], "allowed but never used"
