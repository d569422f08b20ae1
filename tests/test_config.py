from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import EXAMPLE_CONFIG, load, parse
from auditor.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("[audit]\nregoins = ['us-east-1']\n", "audit.regoins", "['us-east-1']"),
        ("[audit]\nmax_workers = 'many'\n", "audit.max_workers", "'many'"),
        ("[audit]\nmax_workers = 0\n", "audit.max_workers", "0"),
        ("[audit]\naccounts = ['12345']\n", "audit.accounts.0", "'12345'"),
        ("[audit]\nregions = ['Mars-1']\n", "audit.regions.0", "'Mars-1'"),
        ("[audit]\nfail_on = 'urgent'\n", "audit.fail_on", "'urgent'"),
        ("[checks]\nrequire_cmk = 'yes please'\n", "checks.require_cmk", "'yes please'"),
        ("[checks.severity]\n'REPO-01' = 'huge'\n", "checks.severity.REPO-01", "'huge'"),
        ("[checks]\nkms_key_arns = ['alias/aws/ecr']\n", "checks.kms_key_arns.0", "'alias/aws/ecr'"),
        ("[reporting]\noutput_dir = 'x'\n", "reporting", "{'output_dir': 'x'}"),
    ],
)
def test_invalid_setting_names_key_value_and_file(tmp_path, text, key, value):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert f"'{key}'" in message
    assert value in message
    assert str(path) in message
    assert caught.value.exit_code == 2


def test_invalid_toml_names_file(tmp_path):
    path = write(tmp_path, "[audit\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(path) in str(caught.value)


def test_cli_exits_2_on_bad_config(tmp_path, capsys):
    path = write(tmp_path, "[audit]\nfail_on = 'urgent'\n")
    assert main(["--config", str(path), "run"]) == 2
    err = capsys.readouterr().err
    assert "audit.fail_on" in err
    assert "'urgent'" in err
    assert not (tmp_path / "ecr-auditor.db").exists()  # no run was created


def test_example_config_is_valid():
    settings = parse(EXAMPLE_CONFIG, Path("example.toml"))
    assert settings.audit.regions == ["us-east-1"]
    assert settings.checks.require_cmk is True


def test_init_writes_example_and_refuses_overwrite(tmp_path, capsys):
    target = tmp_path / "conf.toml"
    assert main(["init", "--output", str(target)]) == 0
    assert target.read_text() == EXAMPLE_CONFIG
    assert main(["init", "--output", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["--config", str(target), "config", "validate"]) == 0


def test_config_location_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[audit]\nregions = ['eu-west-1']\n")
    assert load().settings.audit.regions == ["eu-west-1"]
    other = tmp_path / "other.toml"
    other.write_text("[audit]\nregions = ['eu-central-1']\n")
    monkeypatch.setenv("ECR_AUDITOR_CONFIG", str(other))
    assert load().settings.audit.regions == ["eu-central-1"]
    flag = tmp_path / "flag.toml"
    flag.write_text("[audit]\nregions = ['ap-south-1']\n")
    assert load(flag).settings.audit.regions == ["ap-south-1"]


def test_missing_named_config_is_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "absent.toml")
    assert "ecr-auditor init" in str(caught.value)


def test_database_url_precedence(tmp_path, monkeypatch):
    path = write(tmp_path, "")
    config = load(path)
    assert config.database_url() == f"sqlite:///{(tmp_path / 'ecr-auditor.db').resolve()}"
    path.write_text("[database]\nurl = 'sqlite:///from-file.db'\n")
    config = load(path)
    assert config.database_url() == "sqlite:///from-file.db"
    monkeypatch.setenv("ECR_AUDITOR_DATABASE_URL", "sqlite:///from-env.db")
    assert config.database_url() == "sqlite:///from-env.db"
    assert config.database_url("sqlite:///from-flag.db") == "sqlite:///from-flag.db"
