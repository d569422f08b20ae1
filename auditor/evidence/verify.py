"""Verify an evidence package with nothing but the zip and, optionally, the signer's public key.

The checks, in order:

- the zip is readable and has no duplicate or unsafe names;
- manifest.sha256 matches manifest.json and the signature files;
- every file that manifest.json lists exists with its SHA-256 and size, and no other file is in the zip;
- the signature verifies;
- each run manifest matches the hash recorded for its run, and the files it lists match it;
- consecutive runs chain through previous_manifest_sha256.

Each problem names the file it concerns.
"""

from __future__ import annotations

import hmac
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auditor.errors import ConfigError
from auditor.evidence.package import MANIFEST, MANIFEST_FILES, MANIFEST_SUMS, PACKAGE_FORMAT, PUBLIC_KEY, SIGNATURE
from auditor.evidence.runfiles import RUN_MANIFEST_FORMAT, run_prefix, sha256_hex
from auditor.evidence.signing import fingerprint, parse_public_key, signature_valid


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class Verification:
    package: Path
    problems: list[Problem] = field(default_factory=list)
    manifest_sha256: str | None = None
    run_ids: list[int] = field(default_factory=list)
    file_count: int = 0
    signed: bool = False
    # "the given public key", "only the key inside the package", or None when unsigned.
    signature_checked_with: str | None = None
    key_fingerprint: str | None = None
    unreadable: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, file: str, message: str) -> None:
        self.problems.append(Problem(file, message))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify_package(
    path: Path, public_key: Ed25519PublicKey | None = None, manifest_sha256: str | None = None
) -> Verification:
    """Verify the package at ``path``; raises ConfigError when it does not exist (a usage error)."""
    if not path.is_file():
        raise ConfigError(f"evidence package {path} not found")
    report = Verification(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.fail(path.name, f"not a readable zip archive: {exc}")
        return report
    with archive:
        files = _read_all(archive, report)
        if files is None:
            return report
        manifest = _manifest(files, report, manifest_sha256)
        if manifest is None:
            return report
        _check_files(files, manifest, report)
        _check_signature(files, manifest, report, public_key)
        _check_runs(files, manifest, report)
    return report


def _read_all(archive: zipfile.ZipFile, report: Verification) -> dict[str, bytes] | None:
    files: dict[str, bytes] = {}
    for info in archive.infolist():
        name = info.filename
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or "\\" in name:
            report.fail(name, "unsafe path in the archive")
            continue
        if name in files:
            report.fail(name, "appears more than once in the archive")
            continue
        if info.is_dir():
            continue
        try:
            files[name] = archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, zlib.error, EOFError) as exc:
            # A damaged compressed stream is a changed file, not a crash of the verifier.
            report.fail(name, f"could not be read from the archive (damaged): {exc}")
            report.unreadable.add(name)
    report.file_count = len(files)
    return files


def _matches_expected(files: dict[str, bytes], package_sha256: str, expected: str) -> bool:
    """Accept the package manifest's hash (printed at export) or the sealed run manifest
    hash of a run in the package (shown on the report's cover and in the email). The run
    manifest files are themselves checked against the package manifest."""
    if _same(package_sha256, expected):
        return True
    return any(
        name.endswith("/run-manifest.json") and _same(sha256_hex(data), expected) for name, data in files.items()
    )


def _manifest(files: dict[str, bytes], report: Verification, expected: str | None) -> dict[str, Any] | None:
    raw = files.get(MANIFEST)
    if raw is None:
        report.fail(MANIFEST, "missing")
        return None
    report.manifest_sha256 = sha256_hex(raw)
    if expected is not None and not _matches_expected(files, report.manifest_sha256, expected.lower()):
        report.fail(
            MANIFEST,
            f"SHA-256 is {report.manifest_sha256}, not the expected {expected}, "
            "and no run manifest in the package has that SHA-256 either",
        )
    _check_sums(files, report)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        report.fail(MANIFEST, f"is not valid JSON: {exc}")
        return None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != PACKAGE_FORMAT
        or not isinstance(manifest.get("files"), dict)
    ):
        report.fail(MANIFEST, f"is not an ecr-auditor evidence manifest ({PACKAGE_FORMAT})")
        return None
    report.run_ids = [int(r.get("id", 0)) for r in manifest.get("runs", []) if isinstance(r, dict)]
    return manifest


def _check_sums(files: dict[str, bytes], report: Verification) -> None:
    raw = files.get(MANIFEST_SUMS)
    if raw is None:
        report.fail(MANIFEST_SUMS, "missing")
        return
    listed: set[str] = set()
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if not name or len(digest) != 64:
            report.fail(MANIFEST_SUMS, f"line {number} is not in sha256sum format")
            continue
        listed.add(name)
        data = files.get(name)
        if data is None:
            report.fail(name, f"listed in {MANIFEST_SUMS} but missing")
        elif not _same(sha256_hex(data), digest.lower()):
            report.fail(name, f"SHA-256 does not match {MANIFEST_SUMS}")
    if MANIFEST not in listed:
        report.fail(MANIFEST_SUMS, f"does not list {MANIFEST}")
    for name in (SIGNATURE, PUBLIC_KEY):
        if name in files and name not in listed:
            report.fail(name, f"not listed in {MANIFEST_SUMS}")


def _check_files(files: dict[str, bytes], manifest: dict[str, Any], report: Verification) -> None:
    listed: dict[str, Any] = manifest["files"]
    for name, entry in sorted(listed.items()):
        data = files.get(name)
        if data is None:
            if name not in report.unreadable:
                report.fail(name, "listed in the manifest but missing")
            continue
        if not isinstance(entry, dict) or not _same(sha256_hex(data), str(entry.get("sha256", "")).lower()):
            report.fail(name, "SHA-256 does not match the manifest")
        elif entry.get("size") != len(data):
            report.fail(name, f"size {len(data)} does not match the manifest ({entry.get('size')})")
    for name in sorted(files.keys() - listed.keys() - MANIFEST_FILES):
        report.fail(name, "not listed in the manifest")
    catalogue = files.get("catalogue.json")
    if catalogue is not None and manifest.get("catalogue_sha256") != sha256_hex(catalogue):
        report.fail("catalogue.json", "SHA-256 does not match catalogue_sha256 in the manifest")


def _check_signature(
    files: dict[str, bytes], manifest: dict[str, Any], report: Verification, given: Ed25519PublicKey | None
) -> None:
    signing = manifest.get("signing")
    if not signing:
        if given is not None:
            report.fail(SIGNATURE, "missing: the package is not signed, but a public key was given")
        for name in (SIGNATURE, PUBLIC_KEY):
            if name in files:
                report.fail(name, "present, but the manifest names no signature")
        return
    report.signed = True

    signature = files.get(SIGNATURE)
    embedded_pem = files.get(PUBLIC_KEY)
    if signature is None:
        report.fail(SIGNATURE, "missing, but the manifest says the package is signed")
        return
    embedded: Ed25519PublicKey | None = None
    if embedded_pem is None:
        report.fail(PUBLIC_KEY, "missing, but the manifest says the package is signed")
    else:
        try:
            embedded = parse_public_key(embedded_pem, PUBLIC_KEY)
        except ConfigError as exc:
            report.fail(PUBLIC_KEY, str(exc))
        if embedded is not None and fingerprint(embedded) != signing.get("public_key_sha256"):
            report.fail(PUBLIC_KEY, "its SHA-256 fingerprint does not match public_key_sha256 in the manifest")

    key = given or embedded
    if key is None:
        return
    report.key_fingerprint = fingerprint(key)
    if given is not None and fingerprint(given) != signing.get("public_key_sha256"):
        report.fail(
            SIGNATURE,
            f"made by the key {signing.get('public_key_sha256')}, not by the given public key {fingerprint(given)}",
        )
        report.signature_checked_with = "the given public key"
        return
    report.signature_checked_with = "the given public key" if given is not None else "only the key inside the package"
    if not signature_valid(key, signature, files[MANIFEST]):
        report.fail(SIGNATURE, f"the signature of {MANIFEST} is invalid")


def _check_runs(files: dict[str, bytes], manifest: dict[str, Any], report: Verification) -> None:
    by_id: dict[int, dict[str, Any]] = {}
    for entry in manifest.get("runs", []):
        run_id = int(entry.get("id", 0))
        name = f"{run_prefix(run_id)}/run-manifest.json"
        raw = files.get(name)
        if raw is None:
            report.fail(name, "missing")
            continue
        if not _same(sha256_hex(raw), str(entry.get("manifest_sha256", ""))):
            report.fail(name, "SHA-256 does not match the run's manifest_sha256 in manifest.json")
        try:
            run_manifest = json.loads(raw)
        except ValueError as exc:
            report.fail(name, f"is not valid JSON: {exc}")
            continue
        if run_manifest.get("format") != RUN_MANIFEST_FORMAT or run_manifest.get("run_id") != run_id:
            report.fail(name, f"is not the run manifest of run {run_id}")
            continue
        if run_manifest.get("previous_manifest_sha256") != entry.get("previous_manifest_sha256"):
            report.fail(name, "previous_manifest_sha256 differs from manifest.json")
        for listed, digest in sorted((run_manifest.get("files") or {}).items()):
            data = files.get(listed)
            if data is None:
                report.fail(listed, f"listed in {name} but missing")
            elif not _same(sha256_hex(data), str(digest)):
                report.fail(listed, f"SHA-256 does not match {name}")
        by_id[run_id] = {**entry, "run_manifest": run_manifest}
    for run_id, entry in sorted(by_id.items()):
        previous_id = entry["run_manifest"].get("previous_run_id")
        if previous_id in by_id and by_id[previous_id].get("manifest_sha256") != entry.get("previous_manifest_sha256"):
            report.fail(
                f"{run_prefix(run_id)}/run-manifest.json",
                f"does not chain to run {previous_id}: previous_manifest_sha256 is not that run's manifest hash",
            )
