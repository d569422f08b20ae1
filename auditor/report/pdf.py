"""PDF rendering of the report with WeasyPrint, from the same templates as the HTML.

The print stylesheet (reports/templates/print.css) gives the cover, the contents
with page numbers, running headers, page numbers and bookmarks. Every resource is
inline (styles and the SVG chart), so WeasyPrint fetches nothing.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from auditor.errors import ReportError
from auditor.report.html import render_html, write_report_file
from auditor.report.model import ReportModel, ReportOptions, build_report_model
from auditor.store.db import Store

logger = logging.getLogger(__name__)


def _reject_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    # The report embeds everything it shows. So a URL in it (there should be none) must
    # not make WeasyPrint open a connection or read a local file.
    raise ReportError(f"the PDF report tried to load {url!r}; reports must be self-contained")


def render_model_pdf(model: ReportModel) -> bytes:
    """Render a built report model as PDF bytes."""
    # Imported here: WeasyPrint loads Pango and fonts on import, which the CLI's
    # other commands do not need.
    from weasyprint import HTML

    started = time.monotonic()
    html = render_html(model, pdf=True)
    data: bytes | None = HTML(string=html, url_fetcher=_reject_fetch).write_pdf()
    if data is None:  # pragma: no cover - write_pdf returns bytes when given no target
        raise ReportError(f"WeasyPrint returned no PDF for run {model.run.id}")
    logger.info("run=%d pdf bytes=%d seconds=%.1f", model.run.id, len(data), time.monotonic() - started)
    return data


def render_pdf(store: Store, run_id: int, options: ReportOptions | None = None) -> bytes:
    """Return the run's report as PDF bytes."""
    return render_model_pdf(build_report_model(store, run_id, options=options))


def write_pdf_report(store: Store, run_id: int, directory: Path, options: ReportOptions | None = None) -> Path:
    """Render the run's report into ``directory/ecr-audit-run-<id>.pdf`` and return the path."""
    return write_report_file(directory / f"ecr-audit-run-{run_id}.pdf", render_pdf(store, run_id, options))
