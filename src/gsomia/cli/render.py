"""How the command line shows the node's answers: JSON for machines, lines and tables for
people.

User-supplied text (names, titles, references, the words of an error) is printed with its
control characters neutralised, so that no title can move the cursor, recolour the terminal
or reorder text (bidirectional overrides). Piped output is never cut to a terminal's width.
A reader that closes the pipe early (`| head -1`) only stops the output: the command still
finishes and exits as it would have.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from gsomia.node.schemas import (
        AccessDecisionView,
        DecisionRecordView,
        DecisionView,
        Model,
    )

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PIPED_WIDTH = 10_000
"""The width tables get when the output is not a terminal: wide enough never to cut."""


def safe(value: object) -> str:
    """Text as it may reach a terminal: control and bidirectional-override characters shown
    as escapes (`\\x1b`), tabs and newlines as spaces."""
    text = "" if value is None else str(value)
    text = text.replace("\t", " ").replace("\n", " ")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class _PipeSafe:
    """Standard output that stops writing, silently, once its reader has gone."""

    def __init__(self) -> None:
        self.closed = False

    @property
    def _stream(self) -> TextIO:
        return sys.stdout  # looked up at each write: tests and callers may replace it

    def write(self, text: str) -> int:
        if not self.closed:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self.closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        # Further writes (and the interpreter's own flush at exit) go nowhere.
        self.closed = True
        try:
            target = self._stream.fileno()
        except (OSError, ValueError, AttributeError):
            return  # not a real file descriptor: nothing will flush into a closed pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, target)
        os.close(devnull)

    def isatty(self) -> bool:
        return not self.closed and self._stream.isatty()

    def binary(self) -> Any:
        """The underlying binary stream, for content written to standard output."""
        return _BinaryPipeSafe(self)


class _BinaryPipeSafe:
    def __init__(self, text: _PipeSafe) -> None:
        self._text = text

    def write(self, data: bytes) -> int:
        if not self._text.closed:
            try:
                self._text._stream.buffer.write(data)
            except BrokenPipeError:
                self._text._close()
        return len(data)

    def flush(self) -> None:
        self._text.flush()


_stdout = _PipeSafe()


def stdout_binary() -> Any:
    """Standard output for bytes (`-o -`), safe against an early-closing reader."""
    return _stdout.binary()


def _console() -> Console:
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(
        file=_stdout,  # type: ignore[arg-type]
        highlight=False,
        soft_wrap=True,
        markup=False,
        emoji=False,
        width=None if terminal else PIPED_WIDTH,
        force_terminal=terminal,
    )


def error_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def say(text: str) -> None:
    """One line for people (its parts already made safe by the caller where user-supplied)."""
    _stdout.write(text + "\n")
    _stdout.flush()


def note(text: str) -> None:
    """A line for people on standard error (when standard output carries content)."""
    with contextlib.suppress(BrokenPipeError):
        sys.stderr.write(safe(text) + "\n")


def json_out(data: Any) -> None:
    _stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    _stdout.flush()


def model(view: Model | Sequence[Model]) -> None:
    """A model (or a list of them) as JSON."""
    if isinstance(view, Sequence):
        json_out([item.to_json() for item in view])
    else:
        json_out(view.to_json())


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table

    shown = Table(title=safe(title) if title else None, title_justify="left")
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*(safe(cell) for cell in row))
    _console().print(shown)


def fields(values: dict[str, Any], indent: str = "  ") -> None:
    """`key: value` lines; nested records indented beneath their key."""
    for key, value in values.items():
        if isinstance(value, dict):
            say(f"{indent}{key}:")
            fields(value, indent + "  ")
        elif isinstance(value, list):
            say(f"{indent}{key}: {', '.join(safe(v) for v in value) if value else '—'}")
        else:
            say(f"{indent}{key}: {'—' if value is None else safe(value)}")


def decision(view: DecisionView | AccessDecisionView | DecisionRecordView) -> None:
    """A decision: the verdict, the recipient's marking, and every reason with its article."""
    verdict = "ALLOWED" if view.allowed else "DENIED"
    extra = ""
    recipient_marking = getattr(view, "recipient_marking", None)
    if recipient_marking:
        extra = f" — recipient marks it {recipient_marking} ({getattr(view, 'equivalent', '')})"
    say(f"{verdict}{extra}")
    table(
        None,
        ["reason", "agreement", "article", "explanation"],
        [[r.code, r.agreement, r.article, r.message] for r in view.reasons],
    )
