"""The demo end to end: emulated estate on 127.0.0.1, audit, report, history."""

import re
from html.parser import HTMLParser

from auditor.cli import main
from auditor.store.db import Store

FEATURE_ROWS = ("Registry policy", "Replication", "Scanning", "Signing", "Pull through cache",
                "Creation templates", "Repositories")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def test_demo_writes_report_and_keeps_history(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path), "--repositories", "26"]) == 0
    report = capsys.readouterr().out.strip().splitlines()[-1]
    assert report == str(tmp_path / "ecr-audit-run-1.html")
    html = (tmp_path / "ecr-audit-run-1.html").read_text()
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.text)
    for check_id in ("PERM-01", "PERM-04", "REPO-01", "REPO-02", "REPO-03", "REPO-04", "REPO-05", "SCAN-01", "SCAN-02"):
        assert check_id in text
    for feature in FEATURE_ROWS:
        assert feature in text
    assert "Account setting REGISTRY_POLICY_SCOPE" in text
    assert re.search(r"Score\s+\d+\.\d%", text)
    assert "coverage" in text
    # Two accounts, two regions, at least 100 repositories.
    store = Store.open(f"sqlite:///{tmp_path / 'ecr-auditor-demo.db'}")
    inventory = store.load_inventory(1)
    assert len({r.account for r in inventory.registries}) >= 2
    assert len({r.region for r in inventory.registries}) >= 2
    assert sum(len(r.repositories()) for r in inventory.registries) >= 100
    store.close()

    # A second demo into the same folder adds a run to the same history.
    assert main(["demo", "--output", str(tmp_path), "--repositories", "26"]) == 0
    assert (tmp_path / "ecr-audit-run-2.html").exists()
    store = Store.open(f"sqlite:///{tmp_path / 'ecr-auditor-demo.db'}")
    assert [r.status for r in store.runs()] == ["complete", "complete"]
    store.close()


def test_demo_escapes_values_from_aws(tmp_path, capsys):
    # The demo estate holds policy text and names from AWS; nothing renders as markup.
    assert main(["demo", "--output", str(tmp_path), "--repositories", "26"]) == 0
    html = (tmp_path / "ecr-audit-run-1.html").read_text()
    parser = _Text()
    parser.feed(html)
    assert parser.scripts == 0
