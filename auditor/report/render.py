"""Render a stored run in any export format, as bytes ready to be written."""

from __future__ import annotations

from auditor.report.exports import ExportFormat, export_asff, export_csv, export_json, export_ocsf, first_failed_ids
from auditor.report.history import first_failed
from auditor.report.html import render_html
from auditor.report.model import ReportModel, ReportOptions, build_report_model
from auditor.report.pdf import render_model_pdf
from auditor.store.db import Store


def render_model(store: Store, model: ReportModel, fmt: ExportFormat) -> bytes:
    if fmt is ExportFormat.HTML:
        return render_html(model).encode()
    if fmt is ExportFormat.PDF:
        return render_model_pdf(model)
    if fmt is ExportFormat.JSON:
        return export_json(store, model)
    if fmt is ExportFormat.CSV:
        return export_csv(model)
    since = first_failed(store, model.run.id, first_failed_ids(model))
    if fmt is ExportFormat.OCSF:
        return export_ocsf(model, since)
    return export_asff(model, since)


def render_run(store: Store, run_id: int, fmt: ExportFormat, options: ReportOptions | None = None) -> bytes:
    return render_model(store, build_report_model(store, run_id, options=options), fmt)
