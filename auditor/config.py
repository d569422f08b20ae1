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
from typing import Annotated, Any, Literal

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
KmsKeyArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditSettings(_Section):
    accounts: list[AccountId] = Field(
        default_factory=list,
        description="Accounts to audit; empty audits only the caller's own account.",
    )
    regions: list[RegionName] = Field(
        default_factory=list,
        description="Regions to audit; empty uses the AWS session's default region.",
    )
    role_name: Annotated[str, StringConstraints(pattern=r"^[\w+=,.@/-]{1,64}$")] = Field(
        default="ECRAuditorRole",
        description="Role assumed in every account other than the caller's.",
    )
    external_id: str | None = Field(default=None, description="External ID for AssumeRole.")
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
    trusted_accounts: list[AccountId] = Field(default_factory=list)
    trust_organization: bool = False
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
# Accounts to audit. Empty audits only the account of the caller's credentials.
# Every other account is reached by assuming `role_name` in it.
accounts = []
# Regions to audit. Empty uses the AWS session's default region (AWS_REGION).
regions = ["us-east-1"]
role_name = "ECRAuditorRole"
# external_id = "set-if-the-role-trust-policy-requires-one"
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
# Accounts outside the audited one that may be granted access (PERM-02, PERM-05).
trusted_accounts = []
trust_organization = false

# Severity overrides by check id.
[checks.severity]
# "REPO-05" = "medium"
"""
