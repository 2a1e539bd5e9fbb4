"""The README's examples run as written, in order, on a fresh registry."""

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[list[str]]:
    """The `gsomia ...` and `export NAME=value` lines of the README's shell blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in ("gsomia", "export"):
                commands.append(words)
    return commands


def test_the_readme_examples_succeed(gsomia, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_bytes(README.read_bytes())
    commands = readme_commands()
    assert len(commands) >= 10
    for words in commands:
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        result = gsomia(*words[1:])
        assert result.code == 0, (words, result.stderr, result.stdout)
