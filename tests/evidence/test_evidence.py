"""Evidence packages: export, offline verification, tampering, signatures and the sealed run chain."""

import hashlib
import json
import re
import shutil
import zipfile
from types import SimpleNamespace

import pytest
from report.sample_runs import sample_runs
from sqlalchemy import inspect, update

from auditor.cli import main
from auditor.evidence.chain import SealMismatchError, read_seal, seal_pending, seal_run
from auditor.evidence.package import RenderedReports, export_package
from auditor.evidence.signing import (
    ensure_signing_key,
    fingerprint,
    load_private_key,
    load_public_key,
    public_pem,
    sign,
)
from auditor.evidence.verify import verify_package
from auditor.report.html import render_html
from auditor.report.model import build_report_model
from auditor.report.pdf import render_model_pdf
from auditor.store.db import Store
from auditor.store.models import ResultRow


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return SimpleNamespace(
        signer=ensure_signing_key(folder / "signer.pem"),
        signer_pub=folder / "signer.pub",
        other=ensure_signing_key(folder / "other.pem"),
        other_pub=folder / "other.pub",
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory, keys):
    """A signed package of run 2 of the sample runs, written through the API."""
    folder = tmp_path_factory.mktemp("package")
    store = Store.open(f"sqlite:///{folder / 'audit.db'}")
    runs = sample_runs(store)
    model = build_report_model(store, runs.second)
    reports = RenderedReports(render_html(model).encode(), render_model_pdf(model))
    result = export_package(
        store, [runs.second], folder / "evidence.zip", signing_key=keys.signer, rendered={runs.second: reports}
    )
    yield store, runs, result
    store.close()


def rewrite(source, target, change):
    """Copy a zip, passing each (name, data) through ``change``, which returns new data or None to drop."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info, data)


def verify_cli(capsys, *args):
    code = main(["evidence", "verify", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fresh_package_verifies(exported, keys, capsys):
    _, runs, result = exported
    code, out, err = verify_cli(capsys, result.path, "--public-key", keys.signer_pub)
    assert code == 0, err
    assert f"manifest sha256: {result.manifest_sha256}" in out
    assert "signature valid, checked with the given public key" in err


def test_package_contents(exported):
    store, runs, result = exported
    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        calls = archive.read(f"runs/{runs.second}/call_log.jsonl").decode().splitlines()
        payload_names = [n for n in names if n.startswith("payloads/")]
        for name in payload_names:
            assert name == f"payloads/{hashlib.sha256(archive.read(name)).hexdigest()}.json"
    prefix = f"runs/{runs.second}"
    for expected in ("results.jsonl", "results.csv", "report.html", "report.pdf", "snapshots.jsonl",
                     "run-manifest.json", "scope.json", "collection_errors.json", "api_calls.json"):
        assert f"{prefix}/{expected}" in names
    assert {"manifest.json", "manifest.sha256", "manifest.json.sig", "signing-key.pub", "catalogue.json",
            "scope.json", "README.txt"} <= names
    assert payload_names
    assert all(json.loads(line)["request_id"] for line in calls)
    [run] = manifest["runs"]
    assert run["tool_version"] == "0.1.0-test"
    assert run["config_sha256"] == "c" * 64
    assert run["caller_arn"].startswith("arn:aws:sts::123456789012:")
    assert run["api_calls"] == {"ecr:DescribeRegistry": 3}
    assert run["started_at"] and run["finished_at"]
    assert run["manifest_sha256"] == read_seal(store, runs.second).manifest_sha256
    assert manifest["signing"]["public_key_sha256"] == result.key_fingerprint
    assert set(manifest["files"]) == names - {"manifest.json", "manifest.sha256", "manifest.json.sig", "signing-key.pub"}


def test_package_holds_no_credentials(exported):
    _, _, result = exported
    secret = re.compile(rb"(AKIA|ASIA)[A-Z0-9]{16}|SecretAccessKey|SessionToken|aws_secret_access_key|PRIVATE KEY")
    with zipfile.ZipFile(result.path) as archive:
        for name in archive.namelist():
            assert not secret.search(archive.read(name)), name


TAMPERED = [
    "manifest.json",
    "manifest.sha256",
    "manifest.json.sig",
    "signing-key.pub",
    "catalogue.json",
    "README.txt",
    "scope.json",
    "runs/{run}/results.jsonl",
    "runs/{run}/call_log.jsonl",
    "runs/{run}/snapshots.jsonl",
    "runs/{run}/report.html",
    "runs/{run}/report.pdf",
    "runs/{run}/results.csv",
    "runs/{run}/run-manifest.json",
    "payloads/*",
]


@pytest.mark.parametrize("target", TAMPERED)
def test_changed_file_fails_naming_it(exported, tmp_path, capsys, target):
    _, runs, result = exported
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
    name = target.format(run=runs.second)
    if name.endswith("*"):
        name = next(n for n in names if n.startswith(name[:-1]))
    changed = tmp_path / "changed.zip"
    rewrite(result.path, changed, lambda n, data: data + b" " if n == name else data)
    code, _, err = verify_cli(capsys, changed)
    assert code == 1
    assert f"mismatch: {name}:" in err


def test_added_file_fails_naming_it(exported, tmp_path, capsys):
    _, _, result = exported
    changed = tmp_path / "added.zip"
    shutil.copy(result.path, changed)
    with zipfile.ZipFile(changed, "a") as archive:
        archive.writestr("runs/extra.json", b"{}")
    code, _, err = verify_cli(capsys, changed)
    assert code == 1
    assert "mismatch: runs/extra.json: not listed in the manifest" in err


def test_removed_file_fails_naming_it(exported, tmp_path, capsys):
    _, runs, result = exported
    changed = tmp_path / "removed.zip"
    name = f"runs/{runs.second}/results.jsonl"
    rewrite(result.path, changed, lambda n, data: None if n == name else data)
    code, _, err = verify_cli(capsys, changed)
    assert code == 1
    assert f"mismatch: {name}: listed in the manifest but missing" in err


def test_wrong_public_key_fails(exported, keys, capsys):
    _, _, result = exported
    code, _, err = verify_cli(capsys, result.path, "--public-key", keys.other_pub)
    assert code == 1
    assert "mismatch: manifest.json.sig:" in err
    assert fingerprint(load_public_key(keys.other_pub)) in err


def test_expected_manifest_hash_checked(exported, capsys):
    _, _, result = exported
    code, _, err = verify_cli(capsys, result.path, "--manifest-sha256", "0" * 64)
    assert code == 1
    assert "mismatch: manifest.json: SHA-256 is" in err


@pytest.mark.parametrize("case", ["missing package", "invalid key", "no arguments"])
def test_verify_usage_errors_exit_2(exported, tmp_path, capsys, case):
    _, _, result = exported
    if case == "no arguments":
        with pytest.raises(SystemExit) as exit_info:
            main(["evidence", "verify"])
        assert exit_info.value.code == 2
        return
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key")
    args = [tmp_path / "absent.zip"] if case == "missing package" else [result.path, "--public-key", bad_key]
    code, _, _ = verify_cli(capsys, *args)
    assert code == 2


def test_not_a_zip_is_a_mismatch(tmp_path, capsys):
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    code, _, err = verify_cli(capsys, bogus)
    assert code == 1
    assert "mismatch: bogus.zip: not a readable zip archive" in err


def test_resigned_package_fails_only_with_signer_key(exported, keys, tmp_path):
    # A forger changes a report, fixes every hash and signs with their own key. The package
    # is then consistent on its own, so only the signer's public key exposes the forgery.
    _, runs, result = exported
    name = f"runs/{runs.second}/report.html"
    other = load_private_key(keys.other)
    with zipfile.ZipFile(result.path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files[name] = files[name].replace(b"Executive summary", b"Executive summery")
    manifest = json.loads(files["manifest.json"])
    manifest["files"][name] = {"sha256": hashlib.sha256(files[name]).hexdigest(), "size": len(files[name])}
    manifest["signing"]["public_key_sha256"] = fingerprint(other.public_key())
    files["manifest.json"] = json.dumps(manifest).encode()
    files["manifest.json.sig"] = sign(other, files["manifest.json"])
    files["signing-key.pub"] = public_pem(other.public_key())
    files["manifest.sha256"] = "".join(
        f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in ("manifest.json", "manifest.json.sig", "signing-key.pub")
    ).encode()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    assert verify_package(forged).ok
    problems = verify_package(forged, load_public_key(keys.signer_pub)).problems
    assert [p.file for p in problems] == ["manifest.json.sig"]


@pytest.fixture
def period_store(tmp_path, keys):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    store = Store.open(url)
    runs = sample_runs(store)
    config = tmp_path / "ecr-auditor.toml"
    shutil.copy(keys.signer, tmp_path / "signer.pem")
    config.write_text(f'[database]\nurl = "{url}"\n\n[evidence]\nsigning_key = "signer.pem"\n')
    yield store, runs, config
    store.close()


def test_period_export_selects_runs_and_records_chain(period_store, tmp_path, keys, capsys):
    store, runs, config = period_store
    day = store.run(runs.second).started_at.date().isoformat()
    target = tmp_path / "period.zip"
    code = main(["--config", str(config), "evidence", "export", "--from", day, "--to", day, "-o", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    manifest_hash = re.search(r"manifest sha256: ([0-9a-f]{64})", out).group(1)
    assert f"signing key sha256: {fingerprint(load_public_key(keys.signer_pub))}" in out
    report = verify_package(target, load_public_key(keys.signer_pub), manifest_hash)
    assert report.ok, report.problems
    # Run 1 started two days earlier, outside the period.
    assert report.run_ids == [runs.second]
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    [entry] = manifest["runs"]
    assert entry["previous_run_id"] == runs.first
    assert entry["previous_manifest_sha256"] == read_seal(store, runs.first).manifest_sha256
    assert manifest["period"] == {"from": day, "to": day}


@pytest.mark.parametrize(("start", "end"), [("2001-01-01", "2001-01-31"), ("2030-02-01", "2030-01-01")])
def test_period_without_runs_is_usage_error(period_store, tmp_path, capsys, start, end):
    _, _, config = period_store
    code = main(["--config", str(config), "evidence", "export", "--from", start, "--to", end, "-o", str(tmp_path / "x.zip")])
    assert code == 2
    assert "ecr-auditor: error:" in capsys.readouterr().err


def test_chained_runs_in_one_package(period_store, tmp_path):
    store, runs, _ = period_store
    target = tmp_path / "both.zip"
    reports = {
        run_id: RenderedReports(render_html(build_report_model(store, run_id)).encode(), b"%PDF-1.7 stand-in")
        for run_id in (runs.first, runs.second)
    }
    export_package(store, [runs.first, runs.second], target, rendered=reports)
    report = verify_package(target)
    assert report.ok, report.problems
    with zipfile.ZipFile(target) as archive:
        first, second = json.loads(archive.read("manifest.json"))["runs"]
    assert second["previous_manifest_sha256"] == first["manifest_sha256"]


def test_broken_chain_detected_by_verify(period_store, tmp_path):
    store, runs, _ = period_store
    target = tmp_path / "both.zip"
    reports = {
        run_id: RenderedReports(render_html(build_report_model(store, run_id)).encode(), b"%PDF-1.7 stand-in")
        for run_id in (runs.first, runs.second)
    }
    export_package(store, [runs.first, runs.second], target, rendered=reports)
    name = f"runs/{runs.second}/run-manifest.json"
    changed = tmp_path / "broken.zip"

    def break_chain(member, data):
        if member == name:
            document = json.loads(data)
            document["previous_manifest_sha256"] = "f" * 64
            return json.dumps(document).encode()
        return data

    rewrite(target, changed, break_chain)
    problems = {p.file for p in verify_package(changed).problems}
    assert name in problems


def test_sealing_chains_every_run(database_url):
    store = Store.open(database_url)
    try:
        columns = {c["name"] for c in inspect(store.engine).get_columns("runs")}
        assert {"manifest_sha256", "previous_manifest_sha256", "sealed_at"} <= columns
        runs = sample_runs(store)
        seals = seal_pending(store)
        assert [s.run_id for s in seals] == [runs.first, runs.second]
        assert seals[0].previous_manifest_sha256 is None
        assert seals[1].previous_manifest_sha256 == seals[0].manifest_sha256
        assert seal_run(store, runs.second) == seals[1]
        assert seal_pending(store) == []
    finally:
        store.close()


def test_changed_run_data_stops_export(database_url, tmp_path):
    store = Store.open(database_url)
    try:
        runs = sample_runs(store)
        seal_run(store, runs.second)
        with store.session() as session:
            session.execute(update(ResultRow).where(ResultRow.run_id == runs.first).values(reason="rewritten"))
        with pytest.raises(SealMismatchError, match=f"run {runs.first}"):
            export_package(store, [runs.first], tmp_path / "x.zip")
        assert not (tmp_path / "x.zip").exists()
    finally:
        store.close()


def test_damaged_compressed_data_is_a_mismatch(exported, tmp_path, capsys):
    # Flip one byte inside the compressed data of a member: the verifier names the
    # file and exits 1 instead of crashing on the decompression error.
    package = exported[2].path
    damaged = tmp_path / "damaged.zip"
    data = bytearray(package.read_bytes())
    archive = zipfile.ZipFile(package)
    info = max(archive.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert main(["evidence", "verify", str(damaged)]) == 1
    err = capsys.readouterr().err
    assert info.filename in err
    assert "listed in the manifest but missing" not in err
