"""The typed snapshot of an estate that collectors produce, the store keeps and checks read.

A snapshot is one AWS resource as one run saw it: present with its payload, absent
(AWS answered with a "not found" exception, which is data), or an error (the call
failed, so nothing is known). Checks read snapshots only through this module, which
keeps them free of boto3 and of the collectors.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# The name under which registry-wide singletons (policy, replication, scanning and
# signing configuration) are stored.
REGISTRY = "registry"
# The name of a snapshot that stands for a whole listing call that failed.
LISTING = "*"


class Kind(StrEnum):
    """Resource kinds that collectors snapshot."""

    REGISTRY_POLICY = "registry_policy"
    ACCOUNT_SETTING = "account_setting"
    PULL_THROUGH_CACHE_RULE = "pull_through_cache_rule"
    PULL_THROUGH_CACHE_VALIDATION = "pull_through_cache_validation"
    REPLICATION_CONFIGURATION = "replication_configuration"
    CREATION_TEMPLATE = "creation_template"
    REGISTRY_SCANNING_CONFIGURATION = "registry_scanning_configuration"
    SIGNING_CONFIGURATION = "signing_configuration"
    REPOSITORY = "repository"
    REPOSITORY_POLICY = "repository_policy"
    LIFECYCLE_POLICY = "lifecycle_policy"
    REPOSITORY_TAGS = "repository_tags"
    REPOSITORY_SCANNING = "repository_scanning"
    IMAGES = "images"
    IMAGE_SCAN_FINDINGS = "image_scan_findings"
    IMAGE_SIGNING_STATUS = "image_signing_status"
    KMS_KEY = "kms_key"
    INSPECTOR_ACCOUNT_STATUS = "inspector_account_status"
    INSPECTOR_CONFIGURATION = "inspector_configuration"
    INSPECTOR_FINDINGS = "inspector_findings"


# Kinds that belong to one repository or image and that only checks judging one
# registry at a time read. A run keeps them in the store from collection until
# their registry is evaluated, instead of in memory.
REPOSITORY_DETAIL_KINDS = frozenset(
    {
        Kind.IMAGES,
        Kind.IMAGE_SCAN_FINDINGS,
        Kind.INSPECTOR_FINDINGS,
        Kind.IMAGE_SIGNING_STATUS,
        Kind.LIFECYCLE_POLICY,
        Kind.REPOSITORY_TAGS,
        Kind.REPOSITORY_SCANNING,
    }
)


class SnapshotState(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    ERROR = "error"


class ScopeStatus(StrEnum):
    """Outcome of one (account, region) unit of a run."""

    AUDITED = "audited"
    SKIPPED = "skipped"  # region not enabled for the account: neither an error nor compliant
    UNREADABLE = "unreadable"  # the whole unit failed, for example a role that cannot be assumed


@dataclass(frozen=True)
class CollectionError:
    """A failed AWS call, kept with enough context to explain an ERROR result."""

    account: str
    region: str
    operation: str
    error_code: str
    message: str
    kind: str | None = None
    resource: str | None = None

    def describe(self) -> str:
        return f"{self.operation} failed with {self.error_code}: {self.message}"


@dataclass(frozen=True)
class CallRecord:
    """One AWS call as the call log keeps it."""

    service: str
    operation: str
    account: str
    region: str
    request_id: str
    http_status: int | None
    error_code: str | None
    called_at: datetime
    duration_ms: float


class Snapshot:
    """One resource as one run saw it.

    A collected payload is kept as compressed canonical JSON and parsed when read, so
    a run of tens of thousands of repositories keeps a fraction of the memory that
    parsed payloads would take. The few most recently read payloads stay parsed (see
    :class:`_ParsedPayloads`), because checks read the same snapshot several times.
    """

    __slots__ = ("account", "region", "kind", "name", "state", "error", "_payload", "_packed")

    def __init__(
        self,
        account: str,
        region: str,
        kind: Kind,
        name: str,
        state: SnapshotState,
        payload: Any = None,
        error: CollectionError | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.kind = kind
        self.name = name
        self.state = state
        self.error = error
        self._payload = payload
        self._packed: bytes | None = None

    @classmethod
    def packed(cls, account: str, region: str, kind: Kind, name: str, body: str) -> Snapshot:
        """Create a present snapshot from its payload's canonical JSON, kept compressed until read."""
        snapshot = cls(account, region, kind, name, SnapshotState.PRESENT)
        snapshot._packed = zlib.compress(body.encode(), 1)
        return snapshot

    @property
    def payload(self) -> Any:
        if self._packed is None:
            return self._payload
        return _PARSED.get(self)

    @property
    def body(self) -> str | None:
        """The payload as canonical JSON (the text the store hashes), or None without one."""
        if self._packed is not None:
            return zlib.decompress(self._packed).decode()
        if self.state is not SnapshotState.PRESENT:
            return None
        return canonical_json(self._payload)

    def _parse(self) -> Any:
        assert self._packed is not None
        return json.loads(zlib.decompress(self._packed))

    def _key(self) -> tuple[Any, ...]:
        return (self.account, self.region, self.kind, self.name, self.state, self.payload, self.error)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Snapshot({self.account!r}, {self.region!r}, {self.kind!r}, {self.name!r}, {self.state!r}, "
            f"{self.payload!r}, {self.error!r})"
        )

    @property
    def present(self) -> bool:
        return self.state is SnapshotState.PRESENT

    @property
    def absent(self) -> bool:
        return self.state is SnapshotState.ABSENT

    def value(self) -> Any:
        """Return the payload, or ``None`` when AWS reported the resource absent.

        Raises :class:`InputUnavailable` when the call failed, so that a check
        that needs this input ends in ERROR instead of guessing.
        """
        if self.state is SnapshotState.ERROR:
            raise InputUnavailable(self.kind, self.name, self.error)
        return self.payload


class _ParsedPayloads:
    """The parsed payloads of the most recently read packed snapshots.

    Checks read a repository's snapshots several times in a row and registry-wide
    snapshots once per repository. Keeping the last few parsed avoids most repeated
    parsing, and the memory stays bounded. Collectors read payloads from
    several threads, hence the lock.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[Snapshot, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, snapshot: Snapshot) -> Any:
        # Keyed by id(): the entry keeps a reference to the snapshot itself, so the id cannot be reused
        # by another object while the entry exists.
        key = id(snapshot)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[1]
        parsed = snapshot._parse()
        with self._lock:
            self._entries[key] = (snapshot, parsed)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return parsed


_PARSED = _ParsedPayloads(64)


@dataclass(frozen=True)
class ScopeEntry:
    account: str
    region: str
    status: ScopeStatus
    reason: str = ""


class InputUnavailable(Exception):
    """An input of a check could not be collected."""

    def __init__(self, kind: str, name: str, error: CollectionError | None) -> None:
        detail = error.describe() if error else "no data was collected"
        super().__init__(f"{kind} {name!r} could not be read: {detail}")
        self.kind = kind
        self.name = name
        self.error = error


def canonical_json(payload: Any) -> str:
    """Serialise a payload so that equal content gives equal text (and hash)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__} into a snapshot payload")


# Media types of OCI/Docker artifacts that are not runnable images. Signatures,
# attestations and SBOMs are pushed as artifacts or as referrers of an image (with a
# subject); scanning them is meaningless and ECR reports them as unsupported.
_IMAGE_CONFIG_TYPES = frozenset(
    {
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
    }
)
_COSIGN_TAG_SUFFIXES = (".sig", ".att", ".sbom")


def is_scannable_image(image: Mapping[str, Any]) -> bool:
    """Tell a container image from a signature, attestation, SBOM or other artifact."""
    if image.get("subjectManifestDigest"):
        return False
    artifact_type = image.get("artifactMediaType")
    if artifact_type and artifact_type not in _IMAGE_CONFIG_TYPES:
        return False
    tags = image.get("imageTags") or []
    # cosign's tag-based scheme stores signatures as sha256-<digest>.sig (and .att, .sbom).
    return not (tags and all(t.startswith("sha256-") and t.endswith(_COSIGN_TAG_SUFFIXES) for t in tags))


def is_archived(image: Mapping[str, Any]) -> bool:
    return str(image.get("imageStatus", "ACTIVE")).upper() == "ARCHIVED"


def latest_image(images: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Return the newest scannable, non-archived image by ``imagePushedAt``.

    Ties are broken by digest so that the choice is stable across runs.
    """
    candidates = [i for i in images if is_scannable_image(i) and not is_archived(i)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (str(i.get("imagePushedAt", "")), i.get("imageDigest", "")))


@dataclass
class Repository:
    """One repository with the snapshots that belong to it."""

    registry: Registry
    name: str
    snapshot: Snapshot

    @property
    def payload(self) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self.snapshot.payload or {}
        return value

    @property
    def arn(self) -> str:
        return str(self.payload.get("repositoryArn", ""))

    def get(self, kind: Kind) -> Snapshot:
        return self.registry.get(kind, self.name)

    def latest_image(self) -> Mapping[str, Any] | None:
        """Return the latest image; raises InputUnavailable when images could not be read."""
        images = self.get(Kind.IMAGES).value() or {}
        return latest_image(images.get("imageDetails", []))

    def scan_findings_of(self, digest: str) -> Snapshot:
        return self.registry.get(Kind.IMAGE_SCAN_FINDINGS, f"{self.name}@{digest}")


@dataclass
class Registry:
    """The snapshots of one (account, region) registry."""

    account: str
    region: str
    scope: ScopeEntry
    _by_kind: dict[Kind, dict[str, Snapshot]] = field(default_factory=lambda: defaultdict(dict))

    @property
    def unit_error(self) -> str | None:
        """The reason the whole unit could not be read, if it could not."""
        return self.scope.reason if self.scope.status is ScopeStatus.UNREADABLE else None

    def add(self, snapshot: Snapshot) -> None:
        self._by_kind[snapshot.kind][snapshot.name] = snapshot

    def add_all(self, snapshots: Iterable[Snapshot]) -> None:
        for snapshot in snapshots:
            self.add(snapshot)

    def drop(self, kinds: Iterable[Kind]) -> None:
        """Forget every snapshot of these kinds, for example once the registry is evaluated."""
        for kind in kinds:
            self._by_kind.pop(kind, None)

    def get(self, kind: Kind, name: str = REGISTRY) -> Snapshot:
        """Return the snapshot, or an ERROR snapshot when nothing was collected for it.

        A missing snapshot means its collection never happened (the listing that
        would have found it failed, or the unit failed), which is unknown, not absent.
        """
        found = self._by_kind.get(kind, {}).get(name)
        if found is not None:
            return found
        cause = self.listing_error(kind)
        return Snapshot(self.account, self.region, kind, name, SnapshotState.ERROR, error=cause)

    def items(self, kind: Kind) -> list[Snapshot]:
        """Return every collected snapshot of a listed kind, sorted by name."""
        found = self._by_kind.get(kind, {})
        return [found[name] for name in sorted(found) if name != LISTING]

    def listing_error(self, kind: Kind) -> CollectionError | None:
        failed = self._by_kind.get(kind, {}).get(LISTING)
        if failed is not None and failed.state is SnapshotState.ERROR:
            return failed.error
        return None

    def listing_ok(self, kind: Kind) -> bool:
        return self.scope.status is ScopeStatus.AUDITED and self.listing_error(kind) is None

    def repositories(self) -> list[Repository]:
        return [Repository(self, s.name, s) for s in self.items(Kind.REPOSITORY)]

    def account_setting(self, name: str) -> Snapshot:
        return self.get(Kind.ACCOUNT_SETTING, name)


# Identity of a finding on one image across runs: account, region, repository,
# image digest, finding id, package name and package version.
FindingKey = tuple[str, str, str, str, str, str, str]


@dataclass
class Inventory:
    """Every registry of one run, including those skipped or unreadable.

    ``evaluated_at`` is the moment the checks treat as now (the run's start), so a
    stored run evaluates the same way later. ``first_seen`` holds, for findings an
    earlier run saw, when ecr-auditor first saw them.
    """

    registries: list[Registry]
    evaluated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    first_seen: dict[FindingKey, datetime] = field(default_factory=dict)

    @classmethod
    def build(cls, scope: Iterable[ScopeEntry], snapshots: Iterable[Snapshot]) -> Inventory:
        by_key: dict[tuple[str, str], Registry] = {}
        for entry in scope:
            by_key[(entry.account, entry.region)] = Registry(entry.account, entry.region, entry)
        for snapshot in snapshots:
            key = (snapshot.account, snapshot.region)
            if key not in by_key:
                entry = ScopeEntry(snapshot.account, snapshot.region, ScopeStatus.AUDITED)
                by_key[key] = Registry(snapshot.account, snapshot.region, entry)
            by_key[key].add(snapshot)
        ordered = sorted(by_key.values(), key=lambda r: (r.account, r.region))
        return cls(ordered)

    def audited(self) -> Iterator[Registry]:
        """Yield the registries that were in scope: audited or unreadable, not skipped."""
        return (r for r in self.registries if r.scope.status is not ScopeStatus.SKIPPED)

    def registry(self, account: str, region: str) -> Registry | None:
        for candidate in self.registries:
            if candidate.account == account and candidate.region == region:
                return candidate
        return None
