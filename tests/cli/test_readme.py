"""The README's examples run as written, in order, on a fresh registry."""

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "gsomia":
                commands.append(words[1:])
    return commands


def test_the_readme_examples_succeed(gsomia):
    commands = readme_commands()
    assert len(commands) >= 10
    for args in commands:
        result = gsomia(*args)
        assert result.code == 0, (args, result.stderr, result.stdout)
