"""The command line's human output: aligned tables, two-decimal money, one `show` layout, and
progress bars only where a person watches."""

from __future__ import annotations

import io

from web.cli.common import describe
from web.cli.output import Column, money, progress_bar, table


def test_money_always_has_two_decimals():
    assert [money(v) for v in (45, "45", "586.475", 0, None, "")] == [
        "45.00", "45.00", "586.48", "0.00", "-", "-"
    ]  # fmt: skip


def test_tables_have_a_header_and_aligned_columns():
    text = table(
        [{"n": "INV-1", "a": 45}, {"n": "INV-10000", "a": "1234.5"}],
        [Column("Document", "n"), Column("Amount", "a", money, right=True)],
        "none",
    )
    lines = text.splitlines()
    assert lines[0].split() == ["Document", "Amount"]
    assert len({len(line) for line in (lines[0], lines[2], lines[3])}) == 1  # aligned
    assert lines[2].endswith("45.00") and lines[3].endswith("1,234.50")
    assert table([], [Column("X", "x")], "nothing yet") == "nothing yet"


def test_every_show_is_key_value_lines_without_python_reprs():
    text = describe(
        {"id": "INV-1", "amount": 45, "data": {"lines": [{"rate": "10", "qty": 2}]}, "ok": True}
    )
    assert "{" not in text and "[" not in text.replace("[1]", "")
    assert "data.lines[1].rate  10.00" in text and "amount" in text and "45.00" in text
    assert text.splitlines()[-1].split() == ["ok", "on"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_only_on_a_terminal(monkeypatch):
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    with progress_bar(10) as bar:
        bar("Sessions")(5)
    assert quiet.getvalue() == ""
    shown = Terminal()
    monkeypatch.setattr("sys.stderr", shown)
    with progress_bar(10) as bar:
        advance = bar("Sessions")
        advance(5)
        advance(None)
    assert "Sessions" in shown.getvalue() and "10/10" in shown.getvalue()


def test_a_long_step_shows_a_spinner_only_on_a_terminal(monkeypatch):
    from web.cli.output import working

    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    with working("importing"):
        pass
    assert quiet.getvalue() == ""
    shown = Terminal()
    monkeypatch.setattr("sys.stderr", shown)
    with working("importing 1.2 MB"):
        pass
    assert "importing 1.2 MB" in shown.getvalue()
