"""Lists whose query takes no iterator are asked for in windows of names, each answer bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from engine import list_windows
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.list_windows import Window
from engine.steps.lists import LIST_FIELDS, ListPass
from engine.steps.pipeline import SessionWork
from tests.helpers import StepDriver

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
    message = StepDriver(["accounts"], QuickBooksLists(uuid4())).send()
    rq = query_of(message)
    assert rq.get("iterator") is None and rq.find("NameRangeFilter") is None
    assert rq.findtext("MaxReturned") == str(list_windows.WINDOW_LIMIT + 1)
    assert [e.text for e in rq.findall("IncludeRetElement")] == LIST_FIELDS["accounts"]


def test_an_overfull_window_is_split_and_nothing_of_it_is_recorded():
    lists = QuickBooksLists(uuid4())
    lists.collect_events()  # its creation
    driver = StepDriver(["accounts"], lists, now=NOW)
    driver.send()
    names = [f"Account {i:05d}" for i in range(list_windows.WINDOW_LIMIT + 1)]
    work = driver.answer(account_answer(names))
    assert not work.finished and lists.collect_events() == []
    low, high = driver.state("accounts").windows
    assert low.low is None and high.high is None and low.high == high.low
    message = driver.send()
    assert query_of(message).findtext("NameRangeFilter/ToName") == low.high
    # The lower half comes back whole: recorded, and the upper half is next.
    lower = [n for n in names if n <= low.high]
    driver.answer(account_answer(lower))
    state = driver.state("accounts")
    assert state.windows == (high,) and state.recorded == len(lower)
    assert 0 < driver.progress < 100
    driver.send()
    upper = [n for n in names if n >= high.low]
    work = driver.answer(account_answer(upper))
    # The boundary name came in both halves and was recorded once.
    assert work.finished == {0} and work.recorded["accounts"] == len(names)
    assert lists.synced_at["accounts"]


def test_names_outside_the_window_end_the_pass_with_a_problem_instead_of_a_loop():
    lists = QuickBooksLists(uuid4())
    work = SessionWork(active={0: ListPass(from_modified=None, windows=(Window("M", "N"),))})
    driver = StepDriver(["accounts"], lists, now=NOW, work=work)
    driver.send()
    names = [f"Z {i}" for i in range(list_windows.WINDOW_LIMIT + 1)]
    work = driver.answer(account_answer(names))
    assert work.finished == {0}
    assert "more than 1000 records for the names M to N" in work.problems[0]


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
