"""The wheel carries the report templates and the migrations, not only the source tree."""

import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_templates_and_migrations(tmp_path):
    builder = WheelBuilder(str(ROOT))
    [wheel] = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "auditor/_templates/report.html.j2" in names
    assert "auditor/_templates/report.css" in names
    assert "auditor/_migrations/env.py" in names
    assert any(n.startswith("auditor/_migrations/versions/0001_") for n in names)
    assert "auditor/cli.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "ecr-auditor = auditor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
