"""The examples of docs/ledger.md, at its top and on witnessing, run as written."""

import re
from pathlib import Path

from gsomia.ledger.witness import Answer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_ledger_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [example] = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)[:1]
    namespace: dict[str, object] = {}
    exec(compile(example, str(DOCS), "exec"), namespace)
    assert namespace["position"] == 0
    assert (tmp_path / "ledger-demo.db").exists()


def test_the_witnessing_example_runs():
    witnessing = DOCS.read_text(encoding="utf-8").split("## Witnessing", 1)[1]
    [example] = re.findall(r"```python\n(.*?)```", witnessing, re.S)[:1]
    namespace: dict[str, object] = {}
    exec(compile(example, str(DOCS), "exec"), namespace)
    answer = namespace["answer"]
    assert isinstance(answer, Answer)
    assert namespace["cosigned"] == f"{namespace['note']}{answer.body}"
