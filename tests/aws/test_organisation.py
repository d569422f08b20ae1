"""A whole organisation on the emulated estate: role assumption, regions, lost scope."""

import boto3

from auditor.audit import run_audit
from auditor.checks.model import Status
from auditor.config import AuditSettings, CheckSettings, LoadedConfig, Settings
from auditor.emulator.faults import AccessDenial, AssumeRoleDenial, CallFilter, FaultPlan
from auditor.emulator.seed import EstateSeeder
from auditor.inventory import ScopeStatus
from auditor.store.db import Store

REACHABLE = ("111111111111", "222222222222", "333333333333")
UNASSUMABLE = "444444444444"
REGIONS = ("us-east-1", "eu-west-1", "af-south-1")  # af-south-1 is an opt-in region left disabled
DENIED_REPOSITORY = "payments/api"


def seed(emulator):
    seeder = EstateSeeder(emulator, role_name="ECRAuditorRole")
    for account in REACHABLE:
        for region in REGIONS[:2]:
            ecr = seeder.ecr(account, region)
            for name in ("payments/api", "web/frontend"):
                ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    emulator.state.set_fault_plan(
        FaultPlan(
            access_denied=(
                AccessDenial(CallFilter(operations=("GetRepositoryPolicy",), accounts=(REACHABLE[1],),
                                        regions=("eu-west-1",), resources=(DENIED_REPOSITORY,))),
            ),
            assume_role_denied=AssumeRoleDenial(accounts=(UNASSUMABLE,)),
        )
    )


def audit(tmp_path, **audit_settings):
    settings = Settings(
        audit=AuditSettings(role_name="ECRAuditorRole", max_attempts=3, **audit_settings),
        checks=CheckSettings(trusted_accounts=list(REACHABLE)),
    )
    config = LoadedConfig(settings, tmp_path / "ecr-auditor.toml", "", found=False)
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    outcome = run_audit(config, store, session=boto3.Session(region_name="us-east-1"))
    return outcome, store


def test_organisation_scope_and_gaps(emulator, tmp_path):
    seed(emulator)
    outcome, store = audit(tmp_path, accounts=[*REACHABLE, UNASSUMABLE], regions=list(REGIONS))
    assert outcome.exit_code == 3

    scope = {(e.account, e.region): e for e in store.load_scope(outcome.run_id)}
    for account in REACHABLE:
        assert scope[(account, "us-east-1")].status is ScopeStatus.AUDITED
        assert scope[(account, "eu-west-1")].status is ScopeStatus.AUDITED
        assert scope[(account, "af-south-1")].status is ScopeStatus.SKIPPED
    for region in REGIONS:
        assert scope[(UNASSUMABLE, region)].status is ScopeStatus.UNREADABLE
        assert "AssumeRole" in scope[(UNASSUMABLE, region)].reason

    errors = [r for r in outcome.results if r.status is Status.ERROR]
    unassumable = [r for r in errors if r.resource.account == UNASSUMABLE]
    denied = [r for r in errors if r.resource.account != UNASSUMABLE]
    assert unassumable and all(r.resource.kind.value == "registry" for r in unassumable)
    # Only the checks that read the denied repository policy are ERROR, on that repository only.
    assert {str(r.resource) for r in denied} == {f"{REACHABLE[1]}/eu-west-1/repository/{DENIED_REPOSITORY}"}
    assert {r.check_id for r in denied} == {"PERM-04", "PERM-05", "PERM-06", "PERM-07"}
    # A skipped region yields no result at all: neither an error nor a pass.
    assert not [r for r in outcome.results if r.resource.region == "af-south-1" and r.resource.account in REACHABLE]
    assert outcome.coverage is not None and outcome.coverage < 100

    collection_errors = store.load_errors(outcome.run_id)
    assert {(e.account, e.operation, e.error_code) for e in collection_errors} >= {
        (UNASSUMABLE, "AssumeRole", "AccessDenied"),
        (REACHABLE[1], "GetRepositoryPolicy", "AccessDeniedException"),
    }
    store.close()


def test_skipped_region_alone_is_not_incomplete(emulator, tmp_path):
    seed(emulator)
    outcome, store = audit(tmp_path, accounts=[REACHABLE[0]], regions=["us-east-1", "af-south-1"])
    assert outcome.exit_code in (0, 1)  # complete: the disabled region is no reason for exit code 3
    statuses = {e.region: e.status for e in store.load_scope(outcome.run_id)}
    assert statuses == {"us-east-1": ScopeStatus.AUDITED, "af-south-1": ScopeStatus.SKIPPED}
    store.close()


def test_enabled_regions_discovered_when_none_listed(emulator, tmp_path):
    seed(emulator)
    outcome, store = audit(tmp_path, accounts=[REACHABLE[0]])
    audited = {e.region for e in store.load_scope(outcome.run_id) if e.status is ScopeStatus.AUDITED}
    assert {"us-east-1", "eu-west-1"} <= audited
    assert "af-south-1" not in audited
    store.close()


def test_organization_discovery_with_exclusions(emulator, tmp_path):
    organizations = boto3.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    created = [organizations.create_account(Email=f"member{i}@example.com", AccountName=f"member{i}")
               ["CreateAccountStatus"]["AccountId"] for i in range(3)]
    outcome, store = audit(tmp_path, organization=True, exclude_accounts=[created[0]], regions=["us-east-1"])
    accounts = {e.account for e in store.load_scope(outcome.run_id)}
    assert accounts == {"123456789012", created[1], created[2]}
    store.close()
