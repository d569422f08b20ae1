"""The PDF report read back with pypdf: cover, contents, running headers, bookmarks, long sections."""

import io
import re

import pytest
from pypdf import PdfReader
from report.sample_runs import ACCOUNT, REGION, sample_runs

from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.report.html import sections
from auditor.report.model import ReportOptions, build_report_model
from auditor.report.pdf import render_model_pdf, write_pdf_report
from auditor.store.db import Store


@pytest.fixture(scope="module")
def document(sample_store):
    store, runs = sample_store
    model = build_report_model(store, runs.second)
    reader = PdfReader(io.BytesIO(render_model_pdf(model)))
    pages = [page.extract_text() for page in reader.pages]
    return model, reader, pages


def test_pdf_has_cover_with_estate_and_score(document):
    model, reader, pages = document
    cover = pages[0]
    assert "Amazon ECR compliance report" in cover.replace("\n", " ") or "AMAZON ECR COMPLIANCE REPORT" in cover
    assert "2 accounts, 2 regions" in cover
    assert f"{model.total.score:.1f}%" in cover
    assert "Period" in cover
    assert len(reader.pages) >= 8


def test_pdf_contents_page_numbers_point_to_sections(document):
    model, _, pages = document
    contents = pages[1]
    assert "Contents" in contents
    for _, title in sections(model, pdf=True):
        match = re.search(rf"{re.escape(title)}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert match, f"{title} missing from the contents"
        number = int(match.group(1))
        assert title in pages[number - 1], f"{title} is not on page {number}"


def test_pdf_bookmarks_name_every_section(document):
    model, reader, _ = document
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    for _, title in sections(model, pdf=True):
        assert title in top
    assert "Contents" in top


def test_pdf_pages_have_running_header_and_page_numbers(document):
    model, reader, pages = document
    total = len(reader.pages)
    for number, text in enumerate(pages[1:], start=2):
        assert f"Amazon ECR compliance report · run {model.run.id}" in text
        assert f"Page {number} of {total}" in text


def test_pdf_leaves_out_script_and_all_results(document):
    model, _, pages = document
    text = " ".join(pages)
    assert "All results" not in text
    assert "makeSortable" not in text


def _long_store(path, rows):
    """Sample runs plus ``rows`` failing results with row markers and long reasons."""
    store = Store.open(f"sqlite:///{path}")
    filler = "the repository policy grants access to a principal outside the organisation " * 3
    extra = [
        Result(
            "PERM-05",
            Area.PERM,
            Severity.HIGH,
            ResourceRef(ACCOUNT, REGION, ResourceType.REPOSITORY, f"team/app-{i:03d}"),
            Status.FAIL,
            f"ROWSTART{i:03d} {filler} ROWEND{i:03d}",
        )
        for i in range(rows)
    ]
    runs = sample_runs(store, extra)
    return store, runs


def test_pdf_long_section_truncated(tmp_path):
    store, runs = _long_store(tmp_path / "long.db", 70)
    path = write_pdf_report(store, runs.second, tmp_path, ReportOptions(pdf_max_rows=50))
    store.close()
    assert path.name == f"ecr-audit-run-{runs.second}.pdf"
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]
    text = " ".join(pages)
    assert "Failures and errors by check, account and region" in text
    assert "more results of this check are not printed here" in text
    assert "--format csv" in text
    assert "ROWSTART069" not in text
    printed = [i for i in range(70) if f"ROWSTART{i:03d}" in text]
    assert len(printed) >= 40
    # No row is split across pages: each printed row starts and ends on the same page.
    for i in printed:
        start = [n for n, page in enumerate(pages) if f"ROWSTART{i:03d}" in page]
        end = [n for n, page in enumerate(pages) if f"ROWEND{i:03d}" in page]
        assert start == end, f"row {i} starts on page {start} and ends on page {end}"
