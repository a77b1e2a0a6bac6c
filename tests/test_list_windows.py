"""Lists whose query takes no iterator are asked for in windows of names, each answer bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from engine import list_windows, planner
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.list_windows import Window
from engine.qbxml.parser import parse_response

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def account_answer(names: list[str]) -> str:
    rets = "".join(
        f"<AccountRet><ListID>{n.split()[-1]}-1</ListID><TimeModified>2026-01-05T09:00:00-08:00"
        f"</TimeModified><EditSequence>1</EditSequence><Name>{n}</Name><FullName>{n}</FullName>"
        "<AccountType>Income</AccountType></AccountRet>"
        for n in names
    )
    return (
        '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<AccountQueryRs requestID="1" '
        f'statusCode="0" statusSeverity="Info" statusMessage="Status OK">{rets}'
        "</AccountQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n"
    )


def query_of(message) -> etree._Element:
    root = etree.fromstring(message.qbxml.split("?>", 2)[2].encode())
    return root.find(".//AccountQueryRq")


def test_the_first_window_is_the_whole_list_with_room_to_see_it_overflow():
    lists = QuickBooksLists(uuid4())
    message = planner.next_message(["accounts"], {"step": 0}, 1, lambda: lists, "13.0")
    rq = query_of(message)
    assert rq.get("iterator") is None and rq.find("NameRangeFilter") is None
    assert rq.findtext("MaxReturned") == str(list_windows.WINDOW_LIMIT + 1)
    assert [e.text for e in rq.findall("IncludeRetElement")] == planner.LIST_FIELDS["accounts"]


def test_an_overfull_window_is_split_and_nothing_of_it_is_recorded():
    lists = QuickBooksLists(uuid4())
    lists.collect_events()  # its creation
    steps = ["accounts"]
    message = planner.next_message(steps, {"step": 0}, 1, lambda: lists, "13.0")
    names = [f"Account {i:05d}" for i in range(list_windows.WINDOW_LIMIT + 1)]
    cursor = planner.absorb(
        steps, message.cursor, parse_response(account_answer(names)), lists, NOW
    )
    assert cursor["step"] == 0 and lists.collect_events() == []
    low, high = cursor["windows"]
    assert low[0] is None and high[1] is None and low[1] == high[0]
    message = planner.next_message(steps, cursor, 2, lambda: lists, "13.0")
    assert query_of(message).findtext("NameRangeFilter/ToName") == low[1]
    # The lower half comes back whole: recorded, and the upper half is next.
    lower = [n for n in names if n <= low[1]]
    cursor = planner.absorb(steps, cursor, parse_response(account_answer(lower)), lists, NOW)
    assert cursor["windows"] == [high] and cursor["recorded"] == len(lower)
    assert 0 < planner.progress(steps, cursor) < 100
    upper = [n for n in names if n >= high[0]]
    cursor = planner.absorb(steps, cursor, parse_response(account_answer(upper)), lists, NOW)
    # The boundary name came in both halves and was recorded once.
    assert cursor["step"] == 1 and cursor["stats"]["accounts"] == len(names)
    assert lists.synced_at["accounts"]


def test_names_outside_the_window_end_the_pass_with_a_problem_instead_of_a_loop():
    lists = QuickBooksLists(uuid4())
    cursor = {"step": 0, "from_modified": None, "windows": [["M", "N"]]}
    names = [f"Z {i}" for i in range(list_windows.WINDOW_LIMIT + 1)]
    cursor = planner.absorb(["accounts"], cursor, parse_response(account_answer(names)), lists, NOW)
    assert cursor["step"] == 1
    assert "more than 1000 records for the names M to N" in cursor["problems"][0]


@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=3, max_size=60, unique_by=str.casefold),
    st.one_of(st.none(), st.text(max_size=3)),
)
def test_a_split_always_leaves_records_out_of_both_halves(names, low):
    window = Window(low, None)
    inside = [n for n in names if window.holds(n)]
    halves = list_windows.split(window, names)
    if len({n.casefold() for n in inside}) < 3:
        assert halves is None
        return
    assert halves is not None
    first, second = halves
    assert first.low == window.low and second.high == window.high
    assert any(not first.holds(n) for n in inside) and any(not second.holds(n) for n in inside)
    assert all(first.holds(n) or second.holds(n) for n in inside)
