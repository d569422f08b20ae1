import pytest
from builders import failed, inventory, only, present, repository, run_check, scan_rule, scanning

from auditor.checks.model import Status
from auditor.checks.scanning import scan_01, scan_02
from auditor.inventory import REGISTRY, Kind


@pytest.mark.parametrize(
    ("scan_type", "required", "expected"),
    [
        ("ENHANCED", "ENHANCED", Status.PASS),
        ("BASIC", "ENHANCED", Status.FAIL),
        ("BASIC", "BASIC", Status.PASS),
    ],
)
def test_scan_01_scan_type(scan_type, required, expected):
    result = only(run_check(scan_01, inventory(scanning(scan_type)), required_scan_type=required))
    assert result.status is expected


def test_scan_01_error_when_configuration_unreadable():
    snapshot = failed(Kind.REGISTRY_SCANNING_CONFIGURATION, REGISTRY, operation="GetRegistryScanningConfiguration")
    result = only(run_check(scan_01, inventory(snapshot)))
    assert result.status is Status.ERROR


@pytest.mark.parametrize(
    ("scan_type", "rules", "name", "scan_on_push", "expected"),
    [
        ("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*")], "anything", False, Status.PASS),
        ("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod*")], "team-prod", False, Status.FAIL),
        ("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod")], "team-prod", False, Status.PASS),
        ("ENHANCED", [scan_rule("SCAN_ON_PUSH", "payments")], "payments/api", False, Status.PASS),
        ("ENHANCED", [], "payments/api", True, Status.FAIL),  # legacy flag ignored under ENHANCED
        ("BASIC", [], "payments/api", True, Status.PASS),  # legacy flag counts: BASIC, no rules
        ("BASIC", [], "payments/api", False, Status.FAIL),
        ("BASIC", [scan_rule("SCAN_ON_PUSH", "web")], "payments/api", True, Status.FAIL),
        ("BASIC", [scan_rule("SCAN_ON_PUSH", "pay*")], "payments/api", False, Status.PASS),
    ],
)
def test_scan_02_effective_frequency(scan_type, rules, name, scan_on_push, expected):
    inv = inventory(
        scanning(scan_type, rules),
        repository(name, imageScanningConfiguration={"scanOnPush": scan_on_push}),
    )
    result = only(run_check(scan_02, inv))
    assert result.status is expected


def test_scan_02_ignores_reported_scan_on_push_when_rules_do_not_cover():
    # A repository whose own scanOnPush flag is still set, in a registry whose rules
    # do not cover it, is not scanned on push: the flag must not turn into a pass.
    inv = inventory(
        scanning("BASIC", [scan_rule("SCAN_ON_PUSH", "other")]),
        repository("app", imageScanningConfiguration={"scanOnPush": True}),
        present(Kind.REPOSITORY_SCANNING, "app", {"repositoryName": "app", "scanOnPush": True,
                                                   "scanFrequency": "SCAN_ON_PUSH", "appliedScanFilters": []}),
    )
    result = only(run_check(scan_02, inv))
    assert result.status is Status.FAIL
    assert result.evidence["reportedFrequency"] == "SCAN_ON_PUSH"


def test_scan_02_not_applicable_for_empty_registry():
    result = only(run_check(scan_02, inventory(scanning("ENHANCED"))))
    assert result.status is Status.NOT_APPLICABLE


def test_scan_02_error_without_registry_configuration():
    snapshot = failed(Kind.REGISTRY_SCANNING_CONFIGURATION, REGISTRY)
    result = only(run_check(scan_02, inventory(snapshot, repository("app"))))
    assert result.status is Status.ERROR
