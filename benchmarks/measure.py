"""Measuring one process: wall time, peak memory of its process tree, and the emulator's request counts."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

logger = logging.getLogger(__name__)

# How often the sampler adds up the resident memory of a process tree, in seconds.
_SAMPLE_INTERVAL_S = 0.05
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class ProcessResult:
    """Outcome of one measured command: exit status, wall time, peak memory and, if recorded, the requests it sent."""

    command: list[str]
    exit_code: int
    # Wall-clock time of the launch, in seconds since the Unix epoch, to compare with the emulator's request times.
    launched_at: float
    wall_s: float
    # ru_maxrss from wait4: the peak resident set of the largest process of the tree, in KiB.
    maxrss_kib: int
    # The peak of the tree's summed resident memory, sampled every 50 ms, in KiB.
    tree_peak_kib: int
    timed_out: bool = False
    stderr_tail: str = ""
    requests: dict[str, Any] = field(default_factory=dict)
    # Seconds from launching the process to the first request that reached the emulator.
    first_request_s: float | None = None

    @property
    def peak_mib(self) -> float:
        """Peak memory in MiB: the larger of the two measures, so neither can hide a spike the other saw."""
        return max(self.maxrss_kib, self.tree_peak_kib) / 1024.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "wall_s": round(self.wall_s, 3),
            "maxrss_kib": self.maxrss_kib,
            "tree_peak_kib": self.tree_peak_kib,
            "peak_mib": round(self.peak_mib, 1),
            "timed_out": self.timed_out,
            "stderr_tail": self.stderr_tail,
            "requests": self.requests,
            "first_request_s": None if self.first_request_s is None else round(self.first_request_s, 3),
        }


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.extend(int(child) for child in text.split())
    return found


def _rss_kib(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[1]) * _PAGE_SIZE // 1024


def tree_rss_kib(root: int) -> int:
    """Return the summed resident memory of a process and all its descendants, in KiB."""
    total = 0
    pending = [root]
    seen: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        pending.extend(_children(pid))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(name=f"rss-{root}", daemon=True)
        self.root = root
        self.peak_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))
            self._stop_event.wait(_SAMPLE_INTERVAL_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout_s: float,
) -> ProcessResult:
    """Run a command to its end and return its wall time and peak memory.

    Standard output and error go to ``log_path``. A command still running after
    ``timeout_s`` is killed, with its process group, and reported as timed out.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        launched_at = time.time()
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - commands built by this benchmark
            list(command), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = _TreeSampler(process.pid)
        sampler.start()
        timed_out = False
        deadline = started + timeout_s
        try:
            # Polled every 20 ms, which bounds the error of the wall time.
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid == process.pid:
                    break
                if time.monotonic() > deadline:
                    logger.error("pid=%d timed out after %.0f s, killing its process group", process.pid, timeout_s)
                    os.killpg(process.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(process.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.02)
        except BaseException:
            # An interrupted benchmark leaves no measured tool running behind it.
            logger.error("benchmark interrupted, killing pid=%d and its process group", process.pid)
            os.killpg(process.pid, signal.SIGKILL)
            os.wait4(process.pid, 0)
            sampler.stop()
            raise
        wall = time.monotonic() - started
        # The process is reaped, so Popen must not wait for it again.
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    tail = log_path.read_bytes()[-2000:].decode("utf-8", errors="replace")
    return ProcessResult(
        command=list(command),
        exit_code=process.returncode,
        launched_at=launched_at,
        wall_s=wall,
        maxrss_kib=usage.ru_maxrss,
        tree_peak_kib=sampler.peak_kib,
        timed_out=timed_out,
        stderr_tail=tail if process.returncode != 0 or timed_out else "",
    )


class EmulatorControl:
    """The emulator's control endpoint: request counts by (service, operation)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _call(self, method: str, name: str) -> dict[str, Any]:
        request = Request(f"{self.endpoint}/_emulator/{name}", method=method)
        with urlopen(request, timeout=30) as response:  # noqa: S310 - the emulator's loopback URL
            document: dict[str, Any] = json.loads(response.read())
        return document

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")


def with_requests(result: ProcessResult, stats: Mapping[str, Any]) -> ProcessResult:
    """Attach the emulator's request counts to a result, and the time from launch to the first request."""
    result.requests = {
        "total": stats["total"],
        "by_operation": {f"{o['service']}:{o['operation']}": o["count"] for o in stats["operations"]},
    }
    first = stats.get("first_request_at")
    result.first_request_s = None if first is None else float(first) - result.launched_at
    return result
