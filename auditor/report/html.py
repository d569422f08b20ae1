"""HTML rendering of the report model with Jinja2 (autoescaped: every value from AWS
is treated as text)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from auditor import __version__
from auditor.checks.model import Severity, Status
from auditor.errors import ReportError
from auditor.report.model import ReportModel, build_report_model
from auditor.resources import templates_dir
from auditor.store.db import Store


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(("html", "j2", "xml"), default_for_string=True),
        # AWS leaves optional members out of its answers, so a missing key renders empty.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(Status=Status, Severity=Severity, tool_version=__version__)
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v:.1f}%"
    return env


def render_html(model: ReportModel) -> str:
    return environment().get_template("report.html.j2").render(report=model)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write through a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        # mkstemp creates the file readable by its owner only; give it the usual
        # permissions that the umask allows, as open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_html_report(store: Store, run_id: int, directory: Path) -> Path:
    """Render the run's report into ``directory/ecr-audit-run-<id>.html`` and return the path."""
    model = build_report_model(store, run_id)
    path = directory / f"ecr-audit-run-{run_id}.html"
    try:
        write_atomically(path, render_html(model))
    except OSError as exc:
        raise ReportError(f"report {path} could not be written: {exc}", hint="check the output directory") from exc
    return path
