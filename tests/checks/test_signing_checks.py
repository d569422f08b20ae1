import pytest
from builders import absent, failed, inventory, only, present, repository, run_check

from auditor.checks.model import Status
from auditor.checks.signing import sign_01, sign_02
from auditor.inventory import REGISTRY, Kind

PROFILE = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"
AUDIT_PROFILE = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/audit"
DIGEST = "sha256:" + "a" * 64
OLDER = "sha256:" + "b" * 64


def signing(*rules):
    return present(Kind.SIGNING_CONFIGURATION, REGISTRY, {"registryId": "111122223333",
                                                         "signingConfiguration": {"rules": list(rules)}})


def signing_rule(profile, *filters):
    entry = {"signingProfileArn": profile}
    if filters:
        entry["repositoryFilters"] = [{"filter": f, "filterType": "WILDCARD_MATCH"} for f in filters]
    return entry


NO_SIGNING = absent(Kind.SIGNING_CONFIGURATION, REGISTRY)


# ---------------------------------------------------------------------------
# SIGN-01


@pytest.mark.parametrize(
    ("configuration", "name", "required", "expected"),
    [
        (signing(signing_rule(PROFILE, "release/*")), "release/api", [], Status.NOT_APPLICABLE),
        (signing(signing_rule(PROFILE, "release/*")), "team/api", ["release"], Status.NOT_APPLICABLE),
        (signing(signing_rule(PROFILE, "release/*")), "release/api", ["release"], Status.PASS),
        (signing(signing_rule(PROFILE)), "release-tools", ["release"], Status.PASS),  # no filter: every repository
        (signing(signing_rule(PROFILE, "release/*")), "release-tools", ["release"], Status.FAIL),
        (signing(signing_rule(PROFILE, "release")), "release/api", ["release"], Status.FAIL),  # whole-name match
        (signing(signing_rule(PROFILE, "*api")), "release/api", ["release/"], Status.PASS),
        (NO_SIGNING, "release/api", ["release"], Status.FAIL),
        (signing(), "release/api", ["release"], Status.FAIL),
        (failed(Kind.SIGNING_CONFIGURATION, REGISTRY, operation="GetSigningConfiguration"), "release/api",
         ["release"], Status.ERROR),
    ],
)
def test_sign_01_coverage(configuration, name, required, expected):
    result = only(run_check(sign_01, inventory(configuration, repository(name)), signing_required_prefixes=required))
    assert result.status is expected


def test_sign_01_names_profiles():
    inv = inventory(signing(signing_rule(PROFILE, "release/*"), signing_rule(AUDIT_PROFILE)), repository("release/api"))
    result = only(run_check(sign_01, inv, signing_required_prefixes=["release"]))
    assert result.evidence["signingProfiles"] == [AUDIT_PROFILE, PROFILE]
    assert result.evidence["requiredPrefixes"] == ["release"]


# ---------------------------------------------------------------------------
# SIGN-02


def images(*details):
    return present(Kind.IMAGES, "release/api", {"imageDetails": list(details)})


def image(digest, pushed_at, **fields):
    return {"imageDigest": digest, "imagePushedAt": pushed_at, "imageTags": ["v1"],
            "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json", **fields}


LATEST = images(image(OLDER, "2026-01-01T00:00:00+00:00"), image(DIGEST, "2026-02-01T00:00:00+00:00"))


def status(*entries):
    return present(Kind.IMAGE_SIGNING_STATUS, f"release/api@{DIGEST}",
                   {"repositoryName": "release/api", "imageId": {"imageDigest": DIGEST},
                    "signingStatuses": [dict(e) for e in entries]})


def entry(profile, state, **fields):
    return {"signingProfileArn": profile, "status": state, **fields}


@pytest.mark.parametrize(
    ("snapshots", "expected", "fragment"),
    [
        ([status(entry(PROFILE, "COMPLETE"))], Status.PASS, "signed with"),
        ([status(entry(PROFILE, "FAILED", failureCode="PROFILE_REVOKED",
                       failureReason="The signing profile was revoked"))], Status.FAIL, "was revoked"),
        ([status(entry(PROFILE, "IN_PROGRESS"))], Status.ERROR, "in progress"),
        ([status()], Status.FAIL, "no signature"),  # pushed before the rule, for example
        ([status(entry(AUDIT_PROFILE, "COMPLETE"))], Status.FAIL, "no signature"),  # another profile's signature
        ([status(entry(PROFILE, "SOMETHING_NEW"))], Status.ERROR, "unknown signing status"),
        ([absent(Kind.IMAGE_SIGNING_STATUS, f"release/api@{DIGEST}")], Status.ERROR, "not found"),
        ([failed(Kind.IMAGE_SIGNING_STATUS, f"release/api@{DIGEST}", operation="DescribeImageSigningStatus")],
         Status.ERROR, "could not be read"),
        ([], Status.ERROR, "could not be read"),  # never collected: unknown
    ],
)
def test_sign_02_latest_image_status(snapshots, expected, fragment):
    inv = inventory(signing(signing_rule(PROFILE, "release/*")), repository("release/api"), LATEST, *snapshots)
    result = only(run_check(sign_02, inv))
    assert result.status is expected
    assert fragment in result.reason


def test_sign_02_pending_is_marked():
    inv = inventory(signing(signing_rule(PROFILE, "release/*")), repository("release/api"), LATEST,
                    status(entry(PROFILE, "IN_PROGRESS")))
    result = only(run_check(sign_02, inv))
    assert result.evidence["pending"] is True
    assert result.evidence["imageDigest"] == DIGEST


def test_sign_02_every_covering_profile_must_sign():
    rules = signing(signing_rule(PROFILE, "release/*"), signing_rule(AUDIT_PROFILE))
    inv = inventory(rules, repository("release/api"), LATEST, status(entry(PROFILE, "COMPLETE")))
    result = only(run_check(sign_02, inv))
    assert result.status is Status.FAIL
    assert AUDIT_PROFILE in result.reason

    both = status(entry(PROFILE, "COMPLETE"), entry(AUDIT_PROFILE, "COMPLETE"))
    result = only(run_check(sign_02, inventory(rules, repository("release/api"), LATEST, both)))
    assert result.status is Status.PASS


def test_sign_02_failure_wins_over_pending():
    rules = signing(signing_rule(PROFILE, "release/*"), signing_rule(AUDIT_PROFILE))
    statuses = status(entry(PROFILE, "IN_PROGRESS"), entry(AUDIT_PROFILE, "FAILED", failureCode="X"))
    result = only(run_check(sign_02, inventory(rules, repository("release/api"), LATEST, statuses)))
    assert result.status is Status.FAIL


@pytest.mark.parametrize(
    ("snapshots", "expected", "reason"),
    [
        ([NO_SIGNING, LATEST], Status.NOT_APPLICABLE, "no signing rule covers the repository"),
        ([signing(signing_rule(PROFILE, "team/*")), LATEST], Status.NOT_APPLICABLE,
         "no signing rule covers the repository"),
        ([signing(signing_rule(PROFILE)), images()], Status.NOT_APPLICABLE, "repository has no image"),
        # Only a signature artifact: no image to judge.
        ([signing(signing_rule(PROFILE)),
          images(image(DIGEST, "2026-02-01T00:00:00+00:00", imageTags=["sha256-abc.sig"]))],
         Status.NOT_APPLICABLE, "repository has no image"),
        ([signing(signing_rule(PROFILE)), failed(Kind.IMAGES, "release/api", operation="DescribeImages")],
         Status.ERROR, None),
    ],
)
def test_sign_02_not_judged(snapshots, expected, reason):
    result = only(run_check(sign_02, inventory(repository("release/api"), *snapshots)))
    assert result.status is expected
    if reason is not None:
        assert result.reason == reason
