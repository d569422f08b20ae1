"""The container image without a Docker engine: hadolint on the Dockerfile, and its Python
install steps (scripts/container-install) run into a fresh virtual environment."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
VENV_BIN = Path(sys.executable).parent


def build_stage() -> list[list[str]]:
    """Return the instructions of the Dockerfile's first stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages = re.split(r"^FROM ", text, flags=re.M)
    return [shlex.split(line) for line in stages[1].splitlines()[1:] if line.strip() and not line.startswith("#")]


def test_dockerfile_lints_clean():
    completed = subprocess.run(
        [str(VENV_BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_image_runs_scheduler_as_non_root():
    text = DOCKERFILE.read_text()
    final = text[text.rindex("\nFROM ") :]
    assert 'ENTRYPOINT ["ecr-auditor"]' in final
    assert 'CMD ["schedule"]' in final
    assert re.search(r"^USER 10001:10001$", final, flags=re.M)
    assert "libpango-1.0-0" in final
    assert "libpangoft2-1.0-0" in final
    assert final.startswith("\nFROM python:3.11-slim")


# pip installs every locked package from the package indexes it is configured with, as the
# image build does: about a minute with a warm pip cache. The limit leaves room for a cold one.
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_install_steps_build_working_environment(tmp_path):
    instructions = build_stage()
    runs = [" ".join(i[1:]) for i in instructions if i[0] == "RUN"]
    assert runs == ["python -m venv /opt/ecr-auditor && scripts/container-install /opt/ecr-auditor /src"]

    # Lay out the build context as the stage's COPY instructions do.
    source = tmp_path / "src"
    source.mkdir()
    for instruction in instructions:
        if instruction[0] != "COPY":
            continue
        *items, destination = instruction[1:]
        for item in items:
            target = source / destination / Path(item).name if destination.endswith("/") else source / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / item).is_dir():
                shutil.copytree(ROOT / item, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(ROOT / item, target)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("VIRTUAL_ENV")}
    installed = subprocess.run(
        ["sh", str(source / "scripts" / "container-install"), str(venv), str(source)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=840,
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    binary = venv / "bin" / "ecr-auditor"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == "ecr-auditor 0.1.0"
    # Templates and migrations come from the installed wheel, not from this checkout.
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "from auditor.resources import templates_dir, migrations_dir; import auditor.deliver as d; "
         "print(templates_dir()); print(migrations_dir()); print(d.__file__)"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    templates, migrations, deliver = located.stdout.split()
    assert deliver.startswith(str(venv))
    assert (Path(deliver).parent / "templates" / "summary.html.j2").exists()
    assert templates.startswith(str(venv))
    assert (Path(templates) / "_waivers.html.j2").exists()
    assert migrations.startswith(str(venv))
    assert (Path(migrations) / "versions").is_dir()
    config = tmp_path / "ecr-auditor.toml"
    assert subprocess.run([str(binary), "init", "-o", str(config)], timeout=60).returncode == 0
    validated = subprocess.run(
        [str(binary), "--config", str(config), "config", "validate"], capture_output=True, text=True, timeout=60
    )
    assert validated.returncode == 0, validated.stderr
