"""Signing checks (SIGN): managed signing rules and the signing status of latest images.

ECR managed signing signs each image pushed to a repository that a signing rule
covers, with the rule's AWS Signer profile. Rule filters are WILDCARD_MATCH
patterns over the whole repository name, and a rule without filters covers every
repository (API reference, SigningRule and SigningRepositoryFilter). Coverage
follows `signing_rules_covering`, the same function the collector uses to decide
whose latest image to read the signing status of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.checks.engine import Context, repository_check
from auditor.checks.filters import signing_rules_covering
from auditor.checks.frameworks import nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Kind, Repository

REFERENCES = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/managed-signing.html",
    "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SigningRule.html",
)
CONTROLS = (
    nist("SI-7", "checks that images are signed when pushed; verifying signatures at deployment is out of scope"),
    nist("CM-14", "checks that signatures are produced, not that deployment refuses unsigned images"),
)


def signing_rules(repository: Repository) -> list[Mapping[str, Any]]:
    """Return the signing rules covering the repository; raises InputUnavailable when unread.

    An absent signing configuration (SigningConfigurationNotFoundException) has no rules.
    """
    answer = repository.registry.get(Kind.SIGNING_CONFIGURATION).value()
    configuration: Mapping[str, Any] = (answer or {}).get("signingConfiguration") or {}
    return signing_rules_covering(configuration, repository.name)


def _profiles(rules: list[Mapping[str, Any]]) -> list[str]:
    return sorted({str(rule.get("signingProfileArn", "")) for rule in rules})


@repository_check(
    CheckMeta(
        id="SIGN-01",
        title="Repository that must be signed is covered by a signing rule",
        area=Area.SIGN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A signature lets deployments verify that an image is the one the registry received from "
            "the build; repositories the organisation requires signed need a signing rule that matches them."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Features & Settings > Managed signing > add a rule with "
                "an AWS Signer profile and a filter matching the repository."
            ),
            cli="aws ecr put-signing-configuration --signing-configuration file://signing.json",
        ),
        controls=CONTROLS,
        permissions=("ecr:GetSigningConfiguration", "ecr:DescribeRepositories"),
        references=REFERENCES,
    )
)
def sign_01(repository: Repository, context: Context) -> Verdict:
    required = list(context.settings.signing_required_prefixes)
    if not required:
        return not_applicable("signing_required_prefixes is empty")
    # Entries are plain name prefixes, like critical_repository_prefixes:
    # "release" requires "release/api" and "release-tools" to be signed.
    matched = [prefix for prefix in required if repository.name.startswith(prefix)]
    if not matched:
        return not_applicable("repository matches no signing_required_prefixes entry")
    rules = signing_rules(repository)
    if not rules:
        return failed("repository must be signed but no signing rule covers it", requiredPrefixes=matched)
    return passed(
        f"signed on push with {', '.join(_profiles(rules))}",
        requiredPrefixes=matched,
        signingProfiles=_profiles(rules),
    )


@repository_check(
    CheckMeta(
        id="SIGN-02",
        title="Latest image of a signed repository is signed",
        area=Area.SIGN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A signing rule signs images pushed after it exists and can fail per image; the latest "
            "image is the one most likely deployed, so its signature must actually exist."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > the image > Signing status; fix the "
                "Signer profile or its permissions as the failure says, then push the image again."
            ),
            cli="aws ecr describe-image-signing-status --repository-name NAME --image-id imageDigest=DIGEST",
        ),
        controls=CONTROLS,
        permissions=(
            "ecr:GetSigningConfiguration",
            "ecr:DescribeImages",
            "ecr:DescribeImageSigningStatus",
        ),
        references=(
            *REFERENCES,
            "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageSigningStatus.html",
        ),
    )
)
def sign_02(repository: Repository, context: Context) -> Verdict:
    rules = signing_rules(repository)
    if not rules:
        return not_applicable("no signing rule covers the repository")
    latest = repository.latest_image()
    if latest is None:
        return not_applicable("repository has no image")

    digest = str(latest.get("imageDigest", ""))
    answer = repository.registry.get(Kind.IMAGE_SIGNING_STATUS, f"{repository.name}@{digest}").value()
    if answer is None:
        # DescribeImageSigningStatus raised ImageNotFoundException: the image went away after DescribeImages.
        return errored(f"image {digest} was not found when its signing status was read", imageDigest=digest)
    statuses = {str(s.get("signingProfileArn", "")): s for s in answer.get("signingStatuses") or []}
    return judge_signing_statuses(digest, _profiles(rules), statuses)


def _failure_text(status: Mapping[str, Any]) -> str:
    return str(status.get("failureReason") or status.get("failureCode") or "no reason given")


def judge_signing_statuses(digest: str, profiles: list[str], statuses: Mapping[str, Mapping[str, Any]]) -> Verdict:
    """Judge an image's signing statuses against the profiles of the rules covering its repository.

    The image counts as signed when every covering profile reports COMPLETE. A
    FAILED status or a profile with no status is FAIL, and IN_PROGRESS is ERROR
    marked pending because the signature may still arrive.
    """
    evidence: dict[str, Any] = {
        "imageDigest": digest,
        "signingProfiles": profiles,
        "statuses": [
            {
                "signingProfileArn": profile,
                "status": statuses[profile].get("status"),
                "failureCode": statuses[profile].get("failureCode"),
                "failureReason": statuses[profile].get("failureReason"),
            }
            for profile in profiles
            if profile in statuses
        ],
    }
    by_state: dict[str, list[str]] = {}
    for profile in profiles:
        state = str(statuses[profile].get("status")) if profile in statuses else "MISSING"
        by_state.setdefault(state, []).append(profile)

    if "FAILED" in by_state:
        reasons = "; ".join(f"{profile}: {_failure_text(statuses[profile])}" for profile in by_state["FAILED"])
        return failed(f"signing of the latest image failed ({reasons})", **evidence)
    if "MISSING" in by_state:
        return failed(f"the latest image has no signature from {', '.join(by_state['MISSING'])}", **evidence)
    if "IN_PROGRESS" in by_state:
        return errored(f"signing of the latest image is still in progress with {', '.join(by_state['IN_PROGRESS'])}",
                       pending=True, **evidence)
    unknown = {state: names for state, names in by_state.items() if state != "COMPLETE"}
    if unknown:
        listed = ", ".join(f"{profile}: {state}" for state, names in unknown.items() for profile in names)
        return errored(f"unknown signing status ({listed})", **evidence)
    return passed(f"the latest image is signed with {', '.join(profiles)}", **evidence)


CHECKS = (sign_01, sign_02)
