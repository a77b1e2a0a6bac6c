"""Syncing the QuickBooks lists whose queries cannot page with an iterator.

In Intuit's official qbXML 13.0 schema AccountQuery, ClassQuery, EmployeeQuery,
PayrollItemWageQuery, StandardTermsQuery, SalesTaxCodeQuery and ShipMethodQuery accept no
`iterator` attribute, and QuickBooks Pro holds up to 10,000 accounts. Their answers are kept
small by design instead: each query asks for one window of names (`NameRangeFilter`, both ends
inclusive) with `MaxReturned` one above `WINDOW_LIMIT`. An answer with at most `WINDOW_LIMIT`
records is the whole window; a fuller one means the window is too wide, and it is split in two
at a name taken from the records QuickBooks sent, then asked again.

Nothing here relies on the order QuickBooks returns records in, or on how it compares names:
the split point is a name QuickBooks itself holds, each half leaves out records the full window
had (so the splitting ends), and a record on the boundary falls in both halves and is dropped
the second time by ListID and EditSequence.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_LIMIT = 1000  # records in one complete answer; MaxReturned is one more
MAX_WINDOWS = 500  # per pass; far above what QuickBooks Pro's limits need (about 25)
# Where the split point is taken among the names an overfull answer sent (sorted): if
# QuickBooks returns the first names of the window, as it is seen to, the lower part comes
# back whole next time; if it returns any others, both halves still shrink.
SPLIT_AT = 0.9


@dataclass(frozen=True)
class Window:
    """Names from `low` to `high`, both inclusive; None is open-ended."""

    low: str | None = None
    high: str | None = None

    def to_list(self) -> list[str | None]:
        return [self.low, self.high]

    @classmethod
    def from_list(cls, bounds: list[str | None]) -> Window:
        return cls(bounds[0], bounds[1])

    def name_range(self) -> dict[str, str] | None:
        """The query's NameRangeFilter, or None for the whole list."""
        bounds = {"FromName": self.low, "ToName": self.high}
        present = {key: value for key, value in bounds.items() if value is not None}
        return present or None

    def holds(self, name: str) -> bool:
        key = name.casefold()
        return (self.low is None or self.low.casefold() <= key) and (
            self.high is None or key <= self.high.casefold()
        )


def is_complete(received: int) -> bool:
    """Whether an answer of `received` records holds the whole window it was asked for."""
    return received <= WINDOW_LIMIT


def split(window: Window, names: list[str]) -> tuple[Window, Window] | None:
    """The two halves of an overfull `window`, cut at one of the `names` QuickBooks sent from
    it; None when they give no point that makes both halves smaller."""
    distinct = {name.casefold(): name for name in names if window.holds(name)}
    inside = sorted(distinct.values(), key=str.casefold)
    if len(inside) < 3:
        return None
    # Strictly inside the sample, so each half leaves out at least one record it held.
    index = min(max(1, int(len(inside) * SPLIT_AT)), len(inside) - 2)
    pivot = inside[index]
    return Window(window.low, pivot), Window(pivot, window.high)
