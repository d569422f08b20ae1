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
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

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
# Finding severities that thresholds may name, lowest first. UNTRIAGED and UNDEFINED
# findings are listed in reports but never counted against a threshold.
FindingSeverity = Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


def default_sla_days() -> dict[FindingSeverity, int]:
    return {"CRITICAL": 15, "HIGH": 30, "MEDIUM": 90}
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
        default=16, ge=1, le=64, description="Per-repository API calls at once inside one unit."
    )


class DatabaseSettings(_Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file beside the config file.",
    )


class ReportSettings(_Section):
    output_dir: Path = Field(default=Path("reports"), description="Where `run` writes reports.")
    trend_runs: int = Field(
        default=12, ge=2, le=200, description="Complete runs, the reported one included, that the trend chart shows."
    )
    pdf_max_rows: int = Field(
        default=200,
        ge=10,
        le=100_000,
        description="Rows per report section in the PDF; beyond it the PDF shows totals and the first rows.",
    )
    html_max_rows: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description=(
            "Rows per report section in the HTML report, and rows of its list of every result; "
            "beyond it the HTML shows totals and the first rows, and the CSV export has every result."
        ),
    )


class EvidenceSettings(_Section):
    signing_key: Path | None = Field(
        default=None,
        description="PEM or OpenSSH ed25519 private key that signs evidence manifests, relative to the config file.",
    )


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
    production_repository_prefixes: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list, description="Repositories that must be scanned continuously (SCAN-03)."
    )
    max_severity: FindingSeverity = Field(
        default="HIGH", description="Active findings at or above this severity fail VULN-01."
    )
    sla_days: dict[FindingSeverity, Annotated[int, Field(ge=1, le=3650)]] = Field(
        default_factory=default_sla_days,
        description="Days a finding of each severity may stay open on an image in use (VULN-02).",
    )
    in_use_days: int = Field(
        default=30, ge=1, le=3650, description="An image pushed or pulled within this many days is in use."
    )
    min_rescan_days: int = Field(
        default=180, ge=1, le=3650, description="Shortest acceptable Inspector ECR re-scan duration (SCAN-04)."
    )
    severity: dict[CheckId, Severity] = Field(
        default_factory=dict, description="Severity overrides by check id."
    )


NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
# A check id such as REPO-05, or a glob over check ids such as REPO-* or *.
CheckPattern = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9*?\[\]!-]{1,32}$")]
EmailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")]
EnvironmentName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
ScheduleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class Waiver(_Section):
    """An approved exception: FAIL results of matching checks on matching resources become WAIVED."""

    check: CheckPattern = Field(description="Check id, or a glob over check ids such as REPO-*.")
    resource: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="Glob over account/region/kind/name; * also matches '/'."
    )
    reason: NonBlank
    approver: NonBlank
    approved: date | None = Field(default=None, description="Day the waiver was approved.")
    expires: date = Field(description="Last day (UTC) on which the waiver applies.")

    @field_validator("expires")
    @classmethod
    def _expires_after_approval(cls, expires: date, info: ValidationInfo) -> date:
        approved = info.data.get("approved")
        if approved is not None and expires < approved:
            raise ValueError(f"the waiver expires before it was approved on {approved.isoformat()}")
        return expires


class WaiverPolicySettings(_Section):
    expiry_warning_days: int = Field(
        default=30, ge=0, le=365, description="Flag waivers that expire within this many days."
    )
    max_duration_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Longest allowed time from a waiver's approval to its expiry; unset means no limit.",
    )


class SmtpSettings(_Section):
    host: str | None = Field(default=None, description="SMTP server host name.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Default 587 for starttls, 465 for tls, 25 for none."
    )
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (upgrade after connecting), tls (implicit TLS) or none."
    )
    username_env: EnvironmentName = Field(
        default="ECR_AUDITOR_SMTP_USERNAME", description="Environment variable holding the login user name."
    )
    password_env: EnvironmentName = Field(
        default="ECR_AUDITOR_SMTP_PASSWORD", description="Environment variable holding the login password."
    )
    timeout_seconds: int = Field(default=60, ge=1, le=600, description="Timeout of each SMTP operation.")
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs to trust instead of the system's, relative to the config file.",
    )

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]


class SesSettings(_Section):
    region: RegionName | None = Field(default=None, description="SES region; default the session's region.")
    api: Literal["sesv2", "ses"] = Field(
        default="sesv2", description="sesv2 (SendEmail with raw content) or ses (SendRawEmail)."
    )
    configuration_set: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None


class EmailSettings(_Section):
    transport: Literal["smtp", "ses"] = "smtp"
    sender: EmailAddress | None = Field(default=None, description="From address; SES needs it verified.")
    subject_prefix: Annotated[str, StringConstraints(max_length=100)] = "[ecr-auditor]"
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    ses: SesSettings = Field(default_factory=SesSettings)


class SchedulerSettings(_Section):
    timezone: str = Field(default="UTC", description="IANA time zone of the cron expressions.")
    misfire_grace_seconds: int = Field(
        default=3600,
        ge=1,
        le=7 * 86400,
        description="A run that starts later than this after its time is recorded as missed instead.",
    )
    catch_up: bool = Field(
        default=True,
        description="At start, run each schedule once if it missed runs while the scheduler was down.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone: use an IANA name such as UTC or Europe/Berlin") from exc
        return value


class ScheduleSettings(_Section):
    name: ScheduleName
    cron: str = Field(description="Five-field crontab expression: minute hour day-of-month month day-of-week.")
    audit: bool = Field(default=True, description="Run an audit; false emails the latest complete run.")
    recipients: list[EmailAddress] = Field(default_factory=list, description="Who receives the report.")
    only_when_changed: bool = Field(
        default=False,
        description="Skip the email when the run's results equal those of the run this schedule last sent.",
    )

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from auditor.deliver.cron import crontab_trigger

        crontab_trigger(value, "UTC")
        return value


class Settings(_Section):
    audit: AuditSettings = Field(default_factory=AuditSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    waivers: list[Waiver] = Field(default_factory=list)
    waiver_policy: WaiverPolicySettings = Field(default_factory=WaiverPolicySettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    schedules: list[ScheduleSettings] = Field(default_factory=list)


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
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, raw, path)) from exc
    problems = consistency_problems(settings)
    if problems:
        raise ConfigError(format_consistency_problems(problems, path))
    return settings


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


def consistency_problems(settings: Settings) -> list[tuple[str, object, str]]:
    """Find problems across keys that validating each key alone cannot see.

    Returns (key, value, message) triples; a value of None means the key is missing.
    """
    problems: list[tuple[str, object, str]] = []
    seen: set[str] = set()
    for index, schedule in enumerate(settings.schedules):
        key = f"schedules.{index}"
        if schedule.name in seen:
            problems.append((f"{key}.name", schedule.name, "another schedule has this name; give each a unique name"))
        seen.add(schedule.name)
        if not schedule.audit and not schedule.recipients:
            problems.append(
                (f"{key}.recipients", [], "a schedule with audit = false only sends email, so it needs recipients")
            )
        if schedule.only_when_changed and not schedule.recipients:
            problems.append((f"{key}.only_when_changed", True, "it needs recipients to have an effect"))
    if any(schedule.recipients for schedule in settings.schedules):
        if settings.email.sender is None:
            problems.append(("email.sender", None, "schedules send email, so a sender address is required"))
        if settings.email.transport == "smtp" and settings.email.smtp.host is None:
            problems.append(("email.smtp.host", None, "schedules send email through SMTP, so a host is required"))
    limit = settings.waiver_policy.max_duration_days
    if limit is not None:
        for index, waiver in enumerate(settings.waivers):
            key = f"waivers.{index}"
            if waiver.approved is None:
                problems.append(
                    (f"{key}.approved", None, f"waiver_policy.max_duration_days = {limit} needs every approval date")
                )
                continue
            days = (waiver.expires - waiver.approved).days
            if days > limit:
                problems.append(
                    (
                        f"{key}.expires",
                        waiver.expires.isoformat(),
                        f"the waiver lasts {days} days from its approval on {waiver.approved.isoformat()}, "
                        f"more than waiver_policy.max_duration_days = {limit}",
                    )
                )
    return problems


def format_consistency_problems(problems: list[tuple[str, object, str]], path: Path) -> str:
    lines = []
    for key, value, message in problems:
        if value is None:
            lines.append(f"{path}: missing key '{key}': {message}")
        else:
            lines.append(f"{path}: invalid value {value!r} for '{key}': {message}")
    return "\n".join(lines)


EXAMPLE_CONFIG = """\
# ecr-auditor configuration. Every key is optional; the values shown are the defaults,
# except audit.regions, which lists one region as an example. Validate with: ecr-auditor config validate

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
# How many per-repository API calls run at once inside one unit. Throttled calls are
# retried as retry_mode and max_attempts set.
repository_workers = 16

[database]
# SQLAlchemy URL. Default: a SQLite file named ecr-auditor.db beside this file.
# ECR_AUDITOR_DATABASE_URL or --database-url override it.
# url = "postgresql+psycopg://auditor@127.0.0.1:5432/ecr_auditor"

[report]
# Where `ecr-auditor run` writes its reports, relative to this file.
output_dir = "reports"
# Complete runs, the reported one included, that the score trend shows.
trend_runs = 12
# Rows per section in the PDF report. A longer section shows totals and its first rows,
# and points to the CSV export for the rest.
pdf_max_rows = 200
# The same for the HTML report, whose list of every result stops there too: a report
# of tens of thousands of repositories stays quick to open, and the CSV export has
# every result.
html_max_rows = 10000

[evidence]
# ed25519 private key (PEM or OpenSSH format, unencrypted) that signs the manifest of
# every evidence package, relative to this file. Create one with:
#   openssl genpkey -algorithm ed25519 -out evidence-signing.pem
# signing_key = "evidence-signing.pem"

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
# Repository name prefixes that must be scanned continuously (SCAN-03).
production_repository_prefixes = []
# Active findings at or above this severity on a latest image fail VULN-01:
# INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL.
max_severity = "HIGH"
# An image pushed or pulled within this many days is in use (VULN-02). ECR updates
# lastRecordedPullTime at most once a day.
in_use_days = 30
# Shortest acceptable Amazon Inspector re-scan duration for ECR images (SCAN-04).
min_rescan_days = 180

# Days a finding may stay open on an image in use, by severity (VULN-02).
[checks.sla_days]
CRITICAL = 15
HIGH = 30
MEDIUM = 90

# Severity overrides by check id.
[checks.severity]
# "REPO-05" = "medium"

# Waivers: approved exceptions. A FAIL of a matching check on a matching resource becomes
# WAIVED: it counts as a pass in the score and never for exit code 1, and the report keeps
# its original reason and evidence. `check` is a check id or a glob over ids (REPO-*);
# `resource` is a glob over account/region/kind/name, where * also matches "/". A waiver
# applies up to and including its `expires` day (UTC) and is reported as expired after it.
# [[waivers]]
# check = "REPO-05"
# resource = "123456789012/us-east-1/repository/legacy-*"
# reason = "Legacy images are retired in Q3; tagging them is not worth the change."
# approver = "jane.doe@example.com"
# approved = 2026-01-15
# expires = 2026-06-30

[waiver_policy]
# Waivers that expire within this many days are flagged in the report and the email.
expiry_warning_days = 30
# Longest allowed time from a waiver's `approved` day to its `expires` day. When set,
# every waiver needs `approved`. Unset means no limit.
# max_duration_days = 180

[email]
# How reports are sent: "smtp" or "ses" (Amazon SES through the boto3 credential chain;
# it needs ses:SendEmail, or ses:SendRawEmail with api = "ses").
transport = "smtp"
# From address; SES sends only from a verified identity. Required when a schedule has recipients.
# sender = "ecr-auditor@example.com"
subject_prefix = "[ecr-auditor]"

[email.smtp]
# host = "smtp.example.com"
# "starttls" (port 587 by default), "tls" (implicit TLS, port 465) or "none" (port 25;
# only for a relay on the same host, and never with a login).
security = "starttls"
# port = 587
# The login comes from these environment variables and is never written to the config,
# the database or the logs. Leave both unset for a relay that needs no login.
username_env = "ECR_AUDITOR_SMTP_USERNAME"
password_env = "ECR_AUDITOR_SMTP_PASSWORD"
timeout_seconds = 60
# PEM file of the CAs that sign the server's certificate, instead of the system's CAs.
# ca_file = "smtp-ca.pem"

[email.ses]
# region = "eu-west-1"
# "sesv2" (SendEmail with raw content) or "ses" (SendRawEmail).
api = "sesv2"
# configuration_set = "ecr-auditor"

[scheduler]
# Used by `ecr-auditor schedule`. Time zone of every cron expression (IANA name).
timezone = "UTC"
# A run that cannot start within this many seconds of its time is recorded as missed.
misfire_grace_seconds = 3600
# After the scheduler was down, record each missed time and run every affected schedule
# once at start.
catch_up = true

# Schedules: five-field crontab expressions (minute hour day-of-month month day-of-week,
# Sunday is 0 or 7). Restrict the day of month or the day of week, not both.
# `audit = false` emails the latest complete run without auditing.
# [[schedules]]
# name = "daily-audit"
# cron = "0 5 * * *"
#
# [[schedules]]
# name = "weekly-report"
# cron = "0 7 * * mon"
# audit = false
# recipients = ["compliance@example.com"]
# only_when_changed = false
"""
