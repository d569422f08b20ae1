"""The Markdown tables of a benchmark: side by side per size, the targets, ecr-auditor's storage and reports."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# Memory is shown in MB of 10^6 bytes; ru_maxrss and /proc report KiB.
_KIB_PER_MB = 1_000_000 / 1024
# The calls ecr-auditor makes once per repository or once per image whose findings it reads.
# Every other call is batched (up to 25 or 10 names) or made once per registry.
PER_REPOSITORY_OPERATIONS = (
    "ecr:GetRepositoryPolicy",
    "ecr:GetLifecyclePolicy",
    "ecr:ListTagsForResource",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "ecr:DescribeImageSigningStatus",
)


def _mb(kib: float | None) -> float | None:
    return None if kib is None else kib / _KIB_PER_MB


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _peak_kib(run: dict[str, Any]) -> int:
    return max(int(run["maxrss_kib"]), int(run["tree_peak_kib"]))


def _auditor_median(size: dict[str, Any], pick: Callable[[dict[str, Any]], float | None]) -> float | None:
    repeats: list[dict[str, Any]] = size["auditor"]
    return _median(pick(repeat) for repeat in repeats if "run_1" in repeat)


def _prowler_median(size: dict[str, Any], pick: Callable[[dict[str, Any]], float | None]) -> float | None:
    repeats: list[dict[str, Any]] = size["prowler"]
    return _median(pick(repeat["run"]) for repeat in repeats if repeat["run"]["exit_code"] == 0)


def summarise(size: dict[str, Any]) -> dict[str, float | None]:
    """Return the medians over a size's repeats that the tables show."""

    def first_run(key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda repeat: repeat["run_1"].get(key)

    def growth(repeat: dict[str, Any]) -> float | None:
        before, after = repeat.get("database_after_run_1"), repeat.get("database_after_run_2")
        if not before or not after or not before["payload_bytes"]:
            return None
        first: float = before["payload_bytes"]
        second: float = after["payload_bytes"]
        return 100.0 * (second - first) / first

    def database_growth(repeat: dict[str, Any]) -> float | None:
        before, after = repeat.get("database_after_run_1"), repeat.get("database_after_run_2")
        if not before or not after:
            return None
        grown: float = after["file_bytes"] - before["file_bytes"]
        return grown / 1e6

    def per_repository(repeat: dict[str, Any]) -> float | None:
        counts: dict[str, int] = repeat["run_1"]["requests"]["by_operation"]
        return float(sum(counts.get(name, 0) for name in PER_REPOSITORY_OPERATIONS))

    def budget(repeat: dict[str, Any]) -> float | None:
        images = repeat.get("images")
        if not images:
            return None
        return float(5 * size["shape"]["repositories"] + images["further_images_in_use"])

    def report(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
        def pick(repeat: dict[str, Any]) -> float | None:
            result = repeat.get(f"report_{name}")
            if not result or result["exit_code"] != 0:
                return None
            return float(_peak_kib(result)) if key == "peak" else result[key]

        return pick

    return {
        "auditor_wall": _auditor_median(size, first_run("wall_s")),
        "auditor_peak_mb": _mb(_auditor_median(size, lambda r: _peak_kib(r["run_1"]))),
        "auditor_requests": _auditor_median(size, lambda r: r["run_1"]["requests"]["total"]),
        "auditor_per_repository_requests": _auditor_median(size, per_repository),
        "auditor_first_request": _auditor_median(size, first_run("first_request_s")),
        "auditor_second_wall": _auditor_median(size, lambda r: r.get("run_2", {}).get("wall_s")),
        "budget": _auditor_median(size, budget),
        "growth_pct": _auditor_median(size, growth),
        "db_mb": _auditor_median(size, lambda r: r.get("database_after_run_1", {}).get("file_bytes", 0) / 1e6),
        "db_growth_mb": _auditor_median(size, database_growth),
        "html_wall": _auditor_median(size, report("html", "wall_s")),
        "html_peak_mb": _mb(_auditor_median(size, report("html", "peak"))),
        "pdf_wall": _auditor_median(size, report("pdf", "wall_s")),
        "pdf_peak_mb": _mb(_auditor_median(size, report("pdf", "peak"))),
        "prowler_wall": _prowler_median(size, lambda r: r["wall_s"]),
        "prowler_peak_mb": _mb(_prowler_median(size, lambda r: float(_peak_kib(r)))),
        "prowler_requests": _prowler_median(size, lambda r: r["requests"]["total"]),
        "prowler_first_request": _prowler_median(size, lambda r: r["first_request_s"]),
    }


def side_by_side(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| repositories | runs | tool | wall time (s) | requests | requests per repository | peak memory (MB) "
        "| launch to first request (s) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        total = size["shape"]["repositories"]
        s = summarise(size)
        for tool, prefix in (("ecr-auditor", "auditor"), ("Prowler", "prowler")):
            requests = s[f"{prefix}_requests"]
            lines.append(
                f"| {total:,} | {size['repeats']} | {tool} | {_fmt(s[f'{prefix}_wall'])} | {_fmt(requests, 0)} "
                f"| {_fmt(_ratio(requests, total), 2)} | {_fmt(s[f'{prefix}_peak_mb'], 0)} "
                f"| {_fmt(s[f'{prefix}_first_request'], 2)} |"
            )
    return lines


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "n/a"
    return "met" if ok else "**missed**"


def targets(sizes: list[dict[str, Any]]) -> list[str]:
    by_total = {size["shape"]["repositories"]: summarise(size) for size in sizes}
    lines = ["| target | size | measured | verdict |", "|---|---:|---|---|"]

    def row(target: str, total: int, measured: str, ok: bool | None) -> None:
        lines.append(f"| {target} | {total:,} | {measured} | {_verdict(ok)} |")

    if 1000 in by_total:
        s = by_total[1000]
        wall = _ratio(s["auditor_wall"], s["prowler_wall"])
        peak = _ratio(s["auditor_peak_mb"], s["prowler_peak_mb"])
        row("wall time at most 1/5 of Prowler's", 1000, f"ratio {_fmt(wall, 3)}", None if wall is None else wall <= 0.2)
        row(
            "peak memory at most 1/2 of Prowler's",
            1000,
            f"ratio {_fmt(peak, 3)}",
            None if peak is None else peak <= 0.5,
        )
        requests, budget = s["auditor_requests"], s["budget"]
        ok = None if requests is None or budget is None else requests <= budget
        row("requests at most 5 per repository + 1 per further image in use", 1000,
            f"{_fmt(requests, 0)} of {_fmt(budget, 0)}", ok)  # fmt: skip
        own = s["auditor_per_repository_requests"]
        ok = None if own is None or budget is None else own <= budget
        row("the same, counting only per-repository and per-image calls", 1000,
            f"{_fmt(own, 0)} of {_fmt(budget, 0)}", ok)  # fmt: skip
    if 10000 in by_total:
        s = by_total[10000]
        peak = s["auditor_peak_mb"]
        row("peak memory under 300 MB", 10000, f"{_fmt(peak, 0)} MB", None if peak is None else peak < 300)
        wall, memory = s["pdf_wall"], s["pdf_peak_mb"]
        ok = None if wall is None or memory is None else wall < 20 and memory < 500
        row("PDF under 20 s and 500 MB", 10000, f"{_fmt(wall)} s, {_fmt(memory, 0)} MB", ok)
    for total, s in sorted(by_total.items()):
        first = s["auditor_first_request"]
        row("launch to first API call under 1 s", total, f"{_fmt(first, 2)} s", None if first is None else first < 1.0)
    for total, s in sorted(by_total.items()):
        growth = s["growth_pct"]
        row("second run grows stored payloads by under 5%", total, f"{_fmt(growth, 2)}%",
            None if growth is None else growth < 5.0)  # fmt: skip
    return lines


def storage_and_reports(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| repositories | database after run 1 (MB) | payload growth, run 2 | database growth, run 2 (MB) "
        "| rows added by run 2 | run 2 wall (s) | HTML: s / MB peak / MB file | PDF: s / MB peak / MB file |",
        "|---:|---:|---:|---:|---|---:|---|---|",
    ]
    for size in sizes:
        s = summarise(size)
        repeat = next((r for r in size["auditor"] if "database_after_run_2" in r), None)
        added = ""
        if repeat is not None:
            before, after = repeat["database_after_run_1"]["rows"], repeat["database_after_run_2"]["rows"]
            added = ", ".join(f"{table} {after[table] - before[table]:,}" for table in after)
        files = {name: _report_bytes(size, name) for name in ("html", "pdf")}
        lines.append(
            f"| {size['shape']['repositories']:,} | {_fmt(s['db_mb'])} | {_fmt(s['growth_pct'], 2)}% "
            f"| {_fmt(s['db_growth_mb'])} | {added} "
            f"| {_fmt(s['auditor_second_wall'])} "
            f"| {_fmt(s['html_wall'])} / {_fmt(s['html_peak_mb'], 0)} / {_fmt(files['html'])} "
            f"| {_report_cell(size, 'pdf', s, files['pdf'])} |"
        )
    return lines


def _report_bytes(size: dict[str, Any], name: str) -> float | None:
    return _median(
        r[f"report_{name}"]["bytes"] / 1e6
        for r in size["auditor"]
        if r.get(f"report_{name}") and r[f"report_{name}"]["bytes"] is not None
    )


def _report_cell(size: dict[str, Any], name: str, s: dict[str, float | None], file_mb: float | None) -> str:
    results = [r[f"report_{name}"] for r in size["auditor"] if r.get(f"report_{name}")]
    if not results:
        return "not run"
    failed = [r for r in results if r["exit_code"] != 0]
    if failed:
        return f"failed (exit {failed[0]['exit_code']})"
    return f"{_fmt(s[f'{name}_wall'])} / {_fmt(s[f'{name}_peak_mb'], 0)} / {_fmt(file_mb)}"


def operations(size: dict[str, Any]) -> list[str]:
    """Return the first repeat's requests by operation, both tools side by side."""
    auditor: dict[str, int] = next(
        (r["run_1"]["requests"]["by_operation"] for r in size["auditor"] if "run_1" in r), {}
    )
    prowler: dict[str, int] = size["prowler"][0]["run"]["requests"]["by_operation"] if size["prowler"] else {}
    lines = ["| operation | ecr-auditor | Prowler |", "|---|---:|---:|"]
    for name in sorted(set(auditor) | set(prowler)):
        lines.append(f"| {name} | {auditor.get(name, 0):,} | {prowler.get(name, 0):,} |")
    return lines


def write_tables(results: dict[str, Any], path: Path) -> None:
    """Write every table of the results to a Markdown file."""
    sizes = results["sizes"]
    machine = results["machine"]
    parts = [
        f"Command: `{results['command']}`, started {results['started_at']}. "
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB memory, "
        f"Python {machine['python']}, Linux {machine['kernel']}. Prowler {results['prowler_version']}. "
        "Medians over the runs of each size; memory in MB of 10^6 bytes.",
        "",
        "### Side by side",
        "",
        *side_by_side(sizes),
        "",
        "### Targets",
        "",
        *targets(sizes),
        "",
        "### ecr-auditor: database and reports",
        "",
        *storage_and_reports(sizes),
    ]
    for size in sizes:
        parts += ["", f"### Requests by operation, {size['shape']['repositories']:,} repositories (first run)", ""]
        parts += operations(size)
    path.write_text("\n".join(parts) + "\n")
