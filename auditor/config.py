"""The ``ecr-auditor.toml`` configuration, validated into typed settings.

Every key is declared here with its type and default; an unknown key, a value of
the wrong type or a value out of range raises :class:`ConfigError` naming the key,
the value and the file.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from auditor.checks.model import Severity
from auditor.errors import ConfigError

CONFIG_ENV = "ECR_AUDITOR_CONFIG"
DATABASE_ENV = "ECR_AUDITOR_DATABASE_URL"
DEFAULT_CONFIG_NAME = "ecr-auditor.toml"
DEFAULT_DATABASE_NAME = "ecr-auditor.db"

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
RegionName = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")]
CheckId = Annotated[str, StringConstraints(pattern=r"^[A-Z]+-\d{2}$")]
OrganizationId = Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")]
# The upstream registries that ECR pull through cache supports (botocore's UpstreamRegistry).
Upstream = Literal[
    "ecr",
    "ecr-public",
    "quay",
    "k8s",
    "docker-hub",
    "github-container-registry",
    "azure-container-registry",
    "gitlab-container-registry",
    "chainguard",
]
UPSTREAM_REGISTRIES: tuple[Upstream, ...] = get_args(Upstream)
KmsKeyArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditSettings(_Section):
    accounts: list[AccountId] = Field(
        default_factory=list,
        description=(
            "Accounts to audit. Empty audits the caller's own account, or with organization = true "
            "every active account of the organisation; with organization = true a non-empty list "
            "keeps only these accounts."
        ),
    )
    organization: bool = Field(
        default=False, description="Discover accounts with organizations:ListAccounts (active accounts only)."
    )
    exclude_accounts: list[AccountId] = Field(default_factory=list, description="Accounts never audited.")
    regions: list[RegionName] = Field(
        default_factory=list,
        description="Regions to audit; empty audits every region enabled for each account.",
    )
    role_name: Annotated[str, StringConstraints(pattern=r"^[\w+=,.@/{}-]{1,64}$")] = Field(
        default="ECRAuditorRole",
        description="Role assumed in every account other than the caller's; {account} is replaced.",
    )
    external_id: str | None = Field(default=None, description="External ID for AssumeRole.")
    session_duration: int = Field(
        default=3600,
        ge=900,
        le=43200,
        description="Seconds each assumed-role session lasts; at most 3600 when the caller is itself a role.",
    )
    retry_mode: Literal["standard", "adaptive"] = Field(default="standard", description="botocore retry mode.")
    max_attempts: int = Field(
        default=5, ge=1, le=20, description="Attempts per AWS call, the first one included."
    )
    fail_on: Severity = Field(
        default=Severity.HIGH,
        description="Exit with code 1 when a FAIL at or above this severity remains.",
    )
    max_workers: int = Field(default=8, ge=1, le=64, description="(account, region) units at once.")
    repository_workers: int = Field(
        default=8, ge=1, le=64, description="Per-repository API calls at once inside one unit."
    )


class DatabaseSettings(_Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file beside the config file.",
    )


class ReportSettings(_Section):
    output_dir: Path = Field(default=Path("reports"), description="Where `run` writes reports.")


class CheckSettings(_Section):
    """Organisation expectations that checks compare the estate with."""

    required_scan_type: Literal["ENHANCED", "BASIC"] = "ENHANCED"
    require_cmk: bool = True
    kms_key_arns: list[KmsKeyArn] = Field(default_factory=list)
    required_tags: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        default_factory=list
    )
    allow_immutability_exclusions: bool = True
    trusted_accounts: list[AccountId] = Field(
        default_factory=list, description="Accounts outside the audited one that may be granted access."
    )
    trust_organization: bool = Field(
        default=False,
        description="Trust grants limited to organization_id and the accounts of the audit scope.",
    )
    organization_id: OrganizationId | None = Field(
        default=None, description="The AWS Organizations id (o-...) that trust_organization trusts."
    )
    allowed_upstreams: list[Upstream] = Field(
        default_factory=lambda: list(UPSTREAM_REGISTRIES),
        description="Upstream registries that pull through cache rules may use.",
    )
    validate_pull_through_cache: bool = Field(
        default=False,
        description="Call ValidatePullThroughCacheRule, which makes ECR contact each upstream.",
    )
    required_replication_regions: list[RegionName] = Field(default_factory=list)
    require_cross_region: bool = False
    critical_repository_prefixes: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list, description="Repositories that a replication rule must cover."
    )
    signing_required_prefixes: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list, description="Repositories that a signing rule must cover."
    )
    severity: dict[CheckId, Severity] = Field(
        default_factory=dict, description="Severity overrides by check id."
    )


class Settings(_Section):
    audit: AuditSettings = Field(default_factory=AuditSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)


class LoadedConfig:
    """Settings together with where they came from."""

    def __init__(self, settings: Settings, path: Path, text: str, found: bool) -> None:
        self.settings = settings
        self.path = path
        self.found = found
        self.sha256 = hashlib.sha256(text.encode()).hexdigest()

    @property
    def directory(self) -> Path:
        return self.path.parent

    def database_url(self, override: str | None = None) -> str:
        """Pick the database URL: the flag, the environment, the file, then SQLite beside it."""
        chosen = override or os.environ.get(DATABASE_ENV) or self.settings.database.url
        if chosen:
            return chosen
        return f"sqlite:///{(self.directory / DEFAULT_DATABASE_NAME).resolve()}"

    def report_dir(self) -> Path:
        out = self.settings.report.output_dir
        return out if out.is_absolute() else self.directory / out


def locate(explicit: str | os.PathLike[str] | None) -> tuple[Path, bool]:
    """Return the config path (flag, then environment, then ./ecr-auditor.toml) and
    whether it was named explicitly."""
    if explicit:
        return Path(explicit), True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env), True
    return Path.cwd() / DEFAULT_CONFIG_NAME, False


def load(explicit: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Load and validate the config; a missing default file means every default."""
    path, named = locate(explicit)
    if not path.exists():
        if named:
            raise ConfigError(
                f"config file {path} not found",
                hint=f"create it with 'ecr-auditor init --output {path}' or fix the path",
            )
        return LoadedConfig(Settings(), path, "", found=False)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} could not be read: {exc}") from exc
    return LoadedConfig(parse(text, path), path, text, found=True)


def parse(text: str, path: Path) -> Settings:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the syntax at that line") from exc
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, raw, path)) from exc


def format_validation_error(error: ValidationError, raw: Mapping[str, Any], path: Path) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            section = ".".join(str(part) for part in problem["loc"][:-1]) or "top level"
            lines.append(
                f"{path}: unknown key '{key}' (value {problem['input']!r}); "
                f"remove it or check its spelling against the keys allowed in {section}"
            )
        else:
            lines.append(f"{path}: invalid value {problem['input']!r} for '{key}': {problem['msg']}")
    return "\n".join(lines)


EXAMPLE_CONFIG = """\
# ecr-auditor configuration. Every key is optional; the values shown are the defaults
# unless a comment says otherwise. Validate with: ecr-auditor config validate

[audit]
# Accounts to audit. Empty audits only the account of the caller's credentials, or with
# organization = true every active account of the organisation (then a non-empty list
# keeps only those). Every account other than the caller's is reached by assuming
# `role_name` in it.
accounts = []
organization = false
exclude_accounts = []
# Regions to audit. Empty audits every region enabled for each account
# (account:ListRegions). Listed regions that an account has not enabled are skipped.
regions = ["us-east-1"]
# Role to assume; "{account}" in the name is replaced by the account id.
role_name = "ECRAuditorRole"
# external_id = "set-if-the-role-trust-policy-requires-one"
# Seconds an assumed-role session lasts before it is refreshed; AWS allows at most 3600
# when the caller is itself an assumed role.
session_duration = 3600
# botocore retries: "standard" or "adaptive", and attempts per call including the first.
retry_mode = "standard"
max_attempts = 5
# Exit with code 1 when a FAIL of this severity or higher remains: low, medium, high, critical.
fail_on = "high"
# How many (account, region) units are collected at once.
max_workers = 8
# How many per-repository API calls run at once inside one unit.
repository_workers = 8

[database]
# SQLAlchemy URL. Default: a SQLite file named ecr-auditor.db beside this file.
# ECR_AUDITOR_DATABASE_URL or --database-url override it.
# url = "postgresql+psycopg://auditor@127.0.0.1:5432/ecr_auditor"

[report]
# Where `ecr-auditor run` writes its reports, relative to this file.
output_dir = "reports"

[checks]
# Scan type every registry should use (SCAN-01): ENHANCED or BASIC.
required_scan_type = "ENHANCED"
# Require customer-managed KMS keys for repositories and templates (REPO-04, TMPL-02).
require_cmk = true
# With keys listed, only these keys pass REPO-04.
kms_key_arns = []
# Tags every repository must carry (REPO-05), for example ["owner", "cost-center"].
required_tags = []
# Whether IMMUTABLE_WITH_EXCLUSION passes REPO-01 and TMPL-01.
allow_immutability_exclusions = true
# Accounts outside the audited one that may be granted access (PERM, PTC-05, REPL-02, TMPL-04).
trusted_accounts = []
# Trust grants limited to this organisation (aws:PrincipalOrgID) and the audited accounts.
trust_organization = false
# organization_id = "o-a1b2c3d4e5"
# Upstream registries pull through cache rules may use (PTC-01). Default: every one ECR supports.
allowed_upstreams = ["ecr", "ecr-public", "quay", "k8s", "docker-hub", "github-container-registry",
                     "azure-container-registry", "gitlab-container-registry", "chainguard"]
# Call ValidatePullThroughCacheRule (PTC-06); it makes ECR contact each upstream registry.
validate_pull_through_cache = false
# Regions every registry must replicate to (REPL-01), and whether some rule must leave the region.
required_replication_regions = []
require_cross_region = false
# Repository name prefixes that a replication rule must cover (REPL-03).
critical_repository_prefixes = []
# Repository name prefixes that a signing rule must cover (SIGN-01).
signing_required_prefixes = []

# Severity overrides by check id.
[checks.severity]
# "REPO-05" = "medium"
"""
