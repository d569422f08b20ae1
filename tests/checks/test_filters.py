import pytest

from auditor.checks.filters import (
    CONTINUOUS,
    MANUAL,
    ON_PUSH,
    effective_scanning,
    scan_filter_matches,
)


@pytest.mark.parametrize(
    ("filter_text", "name", "expected"),
    [
        ("prod", "prod-api", True),
        ("prod", "team-prod", True),  # no wildcard: contains
        ("prod", "team-prod-api", True),
        ("prod", "staging", False),
        ("prod*", "prod-api", True),
        ("prod*", "team-prod", False),  # wildcard: whole-name pattern
        ("*prod", "team-prod", True),
        ("*prod", "team-prod-api", False),
        ("*", "anything/at-all", True),
        ("team/*/api", "team/payments/api", True),
        ("team/*/api", "team/payments/api-v2", False),
        ("a.b", "axb", False),  # regular-expression characters are literal
        ("a.b*", "a.b-c", True),
        ("", "anything", True),
    ],
)
def test_scan_filter_semantics(filter_text, name, expected):
    assert scan_filter_matches(filter_text, name) is expected


def rule(frequency, *filters):
    return {"scanFrequency": frequency, "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters]}


@pytest.mark.parametrize(
    ("config", "name", "legacy", "frequency", "source"),
    [
        ({"scanType": "ENHANCED", "rules": [rule(ON_PUSH, "*"), rule(CONTINUOUS, "prod*")]}, "prod-api", False, CONTINUOUS, "registry rule"),
        ({"scanType": "ENHANCED", "rules": [rule(ON_PUSH, "*"), rule(CONTINUOUS, "prod*")]}, "dev-api", False, ON_PUSH, "registry rule"),
        ({"scanType": "ENHANCED", "rules": [rule(CONTINUOUS, "prod*")]}, "team-prod", False, None, "no rule"),
        ({"scanType": "ENHANCED", "rules": []}, "x", True, None, "no rule"),
        ({"scanType": "BASIC", "rules": []}, "x", True, ON_PUSH, "repository scanOnPush"),
        ({"scanType": "BASIC", "rules": []}, "x", False, MANUAL, "no rule"),
        # The legacy flag counts only when the registry has no rules at all.
        ({"scanType": "BASIC", "rules": [rule(ON_PUSH, "other")]}, "x", True, MANUAL, "no rule"),
        ({"scanType": "BASIC", "rules": [rule(ON_PUSH, "x")]}, "x", False, ON_PUSH, "registry rule"),
        ({}, "x", False, MANUAL, "no rule"),
    ],
)
def test_effective_scanning(config, name, legacy, frequency, source):
    effective = effective_scanning(config, name, legacy_scan_on_push=legacy)
    assert effective.frequency == frequency
    assert effective.source == source


@pytest.mark.parametrize(
    ("filter_text", "name", "expected"),
    [
        ("myapp/*", "myapp/api", True),
        ("myapp/*", "team/myapp/api", False),
        ("*/production", "web/production", True),
        ("*/production", "web/production-eu", False),
        ("*prod*", "team-prod-api", True),
        ("myapp", "myapp", True),
        ("myapp", "myapp-v2", False),  # no wildcard: the whole name, unlike scanning filters
    ],
)
def test_signing_filter_semantics(filter_text, name, expected):
    from auditor.checks.filters import signing_filter_matches

    assert signing_filter_matches(filter_text, name) is expected


def test_signing_rule_without_filters_covers_everything():
    from auditor.checks.filters import signing_rules_covering

    config = {"rules": [{"signingProfileArn": "arn:aws:signer:us-east-1:111122223333:/signing-profiles/p"}]}
    assert len(signing_rules_covering(config, "anything")) == 1
    config = {"rules": [{"signingProfileArn": "p", "repositoryFilters": [{"filter": "a*", "filterType": "WILDCARD_MATCH"}]}]}
    assert signing_rules_covering(config, "b") == []
