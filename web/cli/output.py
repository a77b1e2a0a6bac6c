"""Human output of the command line: tables with headers and aligned columns (rich, with no
colour or box when the output is not a terminal, so scripts and tests read plain text), money
with two decimals, and moments to the second."""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def money(value: Any) -> str:
    """An amount with two decimals (45.00, never 45); '-' when there is none."""
    if value is None or value == "":
        return "-"
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"
    except (InvalidOperation, ValueError):
        return str(value)


def moment(value: Any) -> str:
    """An ISO timestamp to the second, in the zone it was written in ('-' when none)."""
    if not value:
        return "-"
    text = str(value).replace("T", " ")
    return text[:19] + (" UTC" if text.endswith("+00:00") else "")


def plain(value: Any) -> str:
    """A value as a cell: on/off for flags, '-' for nothing, '; ' between list items."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None or value == "":
        return "-"
    if isinstance(value, list | tuple):
        return "; ".join(map(plain, value)) or "-"
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column: its header, the row's key (or a function of the row) and how to show it."""

    header: str
    key: str | Callable[[dict[str, Any]], Any]
    show: Callable[[Any], str] = plain
    right: bool = False

    def cell(self, row: dict[str, Any]) -> str:
        value = self.key(row) if callable(self.key) else row.get(self.key)
        return self.show(value)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], empty: str) -> str:
    """Rows as an aligned table with a header line; `empty` when there are none."""
    rows = list(rows)
    if not rows:
        return empty
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for column in columns:
        grid.add_column(column.header, justify="right" if column.right else "left", no_wrap=True)
    for row in rows:
        grid.add_row(*(column.cell(row) for column in columns))
    return render(grid)


@contextlib.contextmanager
def progress_bar(total: int) -> Iterator[Callable[[str], Callable[[int | None], None]]]:
    """Progress bars on stderr (only on a terminal: scripts get no noise): `bar(label)` starts
    one over `total` log positions and returns its `advance(position)`; None completes it."""
    if not sys.stderr.isatty():
        yield lambda label: lambda position: None
        return
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:

        def bar(label: str) -> Callable[[int | None], None]:
            task = progress.add_task(label, total=max(total, 1))

            def advance(position: int | None) -> None:
                progress.update(task, completed=max(total, 1) if position is None else position)

            return advance

        yield bar


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with `message` on stderr while a long single step runs (only on a terminal)."""
    if not sys.stderr.isatty():
        yield
        return
    with Console(stderr=True).status(message):
        yield


def render(renderable: Any) -> str:
    """A rich renderable as text: the terminal's width on a terminal, unbounded otherwise."""
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else 10_000
    out = io.StringIO()
    console = Console(
        file=out, width=width, force_terminal=terminal, color_system=None, highlight=False
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())
