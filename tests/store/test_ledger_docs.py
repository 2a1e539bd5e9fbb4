"""The example at the top of docs/ledger.md runs as written."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_ledger_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [example] = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)[:1]
    namespace: dict[str, object] = {}
    exec(compile(example, str(DOCS), "exec"), namespace)
    assert namespace["position"] == 0
    assert (tmp_path / "ledger-demo.db").exists()
