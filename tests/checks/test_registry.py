"""Every shipped check honours the contract: unique id, complete metadata, a catalogue entry."""

import re
from pathlib import Path

import pytest

from auditor.aws.permissions import READ_ONLY_OPERATIONS
from auditor.checks import default_registry
from auditor.checks.catalogue import render_markdown
from auditor.checks.engine import Check, CheckRegistry
from auditor.checks.model import Area

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
CHECKS = list(default_registry())
ALLOWED_PERMISSIONS = set(READ_ONLY_OPERATIONS.values())


def test_ids_unique_and_well_formed():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    for check_id in ids:
        assert re.fullmatch(r"(PERM|PTC|REPL|TMPL|SCAN|VULN|REPO|SIGN)-\d{2}", check_id)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_metadata_complete(check: Check):
    meta = check.meta
    assert meta.title and not meta.title.endswith(".")
    assert meta.id.startswith(meta.area.value + "-")
    assert len(meta.rationale) > 40
    assert meta.remediation.console
    assert meta.remediation.cli.startswith("aws ")
    assert meta.controls, "every check maps to at least one framework control"
    assert meta.permissions
    assert set(meta.permissions) <= ALLOWED_PERMISSIONS, "permissions must be on the read-only allow-list"


def test_registry_rejects_duplicates_and_bad_ids():
    with pytest.raises(ValueError, match="duplicate"):
        CheckRegistry([CHECKS[0], CHECKS[0]])
    bad = Check(meta=CHECKS[0].meta.__class__(**{**CHECKS[0].meta.__dict__, "id": "PERM-1"}),
                scope=CHECKS[0].scope, function=CHECKS[0].function)
    with pytest.raises(ValueError, match="AREA-NN"):
        CheckRegistry([bad])


def test_required_checks_present():
    ids = {c.id for c in CHECKS}
    assert {"REPO-01", "REPO-02", "REPO-03", "REPO-04", "REPO-05", "SCAN-01", "SCAN-02", "PERM-01", "PERM-04"} <= ids
    assert {c.meta.area for c in CHECKS} >= {Area.REPO, Area.SCAN, Area.PERM}


def test_catalogue_document_is_current():
    expected = render_markdown(default_registry())
    assert DOCS.read_text() == expected, "docs/checks.md is stale: run 'ecr-auditor checks list --format markdown > docs/checks.md'"
