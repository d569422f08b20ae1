"""HTML rendering of the report model with Jinja2 (autoescaped: every value from AWS
is treated as text).

The same templates render the PDF: ``pdf=True`` adds the cover and the print
stylesheet, leaves out the script and the list of every result, and limits long
sections to ``ReportOptions.pdf_max_rows`` rows.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape

from auditor import __version__
from auditor.checks.model import Severity, Status
from auditor.errors import ReportError
from auditor.report.drift import ChangeKind
from auditor.report.model import ReportModel, ReportOptions, build_report_model
from auditor.resources import templates_dir
from auditor.store.db import Store

T = TypeVar("T")

# Maximum length of a before or after value in the PDF's drift table; the HTML shows the whole value.
PDF_VALUE_CHARS = 600
# Feature columns of the registry overview table, in the order of the model's features.
FEATURE_COLUMNS = ("Registry policy", "Replication", "Scanning", "Signing", "Pull through cache", "Creation templates")
# The PDF prints each registry's settings only while they fit: about 20 rows per registry.
ROWS_PER_REGISTRY = 20


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _utc(value: datetime | None) -> str:
    if value is None:
        return "–"
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _css_string(value: object) -> str:
    """Escape text for a double-quoted CSS string inside a <style> element."""
    text = str(value)
    for char in ("\\", '"', "<", ">", "\n", "\r"):
        text = text.replace(char, f"\\{ord(char):x} ")
    return text


@cache
def table_script() -> str:
    return (templates_dir() / "table.js").read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """Return the Content-Security-Policy source that allows exactly this inline script."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"sha256-{digest}"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(("html", "j2", "xml"), default_for_string=True),
        # AWS leaves optional members out of its responses, so a missing key renders empty.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(Status=Status, Severity=Severity, ChangeKind=ChangeKind, tool_version=__version__)
    env.filters["pct"] = _pct
    env.filters["utc"] = _utc
    env.filters["css_string"] = _css_string
    return env


def _capper(limit: int | None) -> Callable[[Sequence[T]], tuple[Sequence[T], int]]:
    def cap(rows: Sequence[T]) -> tuple[Sequence[T], int]:
        if limit is None or len(rows) <= limit:
            return rows, 0
        return rows[:limit], len(rows) - limit

    return cap


def _clipper(limit: int | None) -> Callable[[str], str]:
    def clip(text: str) -> str:
        if limit is None or len(text) <= limit:
            return text
        return text[:limit] + f"… ({len(text) - limit:,} more characters)"

    return clip


def sections(model: ReportModel, pdf: bool) -> list[tuple[str, str]]:
    """Return the report's sections as (anchor, title) in order, as the contents page lists them."""
    found = [("summary", "Executive summary"), ("trend", "Score trend"), ("drift", "Configuration drift")]
    found += [(f"area-{s.area.value}", s.area.label) for s in model.areas]
    found += [
        ("vulnerabilities", "Image findings"),
        ("waivers", "Waivers"),
        ("frameworks", "Framework matrix"),
        ("inventory", "Collected settings"),
        ("scope", "Scope and collection errors"),
    ]
    if not pdf:
        found.append(("results", "All results"))
    found.append(("run", "Run metadata"))
    return found


def render_html(model: ReportModel, *, pdf: bool = False) -> str:
    return "".join(render_html_parts(model, pdf=pdf))


def render_html_parts(model: ReportModel, *, pdf: bool = False) -> Iterator[str]:
    """Render the report piece by piece, so a large one is written without being held whole."""
    limit = model.options.pdf_max_rows if pdf else model.options.html_max_rows
    script = table_script()
    context: dict[str, Any] = {
        "report": model,
        "pdf": pdf,
        "max_rows": limit,
        "cap": _capper(limit),
        "sections": sections(model, pdf),
        "feature_columns": FEATURE_COLUMNS,
        "print_registry_details": not pdf or len(model.registries) * ROWS_PER_REGISTRY <= limit,
        "script": script,
        "script_hash": script_hash(script),
    }
    env = environment()
    env.filters["clip"] = _clipper(PDF_VALUE_CHARS if pdf else None)
    return env.get_template("report.html.j2").generate(context)


def write_atomically(path: Path, content: str | bytes | Iterable[str]) -> None:
    """Write through a temporary file and rename, so a reader never sees half a report.

    ``content`` may be an iterable of text pieces, written as they come.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pieces: Iterable[str | bytes] = [content] if isinstance(content, (str, bytes)) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as output:
            for piece in pieces:
                output.write(piece.encode() if isinstance(piece, str) else piece)
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


def write_report_file(path: Path, content: str | bytes | Iterable[str]) -> Path:
    try:
        write_atomically(path, content)
    except OSError as exc:
        raise ReportError(f"report {path} could not be written: {exc}", hint="check the output directory") from exc
    return path


def write_html_report(store: Store, run_id: int, directory: Path, options: ReportOptions | None = None) -> Path:
    """Render the run's report into ``directory/ecr-audit-run-<id>.html`` and return the path."""
    model = build_report_model(store, run_id, options=options)
    return write_report_file(directory / f"ecr-audit-run-{run_id}.html", render_html_parts(model))
