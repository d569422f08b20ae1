"""Evidence packages: one zip with everything an auditor needs to check one or more runs.

Layout of the zip::

    README.txt                what the package contains and how to verify it
    manifest.json             run metadata and the SHA-256 and size of every other file
    manifest.sha256           sha256sum lines for manifest.json (and the signature files)
    manifest.json.sig         ed25519 signature of manifest.json (signed packages only)
    signing-key.pub           the public key of that signature (signed packages only)
    catalogue.json            the check catalogue the reports use; its hash is in the manifest
    scope.json                per run: accounts and regions audited, skipped, unreadable
    payloads/<sha256>.json    the collected API responses, byte for byte as stored
    runs/<id>/run.json, scope.json, collection_errors.json, api_calls.json,
             results.jsonl, snapshots.jsonl, call_log.jsonl (with AWS request ids)
    runs/<id>/run-manifest.json   the sealed run manifest (its SHA-256 is stored with the run)
    runs/<id>/results.csv, report.html, report.pdf

No credentials are written: the store never keeps STS answers, and the config file
is represented by its hash only.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.checks import default_registry
from auditor.checks.engine import CheckRegistry
from auditor.errors import ReportError, RunNotFoundError
from auditor.evidence.chain import SealedRun, load_sealed
from auditor.evidence.runfiles import iso, json_bytes, run_metadata, run_prefix, sha256_hex
from auditor.evidence.signing import fingerprint, load_private_key, public_pem, sign
from auditor.report.exports import export_csv
from auditor.report.html import render_html
from auditor.report.model import ReportOptions, build_report_model
from auditor.report.pdf import render_model_pdf
from auditor.store.db import RunInfo, Store

logger = logging.getLogger(__name__)

PACKAGE_FORMAT = "ecr-auditor-evidence/1"
MANIFEST = "manifest.json"
MANIFEST_SUMS = "manifest.sha256"
SIGNATURE = "manifest.json.sig"
PUBLIC_KEY = "signing-key.pub"
# Files that describe the manifest rather than being listed in it.
MANIFEST_FILES = frozenset({MANIFEST, MANIFEST_SUMS, SIGNATURE, PUBLIC_KEY})


@dataclass(frozen=True)
class RenderedReports:
    """Reports already rendered for a run, so that a package does not render them again."""

    html: bytes
    pdf: bytes


@dataclass(frozen=True)
class PackageResult:
    path: Path
    manifest_sha256: str
    key_fingerprint: str | None
    run_ids: list[int]
    file_count: int


def catalogue_document(checks: CheckRegistry) -> list[dict[str, Any]]:
    return [
        {
            "id": c.meta.id,
            "title": c.meta.title,
            "area": c.meta.area.value,
            "severity": c.meta.severity.value,
            "resource_type": c.meta.resource_type.value,
            "rationale": c.meta.rationale,
            "remediation": {"console": c.meta.remediation.console, "cli": c.meta.remediation.cli},
            "controls": [
                {"framework": x.framework.value, "control": x.control_id, "note": x.note} for x in c.meta.controls
            ],
            "permissions": list(c.meta.permissions),
            "references": list(c.meta.references),
        }
        for c in checks
    ]


def runs_in_period(store: Store, start: date, end: date) -> list[RunInfo]:
    """Complete runs that started on a day from ``start`` to ``end`` (both included, UTC)."""
    if end < start:
        raise RunNotFoundError(f"the period ends ({end}) before it starts ({start})", hint="swap --from and --to")
    low = datetime.combine(start, time.min, UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, UTC)
    chosen = [r for r in store.runs(include_incomplete=False) if low <= r.started_at.astimezone(UTC) < high]
    if not chosen:
        raise RunNotFoundError(
            f"no complete run started between {start} and {end}", hint="list runs with 'ecr-auditor history'"
        )
    return chosen


def _readme(runs: Sequence[SealedRun], period: tuple[date, date] | None, signed: bool) -> bytes:
    lines = [
        "ecr-auditor evidence package",
        "",
        f"Runs: {', '.join(str(r.run.id) for r in runs)}"
        + (f" (every complete run from {period[0]} to {period[1]})" if period else ""),
        f"Created by ecr-auditor {__version__}.",
        "",
        "manifest.json lists every other file with its SHA-256 and size, and the metadata of",
        "each run: tool version, config hash, caller identity, times and API call counts.",
        "manifest.sha256 holds the SHA-256 of manifest.json in sha256sum format.",
        "",
        "To verify without ecr-auditor: check manifest.json with `sha256sum -c manifest.sha256`,",
        "then compare each file's SHA-256 with its entry in manifest.json. With ecr-auditor:",
        "",
        "    ecr-auditor evidence verify PACKAGE.zip [--public-key KEY]",
        "",
        "Each run directory holds the run's data as stored and run-manifest.json, whose SHA-256",
        "was stored with the run when it was sealed and includes the previous run's manifest",
        "hash, so the runs form a hash chain.",
        "payloads/ holds the collected API responses, each named by the SHA-256 of its bytes.",
    ]
    if signed:
        lines += [
            "",
            "manifest.json.sig is an ed25519 signature of manifest.json by the key in",
            "signing-key.pub. Verify it with the public key you received separately:",
            "the key inside the package only shows that the signature is intact.",
        ]
    return ("\n".join(lines) + "\n").encode()


def _scope_statement(runs: Sequence[SealedRun], store: Store) -> bytes:
    statement = []
    for sealed in runs:
        scope = store.load_scope(sealed.run.id)
        entry: dict[str, Any] = {"run_id": sealed.run.id, "accounts": sorted({s.account for s in scope})}
        entry["regions"] = sorted({s.region for s in scope})
        for status in ("audited", "skipped", "unreadable"):
            entry[status] = [
                {"account": s.account, "region": s.region, "reason": s.reason}
                for s in scope
                if s.status.value == status
            ]
        statement.append(entry)
    return json_bytes(statement)


def _run_entry(sealed: SealedRun, store: Store) -> dict[str, Any]:
    counts = store.load_call_counts(sealed.run.id)
    return {
        **run_metadata(sealed.run),
        "api_calls": {f"{service}:{operation}": n for (service, operation), (n, _) in sorted(counts.items())},
        "api_call_total": sum(n for n, _ in counts.values()),
        "manifest_sha256": sealed.seal.manifest_sha256,
        "previous_run_id": sealed.previous_run_id,
        "previous_manifest_sha256": sealed.seal.previous_manifest_sha256,
        "sealed_at": iso(sealed.seal.sealed_at),
    }


def build_files(
    store: Store,
    runs: Sequence[SealedRun],
    options: ReportOptions,
    rendered: Mapping[int, RenderedReports],
    checks: CheckRegistry,
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for sealed in runs:
        prefix = run_prefix(sealed.run.id)
        files.update(sealed.files)
        files.update(sealed.payloads)
        files[f"{prefix}/run-manifest.json"] = sealed.manifest
        model = build_report_model(store, sealed.run.id, checks, options)
        files[f"{prefix}/results.csv"] = export_csv(model, checks)
        reports = rendered.get(sealed.run.id)
        files[f"{prefix}/report.html"] = reports.html if reports else render_html(model).encode()
        files[f"{prefix}/report.pdf"] = reports.pdf if reports else render_model_pdf(model)
    files["catalogue.json"] = json_bytes(catalogue_document(checks))
    files["scope.json"] = _scope_statement(runs, store)
    return files


def export_package(
    store: Store,
    run_ids: Sequence[int],
    output: Path,
    *,
    signing_key: Path | None = None,
    options: ReportOptions | None = None,
    rendered: Mapping[int, RenderedReports] | None = None,
    period: tuple[date, date] | None = None,
    checks: CheckRegistry | None = None,
) -> PackageResult:
    """Write the evidence package of the given complete runs to ``output`` (atomically).

    Every run is sealed first if it is not; a run whose stored data no longer matches
    its seal stops the export (SealMismatchError).
    """
    if not run_ids:
        raise RunNotFoundError("no run to package")
    checks = checks or default_registry()
    options = options or ReportOptions()
    key = load_private_key(signing_key) if signing_key is not None else None
    runs = [load_sealed(store, run_id) for run_id in sorted(set(run_ids))]
    files = build_files(store, runs, options, rendered or {}, checks)
    files["README.txt"] = _readme(runs, period, key is not None)
    manifest: dict[str, Any] = {
        "format": PACKAGE_FORMAT,
        "tool_version": __version__,
        "created_at": iso(datetime.now(UTC)),
        "period": {"from": period[0].isoformat(), "to": period[1].isoformat()} if period else None,
        "runs": [_run_entry(r, store) for r in runs],
        "catalogue_sha256": sha256_hex(files["catalogue.json"]),
        "signing": None,
        "files": {path: {"sha256": sha256_hex(data), "size": len(data)} for path, data in sorted(files.items())},
    }
    key_fingerprint = None
    if key is not None:
        key_fingerprint = fingerprint(key.public_key())
        manifest["signing"] = {
            "algorithm": "ed25519",
            "public_key_sha256": key_fingerprint,
            "signature_file": SIGNATURE,
            "public_key_file": PUBLIC_KEY,
        }
    manifest_bytes = json_bytes(manifest)
    files[MANIFEST] = manifest_bytes
    sums = [f"{sha256_hex(manifest_bytes)}  {MANIFEST}"]
    if key is not None:
        files[SIGNATURE] = sign(key, manifest_bytes)
        files[PUBLIC_KEY] = public_pem(key.public_key())
        sums += [f"{sha256_hex(files[name])}  {name}" for name in (SIGNATURE, PUBLIC_KEY)]
    files[MANIFEST_SUMS] = ("\n".join(sums) + "\n").encode()
    _write_zip(output, files)
    logger.info(
        "evidence package=%s runs=%s files=%d manifest_sha256=%s",
        output,
        [r.run.id for r in runs],
        len(files),
        sums[0][:64],
    )
    return PackageResult(output, sha256_hex(manifest_bytes), key_fingerprint, [r.run.id for r in runs], len(files))


def _write_zip(path: Path, files: Mapping[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    stamp = datetime.now(UTC).timetuple()[:6]
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise ReportError(f"evidence package {path} could not be written: {exc}", hint="check the output path") from exc
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
