"""The demo: the main job against an emulated estate served on 127.0.0.1.

The demo audits the estate three times and changes it between the runs through the
ECR API, as its owners would. It fixes some failures and breaks other settings. It
narrows a scanning filter, adds a replication destination, relaxes a creation
template and adds a registry policy statement. So its reports show a trend, new and
resolved failures and configuration drift. After the last run it writes that run's
PDF report and a signed evidence package next to the HTML reports.

The demo keeps its own SQLite database in its output directory unless a database
URL is given, so it never writes into a configured production database; running
it again into the same directory adds runs to that history.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from auditor.audit import RunOutcome, run_audit
from auditor.config import AuditSettings, CheckSettings, LoadedConfig, Settings
from auditor.errors import ConfigError
from auditor.evidence.chain import seal_run
from auditor.evidence.package import RenderedReports, export_package
from auditor.evidence.signing import ensure_signing_key
from auditor.report.html import render_html, write_report_file
from auditor.report.model import build_report_model
from auditor.report.pdf import render_model_pdf
from auditor.store.db import Store

if TYPE_CHECKING:
    from auditor.emulator import EstateSeeder

logger = logging.getLogger(__name__)

DEMO_DATABASE = "ecr-auditor-demo.db"
DEMO_SIGNING_KEY = "evidence-signing-key.pem"
DEMO_RUNS = 3
# Credentials the emulator accepts; they never leave 127.0.0.1.
_EMULATOR_KEY_ID = "testing"
_EMULATOR_SECRET = "testing"  # noqa: S105 - the emulator's dummy secret

# The registries of the demo estate (see auditor.emulator.demo_estate): the first
# account's us-east-1 registry has every feature configured, the second account's
# us-east-1 registry has a public registry policy and a public creation template.
MAIN_ACCOUNT = "123456789012"
PEER_ACCOUNT = "210987654321"
UNTRUSTED_ACCOUNT = "999988887777"
ORGANIZATION_ID = "o-a1b2c3d4e5"
PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


@contextmanager
def endpoint_environment(endpoint_url: str) -> Iterator[None]:
    """Point boto3 at the emulator through its own AWS_ENDPOINT_URL variable, then restore."""
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE")}
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_settings(accounts: list[str], regions: list[str], role_name: str, trusted: list[str]) -> Settings:
    return Settings(
        audit=AuditSettings(accounts=accounts, regions=regions, role_name=role_name),
        checks=CheckSettings(required_tags=["owner", "cost-center"], trusted_accounts=trusted),
    )


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def first_changes(seeder: EstateSeeder) -> None:
    """Between runs 1 and 2: fix some failures, break others, and change registry settings."""
    main = seeder.ecr(MAIN_ACCOUNT, "us-east-1")
    peer = seeder.ecr(PEER_ACCOUNT, "us-east-1")
    # Fix: the peer registry's public pull policy becomes organisation-only.
    peer.put_registry_policy(
        policyText=_policy(
            {
                "Sid": "OrganizationPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": PULL_ACTIONS,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
            }
        )
    )

    # Fix: every untagged repository of the main account's eu-west-1 registry gets the required tags.
    europe = seeder.ecr(MAIN_ACCOUNT, "eu-west-1")
    for repository in europe.describe_repositories()["repositories"]:
        tags = europe.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
        keys = {t["Key"] for t in tags}
        if not {"owner", "cost-center"} <= keys:
            europe.tag_resource(
                resourceArn=repository["repositoryArn"],
                tags=[{"Key": "owner", "Value": "platform"}, {"Key": "cost-center", "Value": "cc-1000"}],
            )

    # Break: a production repository is opened to everyone.
    main.set_repository_policy(
        repositoryName="prod-checkout",
        policyText=_policy({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": PULL_ACTIONS}),
    )

    # Narrow a scanning filter: continuous scanning now covers prod-payments* only, not prod*.
    main.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [
                    {"filter": "prod-payments*", "filterType": "WILDCARD"},
                    {"filter": "payments", "filterType": "WILDCARD"},
                ],
            },
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [
                    {"filter": "checkout", "filterType": "WILDCARD"},
                    {"filter": "platform/*", "filterType": "WILDCARD"},
                ],
            },
        ],
    )

    # Add a replication destination: production repositories also go to us-west-2.
    rules = main.describe_registry()["replicationConfiguration"]["rules"]
    rules.append(
        {
            "destinations": [{"region": "us-west-2", "registryId": MAIN_ACCOUNT}],
            "repositoryFilters": [{"filter": "prod-", "filterType": "PREFIX_MATCH"}],
        }
    )
    main.put_replication_configuration(replicationConfiguration={"rules": rules})

    # Relax a template: ECR has no update call in the emulator, so the "prod" template is
    # replaced by one with mutable tags.
    _replace_template(main, "prod", imageTagMutability="MUTABLE")


def second_changes(seeder: EstateSeeder) -> None:
    """Between runs 2 and 3: add a registry policy statement, replicate outside the estate, remove a
    bad template and make tags immutable."""
    main = seeder.ecr(MAIN_ACCOUNT, "us-east-1")
    policy = json.loads(main.get_registry_policy()["policyText"])
    policy["Statement"].append(
        {
            "Sid": "VendorReplication",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{UNTRUSTED_ACCOUNT}:root"},
            "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
            "Resource": f"arn:aws:ecr:us-east-1:{MAIN_ACCOUNT}:repository/*",
        }
    )
    main.put_registry_policy(policyText=json.dumps(policy))
    # Fix: the public creation template of the peer registry is removed.
    seeder.ecr(PEER_ACCOUNT, "us-east-1").delete_repository_creation_template(prefix="public-mirror")
    # Break: the peer's eu-west-1 registry starts replicating to an account outside the estate.
    europe = seeder.ecr(PEER_ACCOUNT, "eu-west-1")
    europe.put_replication_configuration(
        replicationConfiguration={
            "rules": [{"destinations": [{"region": "us-west-2", "registryId": UNTRUSTED_ACCOUNT}]}],
        }
    )
    # Fix: mutable repositories of the peer's eu-west-1 registry become immutable.
    for repository in europe.describe_repositories()["repositories"]:
        if repository["imageTagMutability"] == "MUTABLE":
            europe.put_image_tag_mutability(repositoryName=repository["repositoryName"], imageTagMutability="IMMUTABLE")


def _replace_template(client: Any, prefix: str, **changes: Any) -> None:
    [template] = client.describe_repository_creation_templates(prefixes=[prefix])["repositoryCreationTemplates"]
    request = {
        key: template[key]
        for key in (
            "prefix",
            "description",
            "encryptionConfiguration",
            "resourceTags",
            "imageTagMutability",
            "imageTagMutabilityExclusionFilters",
            "repositoryPolicy",
            "lifecyclePolicy",
            "appliedFor",
            "customRoleArn",
        )
        if template.get(key) not in (None, "", [])
    }
    request.update(changes)
    if request.get("imageTagMutability") in ("MUTABLE", "IMMUTABLE"):
        request.pop("imageTagMutabilityExclusionFilters", None)
    client.delete_repository_creation_template(prefix=prefix)
    client.create_repository_creation_template(**request)


CHANGES: tuple[Callable[[EstateSeeder], None], ...] = (first_changes, second_changes)


def run_demo(output: Path, *, database_url: str | None = None, repositories_per_registry: int = 30) -> RunOutcome:
    """Seed the estate, audit it DEMO_RUNS times with changes between runs, and write the reports.

    Returns the outcome of the last run; its ``report_path`` is that run's HTML report.
    """
    try:
        from auditor.emulator import EmulatorServer, EstateSeeder, seed_demo_estate
    except ImportError as exc:
        raise ConfigError(
            f"the emulated estate is not installed ({exc.name} is missing)",
            hint="install the extra: pip install 'ecr-auditor[emulator]'",
        ) from exc

    output.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(output / DEMO_DATABASE).resolve()}"
    with EmulatorServer() as server, endpoint_environment(server.endpoint_url):
        # moto keeps its backends per process: start from an empty estate even when an
        # earlier demo ran in this process.
        server.reset()
        estate = seed_demo_estate(server, repositories_per_registry=repositories_per_registry)
        settings = demo_settings(
            list(estate.accounts), list(estate.regions), estate.role_name, list(estate.trusted_accounts)
        )
        config = LoadedConfig(settings, output / "ecr-auditor-demo.toml", settings.model_dump_json(), found=False)
        session = boto3.Session(
            aws_access_key_id=_EMULATOR_KEY_ID,
            aws_secret_access_key=_EMULATOR_SECRET,
            region_name=estate.regions[0],
        )
        store = Store.open(url)
        try:
            return _audit_runs(EstateSeeder(server), config, store, session, output)
        finally:
            store.close()


def _audit_runs(
    seeder: EstateSeeder,
    config: LoadedConfig,
    store: Store,
    session: boto3.Session,
    output: Path,
) -> RunOutcome:
    rendered: dict[int, str] = {}

    def seal_and_render(store: Store, run_id: int, directory: Path) -> Path:
        # Seal first, so the report can show the run's manifest hash.
        seal_run(store, run_id)
        html = render_html(build_report_model(store, run_id))
        rendered[run_id] = html
        return write_report_file(directory / f"ecr-audit-run-{run_id}.html", html)

    outcome: RunOutcome | None = None
    for index in range(DEMO_RUNS):
        if index > 0:
            CHANGES[index - 1](seeder)
        outcome = run_audit(config, store, report_dir=output, session=session, render=seal_and_render)
        logger.info("demo run=%d of %d complete run_id=%d", index + 1, DEMO_RUNS, outcome.run_id)
    if outcome is None:  # pragma: no cover - DEMO_RUNS is positive
        raise ConfigError("the demo made no run")

    last = outcome.run_id
    pdf = render_model_pdf(build_report_model(store, last))
    pdf_path = write_report_file(output / f"ecr-audit-run-{last}.pdf", pdf)
    key_path = ensure_signing_key(output / DEMO_SIGNING_KEY)
    package = export_package(
        store,
        [last],
        output / f"ecr-audit-run-{last}-evidence.zip",
        signing_key=key_path,
        rendered={last: RenderedReports(rendered[last].encode(), pdf)},
    )
    logger.info(
        "demo pdf=%s evidence=%s manifest_sha256=%s key_sha256=%s",
        pdf_path,
        package.path,
        package.manifest_sha256,
        package.key_fingerprint,
    )
    return outcome
