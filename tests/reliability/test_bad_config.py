"""Every kind of invalid setting exits 2 naming the key, before any run or database exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main

# (TOML text, text that the error must contain: the key, or for a syntax error its position)
INVALID = {
    "zero attempts": ("[audit]\nmax_attempts = 0\n", "max_attempts"),
    "too many workers": ("[audit]\nmax_workers = 1000\n", "max_workers"),
    "workers as text": ('[audit]\nrepository_workers = "eight"\n', "repository_workers"),
    "invalid region": ('[audit]\nregions = ["moon-base-1x"]\n', "regions"),
    "short account id": ('[audit]\naccounts = ["123"]\n', "accounts"),
    "unknown severity": ('[audit]\nfail_on = "severe"\n', "fail_on"),
    "unknown retry mode": ('[audit]\nretry_mode = "legacy"\n', "retry_mode"),
    "session too short": ("[audit]\nsession_duration = 60\n", "session_duration"),
    "invalid role name": ('[audit]\nrole_name = "has spaces and ;"\n', "role_name"),
    "unknown key": ("[audit]\ncolour = 1\n", "colour"),
    "unknown section": ("[nonsense]\nvalue = 1\n", "nonsense"),
    "trend too short": ("[report]\ntrend_runs = 1\n", "trend_runs"),
    "unknown scan type": ('[checks]\nrequired_scan_type = "DEEP"\n', "required_scan_type"),
    "smtp port out of range": ("[email.smtp]\nport = 70000\n", "port"),
    "unknown smtp security": ('[email.smtp]\nsecurity = "ssl3"\n', "security"),
    "invalid sender": ('[email]\nsender = "not-an-address"\n', "sender"),
    "waiver without expiry": (
        '[[waivers]]\ncheck = "REPO-01"\nresource = "*"\nreason = "r"\napprover = "a"\n',
        "expires",
    ),
    "waiver with bad check id": (
        '[[waivers]]\ncheck = "not a check"\nresource = "*"\nreason = "r"\napprover = "a"\nexpires = 2030-01-01\n',
        "check",
    ),
    "unknown time zone": ('[scheduler]\ntimezone = "Mars/Olympus"\n', "timezone"),
    "invalid cron": ('[[schedules]]\nname = "weekly"\ncron = "every monday"\n', "cron"),
    "database url scheme": ('[database]\nurl = "nosuchdb://x"\n', "database"),
    "toml syntax": ("[audit\nregions = \n", "line"),
}


@pytest.mark.parametrize(("text", "named"), INVALID.values(), ids=INVALID.keys())
def test_invalid_setting_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str) -> None:
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(text)

    code = main(["--config", str(config), "run"])

    error = capsys.readouterr().err
    assert code == 2, error
    assert named in error
    assert "Traceback" not in error
    # Nothing was done: no database file, no report directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ecr-auditor.toml"]


def test_invalid_database_url_in_environment_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECR_AUDITOR_DATABASE_URL", "sqlite-but-wrong:///x.db")
    config = tmp_path / "ecr-auditor.toml"
    config.write_text('[audit]\nregions = ["us-east-1"]\n')

    code = main(["--config", str(config), "run"])

    assert code == 2
    assert "database" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ecr-auditor.toml"]


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(tmp_path / "absent.toml"), "run"])

    error = capsys.readouterr().err
    assert code == 2
    assert "absent.toml not found" in error
    assert list(tmp_path.iterdir()) == []
