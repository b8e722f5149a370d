"""Working-day arithmetic as pure functions over a precomputed index (DOMAIN_RULES.md §1).

The rule, as the platform applies it everywhere:

* Periods set by the Administrative Licensing Law are working days, excluding statutory
  holidays and including adjusted working days (调休) (Art. 82).
* The day a period starts is not counted; counting starts the next day (Civil Code Arts. 201,
  203).
* ``add_workdays(start, n)`` is the n-th working day after ``start``. A ``start`` that is not a
  working day counts as if it were the next working day (an application received on Saturday
  is treated as received on Monday); ``n = 0`` gives that, possibly rolled-forward, day. This
  agrees with ``chinese_calendar.find_workday(n, start)`` for every day the package covers.
* ``count_workdays(a, b)`` is the number of working days in the half-open interval (a, b].

A date in a year the calendar does not cover is never silently treated as weekends-only:
the plain functions raise :class:`CalendarNotCovered`; the ``*_marked`` variants answer with a
weekends-only result marked ``provisional=True``, which callers store and recompute once the
year is imported.

Speed: the index holds, for every day it spans, how many working days come before it (a
rank), so ``add_workdays`` is two list look-ups and a batch is two array gathers; no search
and no loop over days. The package is used as data, never for arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _

from xiaoneng.core.errors import InvalidInput

T = TypeVar("T")

# How far past the last covered year the weekends-only (provisional) index reaches.
PROVISIONAL_HORIZON_YEARS = 10
# Years the holiday table may hold: wide enough for any notice, narrow enough to catch typos
# such as 227 or 20277.
MIN_YEAR = 1990
MAX_YEAR = 2100


def describe_years(years: Iterable[int]) -> str:
    """Years as ranges, e.g. ``2004–2026`` or ``2004–2026, 2028``; empty text for none."""
    ranges: list[str] = []
    ordered = sorted(set(years))
    if not ordered:
        return ""
    start = prev = ordered[0]
    for y in [*ordered[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        ranges.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(ranges)


def coverage_gaps(years: Iterable[int]) -> list[int]:
    """Years missing between the first and the last covered year."""
    ordered = sorted(set(years))
    if not ordered:
        return []
    present = set(ordered)
    return [y for y in range(ordered[0], ordered[-1] + 1) if y not in present]


class CalendarNotCovered(InvalidInput):
    """A computation needs a year whose holidays the calendar does not hold."""

    code = "calendar_not_covered"


@dataclass(frozen=True, slots=True)
class Marked(Generic[T]):
    """A result with a mark saying whether it rests on a year not yet in the calendar."""

    value: T
    provisional: bool


class WorkdayCalendar:
    """An immutable index of working days for a set of covered years.

    Build it from the holiday table (see :mod:`xiaoneng.calendars.selectors`) or directly in
    tests. Days of covered years are working days when they are Monday-Friday and not a
    holiday, or when they are an adjusted working day; days of uncovered years are indexed
    weekends-only and every answer that touches them is provisional.

    Args:
        covered_years: the years whose holidays and adjusted working days are known.
        holidays: dates that are rest days although they may fall Monday-Friday.
        adjusted_workdays: dates that are working days although they fall on a weekend.
    """

    def __init__(
        self,
        *,
        covered_years: Iterable[int],
        holidays: Mapping[dt.date, str] | Iterable[dt.date],
        adjusted_workdays: Mapping[dt.date, str] | Iterable[dt.date],
    ) -> None:
        years = sorted(set(covered_years))
        if not years:
            raise CalendarNotCovered(
                _(
                    "The working-day calendar covers no year yet; expected at least one year "
                    "of holidays (import a State Council notice)."
                )
            )
        self.covered_years: frozenset[int] = frozenset(years)
        self.first_year = years[0]
        self.last_year = years[-1]
        holiday_set = set(holidays)
        workday_set = set(adjusted_workdays)
        both = holiday_set & workday_set
        if both:
            day = min(both)
            raise InvalidInput(
                _("%(day)s is listed both as a holiday and as an adjusted working day.")
                % {"day": day.isoformat()}
            )

        first = dt.date(self.first_year, 1, 1).toordinal()
        last = dt.date(self.last_year + PROVISIONAL_HORIZON_YEARS, 12, 31).toordinal()
        ordinals = np.arange(first, last + 1, dtype=np.int64)
        # date.toordinal() is 1 on Monday 0001-01-01, so (ordinal - 1) % 7 is the weekday.
        is_work = ((ordinals - 1) % 7) < 5
        covered_mask = np.zeros(len(ordinals), dtype=bool)
        for year in years:
            lo = dt.date(year, 1, 1).toordinal() - first
            hi = dt.date(year, 12, 31).toordinal() - first
            covered_mask[lo : hi + 1] = True
        for day in holiday_set:
            i = day.toordinal() - first
            if 0 <= i < len(ordinals) and covered_mask[i]:
                is_work[i] = False
        for day in workday_set:
            i = day.toordinal() - first
            if 0 <= i < len(ordinals) and covered_mask[i]:
                is_work[i] = True
        self._first_ordinal = first
        self._last_ordinal = last
        self._workdays: npt.NDArray[np.int64] = ordinals[is_work]
        self._workday_list: list[int] = self._workdays.tolist()
        # _rank[i]: working days strictly before index day i, which is also the position in
        # _workdays of the first working day on or after it; _rank[i] + n is then the n-th
        # working day after day i (rolled forward when it is a rest day), without a search.
        self._rank: npt.NDArray[np.int64] = np.concatenate(
            ([0], np.cumsum(is_work, dtype=np.int64))
        )[:-1]
        self._rank_list: list[int] = self._rank.tolist()
        self._is_work_list: list[bool] = is_work.tolist()
        # _uncovered_before[i]: uncovered days at index positions < i, so whether the span
        # [a, b] touches a year whose holidays are unknown is one subtraction.
        self._uncovered_before: npt.NDArray[np.int64] = np.concatenate(
            ([0], np.cumsum(~covered_mask, dtype=np.int64))
        )
        self._uncovered_before_list: list[int] = self._uncovered_before.tolist()
        # Uncovered years between first_year and the horizon, for the provisional mark.
        self._uncovered_years = sorted(
            y
            for y in range(self.first_year, self.last_year + PROVISIONAL_HORIZON_YEARS + 1)
            if y not in self.covered_years
        )

    # -- coverage ---------------------------------------------------------------------------

    @property
    def covered_from(self) -> dt.date:
        """First day of the first covered year."""
        return dt.date(self.first_year, 1, 1)

    @property
    def covered_to(self) -> dt.date:
        """Last day of the last covered year (there may be gaps: see ``covered_years``)."""
        return dt.date(self.last_year, 12, 31)

    def is_covered(self, day: dt.date) -> bool:
        """Whether the holidays of ``day``'s year are known."""
        return day.year in self.covered_years

    def _touches_uncovered(self, lo: int, hi: int) -> bool:
        """Whether index days lo..hi (both included, lo <= hi) touch an uncovered year."""
        return self._uncovered_before_list[hi + 1] - self._uncovered_before_list[lo] > 0

    def _index(self, day: dt.date) -> int:
        """Position of ``day`` in the index; raises when the index does not reach it."""
        i = day.toordinal() - self._first_ordinal
        if not 0 <= i <= self._last_ordinal - self._first_ordinal:
            self._check_in_index(day)
        return i

    def _check_in_index(self, day: dt.date) -> None:
        if not self._first_ordinal <= day.toordinal() <= self._last_ordinal:
            raise CalendarNotCovered(
                _(
                    "%(day)s is outside the working-day calendar, which can reckon from "
                    "%(first)s to %(last)s (holidays known for %(years)s)."
                )
                % {
                    "day": day.isoformat(),
                    "first": self.covered_from.isoformat(),
                    "last": dt.date.fromordinal(self._last_ordinal).isoformat(),
                    "years": self.describe_coverage(),
                }
            )

    def _refuse_uncovered(self, a: dt.date, b: dt.date) -> None:
        lo, hi = (a, b) if a <= b else (b, a)
        missing = [y for y in self._uncovered_years if lo.year <= y <= hi.year] or [lo.year]
        raise CalendarNotCovered(
            _(
                "The holidays of %(year)s are not in the working-day calendar yet (it covers "
                "%(years)s). Import that year's State Council notice first."
            )
            % {"year": missing[0], "years": self.describe_coverage()},
            details={"missing_year": missing[0], "covered": self.describe_coverage()},
        )

    def describe_coverage(self) -> str:
        """Covered years as ranges, e.g. ``2004–2026`` or ``2004–2026, 2028``."""
        return describe_years(self.covered_years)

    # -- single calls -----------------------------------------------------------------------

    def is_workday_marked(self, day: dt.date) -> Marked[bool]:
        """Whether ``day`` is a working day, marked provisional outside covered years."""
        i = self._index(day)
        return Marked(self._is_work_list[i], self._touches_uncovered(i, i))

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; raises for an uncovered year."""
        result = self.is_workday_marked(day)
        if result.provisional:
            self._refuse_uncovered(day, day)
        return result.value

    def add_workdays_marked(self, start: dt.date, n: int) -> Marked[dt.date]:
        """The n-th working day after ``start`` (module docstring), marked if provisional."""
        if n < 0:
            raise InvalidInput(
                _("The number of working days must be 0 or more, got %(n)s.") % {"n": n}
            )
        s = self._index(start)
        k = self._rank_list[s] + n
        if k >= len(self._workday_list):
            self._check_in_index(dt.date.fromordinal(self._last_ordinal + 1))
        result = self._workday_list[k]
        provisional = self._touches_uncovered(s, result - self._first_ordinal)
        return Marked(dt.date.fromordinal(result), provisional)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start``; raises :class:`CalendarNotCovered` if the
        answer depends on a year whose holidays are unknown."""
        result = self.add_workdays_marked(start, n)
        if result.provisional:
            self._refuse_uncovered(start, result.value)
        return result.value

    def count_workdays_marked(self, a: dt.date, b: dt.date) -> Marked[int]:
        """Working days in (a, b]; negative when b is before a. Marked if provisional."""
        i, j = self._index(a), self._index(b)
        # Working days up to and including a day = rank + (1 if it is a working day).
        count = (self._rank_list[j] + self._is_work_list[j]) - (
            self._rank_list[i] + self._is_work_list[i]
        )
        return Marked(count, self._touches_uncovered(min(i, j), max(i, j)))

    def count_workdays(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; raises :class:`CalendarNotCovered` for unknown years."""
        result = self.count_workdays_marked(a, b)
        if result.provisional:
            self._refuse_uncovered(a, b)
        return result.value

    # -- batches ----------------------------------------------------------------------------

    def add_workdays_batch(
        self, starts: npt.NDArray[np.int64], n: npt.NDArray[np.int64] | int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Vectorised :meth:`add_workdays_marked` over date ordinals.

        Args:
            starts: ``date.toordinal()`` of each start day.
            n: working days to add, one per start or one for all.

        Returns:
            (result ordinals, provisional flags).

        Raises:
            CalendarNotCovered: if any start or result leaves the index.
        """
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size and (
            starts.min() < self._first_ordinal or starts.max() > self._last_ordinal
        ):
            bad = starts[(starts < self._first_ordinal) | (starts > self._last_ordinal)][0]
            self._check_in_index(dt.date.fromordinal(int(bad)))
        n_arr = np.asarray(n, dtype=np.int64)
        if n_arr.size and n_arr.min() < 0:
            raise InvalidInput(_("The number of working days must be 0 or more."))
        idx = self._rank[starts - self._first_ordinal] + n_arr
        if idx.size and idx.max() >= len(self._workdays):
            self._check_in_index(dt.date.fromordinal(self._last_ordinal + 1))
        results = self._workdays[idx]
        # A result is provisional when any day from its start to it (never before it) lies in
        # an uncovered year: the single call's rule, checked by year there.
        lo = starts - self._first_ordinal
        hi = results - self._first_ordinal
        provisional = (self._uncovered_before[hi + 1] - self._uncovered_before[lo]) > 0
        return results, provisional
