"""A throwaway PostgreSQL cluster on a free 127.0.0.1 port, which a test may stop and restart.

The shared server on 5432 is never touched. PostgreSQL refuses to run as root, so
as root the cluster runs as the ``postgres`` user through ``runuser``, with its
data directory under /tmp owned by that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Cluster:
    def __init__(self, directory: Path, port: int, prefix: list[str], pg_ctl: str) -> None:
        self.directory = directory
        self.port = port
        self._prefix = prefix
        self._pg_ctl = pg_ctl

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
        command = [*self._prefix, self._pg_ctl, "-D", str(self.directory / "data"), "-w", "-t", "30", *args]
        if args[0] in ("start", "restart"):
            command += ["-o", options, "-l", str(self.directory / "server.log")]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        # "fast" ends every session at once, as a crash or an operator's restart does for clients.
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Create, start and finally remove a cluster; skip the test when PostgreSQL is not installed."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    directory = Path(tempfile.mkdtemp(prefix="ecr-auditor-pg-", dir="/tmp"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(directory)
            pytest.skip("running as root and no postgres user exists to run a cluster")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*prefix, initdb, "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster = Cluster(directory, _free_port(), prefix, pg_ctl)
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(directory / "data"), "stop", "-m", "immediate"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(directory, ignore_errors=True)
