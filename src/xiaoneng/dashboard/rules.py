"""KPI formulas as pure functions: numerator, denominator and period are in each docstring.

The dashboard computes every figure from the data through these formulas; nothing on a
screen is typed in. Rates are fractions 0–1, or ``None`` when the denominator is zero (a rate
of an empty set is unknown, not 0 %).

* :data:`KPI_DEFINITIONS` is the documented formula of every key of
  :func:`xiaoneng.dashboard.selectors.kpis`: label, numerator, denominator, period, unit and
  source table. The office page, the monthly bulletin, the API schema and docs/kpis.md show
  the same text.
* The department ranking (:data:`RANKING_INDICATORS`, :func:`rank_departments`) turns four
  indicators into 0–1 scores and a weighted score 0–100; the weights are configurable
  (setting ``RANKING_WEIGHTS``, the ``weights`` query parameter) and only their proportions
  matter.

No database here: the selectors count, these functions compute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import InvalidInput

K = TypeVar("K", bound=Hashable)

# -- the formulas ------------------------------------------------------------------------------


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is 0."""
    if denominator < 0 or numerator < 0:
        raise ValueError(f"counts must be 0 or more, got {numerator}/{denominator}")
    if denominator == 0:
        return None
    return numerator / denominator


def online_rate(matters_online: int, matters_total: int) -> float | None:
    """Online rate (网办率, claim S1).

    Numerator: city-level matters of government departments, in use, whose version in force
    today can be handled online (是否网办). Denominator: all such matters. Period: today.
    """
    return rate(matters_online, matters_total)


def compression_ratio(promised_days_total: int, legal_days_total: int) -> float | None:
    """Compression ratio (压缩比) of promised limits against legal limits, DOMAIN_RULES §2.

    ``1 − Σ promised / Σ legal`` over promised matters (承诺件) in force today that have a legal
    limit. Instant matters are left out: their promised limit of 0 days would count as a 100 %
    compression and hide the promised matters' real figure. The same formula over concluded
    applications (Σ working days used / Σ legal limits) gives the actual compression.
    """
    r = rate(promised_days_total, legal_days_total)
    return None if r is None else 1 - r


def on_time_rate(concluded_on_time: int, concluded: int) -> float | None:
    """On-time conclusion rate (按时办结率), DOMAIN_RULES §2 and docs/clock.md §4.

    Numerator: promised clocks (承诺办结时限) stopped in the period on or before their due date
    (stored verdict not red). Denominator: promised clocks stopped in the period. Period: the
    day the clock stopped (办结日). A concluded-on-time count larger than the concluded count
    is a bug upstream and is refused.
    """
    if concluded_on_time > concluded:
        raise ValueError(f"on time {concluded_on_time} exceeds concluded {concluded}")
    return rate(concluded_on_time, concluded)


def mean_days(days_total: int, count: int) -> float | None:
    """Average working days: ``Σ days / count``, or ``None`` for no items.

    Used for the average working days used (Σ ``used_days`` of promised clocks stopped in the
    period / their number) and the average promised and legal limits of the same applications.
    """
    if days_total < 0 or count < 0:
        raise ValueError(f"days and counts must be 0 or more, got {days_total}/{count}")
    if count == 0:
        return None
    return days_total / count


def median_of_histogram(counts: Mapping[int, int]) -> float | None:
    """The median of a multiset given as ``{value: how many}``, or ``None`` when it is empty.

    Numerator/denominator: none; the middle value of the working days used by the promised
    clocks stopped in the period (the mean of the two middle values for an even count, as
    PostgreSQL's ``percentile_cont(0.5)`` gives). Working days are whole numbers, so a
    histogram (one grouped count) holds the whole distribution in a few dozen rows.
    """
    items = sorted((value, n) for value, n in counts.items() if n)
    if any(n < 0 for _value, n in items):
        raise ValueError("counts must be 0 or more")
    total = sum(n for _value, n in items)
    if total == 0:
        return None
    # 0-based positions of the two middle items (the same one when the total is odd).
    low_pos, high_pos = (total - 1) // 2, total // 2
    low = high = None
    seen = 0
    for value, n in items:
        if low is None and low_pos < seen + n:
            low = value
        if high_pos < seen + n:
            high = value
            break
        seen += n
    assert low is not None and high is not None
    return (low + high) / 2


def percent(value: float | None, digits: int = 2) -> str:
    """A rate as a percentage for people: ``0.90476`` → ``"90.48 %"``; unknown → ``"—"``."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"


def check_period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """A period is the days ``date_from``…``date_to``, both included; either end may be open.

    Raises:
        InvalidInput: the period ends before it starts.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput(
            _("The period starts on %(start)s, after it ends (%(end)s); give from ≤ to.")
            % {"start": date_from.isoformat(), "end": date_to.isoformat()},
            details={"from": date_from.isoformat(), "to": date_to.isoformat()},
        )


# -- the documented definitions -----------------------------------------------------------------


class Unit(StrEnum):
    """What a figure counts."""

    COUNT = "count"
    RATE = "rate"  # a fraction 0–1, or None
    DAYS = "days"  # working days


# The three kinds of period a figure is for.
PERIOD_CATALOG = gettext_lazy("today: the matter versions in force")
PERIOD_RANGE = gettext_lazy("the chosen period (from … to, both days included)")
PERIOD_NOW = gettext_lazy("now: open items as of today")


@dataclass(frozen=True)
class KpiDefinition:
    """The documented formula of one KPI (shown on the page, in the bulletin and the API)."""

    key: str
    label: Promise
    numerator: Promise
    denominator: Promise | None
    period: Promise
    unit: Unit
    source: str  # tables and filters, for docs/kpis.md and people checking a figure

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready, in the active language."""
        return {
            "key": self.key,
            "label": str(self.label),
            "numerator": str(self.numerator),
            "denominator": None if self.denominator is None else str(self.denominator),
            "period": str(self.period),
            "unit": self.unit.value,
            "source": self.source,
        }


_CITY = gettext_lazy(
    "city-level matters of government departments in use (public-service units excluded), "
    "by the version in force today"
)
_PROMISED_STOPPED = gettext_lazy(
    "promised clocks (承诺办结时限) stopped in the period, i.e. applications concluded (办结)"
)
_LEGAL_STOPPED = gettext_lazy("legal clocks (法定办结时限) stopped in the period")
_SUPERVISION_STOPPED = gettext_lazy("supervision-task clocks stopped (closed) in the period")
_MATTERS = "catalog_matter ⋈ catalog_matterversion (current_version)"
_CLOCKS_STOPPED = "clocks_clock (kind, stopped_on)"
_CLOCKS_OPEN = "clocks_clock (open: no stopped_on, i.e. running or paused)"


def _definition(
    key: str,
    label: Promise,
    numerator: Promise,
    denominator: Promise | None,
    period: Promise,
    unit: Unit,
    source: str,
) -> tuple[str, KpiDefinition]:
    return key, KpiDefinition(key, label, numerator, denominator, period, unit, source)


KPI_DEFINITIONS: dict[str, KpiDefinition] = dict(
    [
        # The catalog (claims S1, S2, S4, S5).
        _definition(
            "matters_total",
            gettext_lazy("City-level matters"),
            _CITY,
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            _MATTERS,
        ),
        _definition(
            "matters_online",
            gettext_lazy("Matters online"),
            gettext_lazy("city-level government matters whose version in force is online (网办)"),
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            _MATTERS,
        ),
        _definition(
            "online_rate",
            gettext_lazy("Online rate"),
            gettext_lazy("matters online"),
            gettext_lazy("city-level matters"),
            PERIOD_CATALOG,
            Unit.RATE,
            _MATTERS,
        ),
        _definition(
            "one_visit_matters",
            gettext_lazy("At most one visit (最多跑一次)"),
            gettext_lazy(
                "city-level matters in use, public-service units included, needing at most one "
                "on-site visit (到办事现场次数 ≤ 1)"
            ),
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            _MATTERS,
        ),
        _definition(
            "in_hall_matters",
            gettext_lazy("Handled in the hall"),
            gettext_lazy("city-level government matters handled in the comprehensive hall"),
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            _MATTERS,
        ),
        _definition(
            "in_hall_rate",
            gettext_lazy("Share handled in the hall"),
            gettext_lazy("matters handled in the hall"),
            gettext_lazy("city-level matters"),
            PERIOD_CATALOG,
            Unit.RATE,
            _MATTERS,
        ),
        _definition(
            "instant_matters",
            gettext_lazy("Instant matters (即办件)"),
            gettext_lazy("city-level government matters of kind instant"),
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            _MATTERS,
        ),
        _definition(
            "certificates_cancelled",
            gettext_lazy("Certificates cancelled"),
            gettext_lazy(
                "certificate materials of city-level government matters in force with a "
                "replacement (cancelled, data sharing, e-license, verification, commitment)"
            ),
            None,
            PERIOD_CATALOG,
            Unit.COUNT,
            "catalog_material (is_certificate, replacement ≠ none)",
        ),
        _definition(
            "compression_ratio",
            gettext_lazy("Compression ratio (promised vs legal)"),
            gettext_lazy("1 − Σ promised limits"),
            gettext_lazy("Σ legal limits, over promised city-level matters with a legal limit"),
            PERIOD_CATALOG,
            Unit.RATE,
            _MATTERS,
        ),
        # Applications in the period.
        _definition(
            "applications_received",
            gettext_lazy("Applications received"),
            gettext_lazy("applications whose materials arrived (收件日) in the period"),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            "applications_application (received_on)",
        ),
        _definition(
            "applications_accepted",
            gettext_lazy("Applications accepted"),
            gettext_lazy(
                "applications accepted (受理日) in the period, deemed acceptance included"
            ),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            "applications_application (accepted_on)",
        ),
        _definition(
            "applications_concluded",
            gettext_lazy("Applications concluded"),
            _PROMISED_STOPPED,
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            _CLOCKS_STOPPED + ", kind application.promised",
        ),
        _definition(
            "concluded_on_time",
            gettext_lazy("Concluded on time"),
            gettext_lazy("of those, stopped on or before the due date (verdict not red)"),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            _CLOCKS_STOPPED + ", kind application.promised, warning ≠ red",
        ),
        _definition(
            "concluded_late",
            gettext_lazy("Concluded late"),
            gettext_lazy("of those, stopped after the due date (verdict red)"),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            _CLOCKS_STOPPED + ", kind application.promised, warning = red",
        ),
        _definition(
            "on_time_rate",
            gettext_lazy("On-time rate"),
            gettext_lazy("applications concluded on time"),
            gettext_lazy("applications concluded"),
            PERIOD_RANGE,
            Unit.RATE,
            _CLOCKS_STOPPED + ", kind application.promised",
        ),
        _definition(
            "avg_days_used",
            gettext_lazy("Average working days used"),
            gettext_lazy("Σ working days used (实际用时, pauses left out)"),
            gettext_lazy("applications concluded"),
            PERIOD_RANGE,
            Unit.DAYS,
            _CLOCKS_STOPPED + ", kind application.promised, used_days",
        ),
        _definition(
            "median_days_used",
            gettext_lazy("Median working days used"),
            gettext_lazy("the middle value of the working days used by applications concluded"),
            None,
            PERIOD_RANGE,
            Unit.DAYS,
            _CLOCKS_STOPPED + ", kind application.promised, used_days",
        ),
        _definition(
            "avg_promised_days",
            gettext_lazy("Average promised limit"),
            gettext_lazy("Σ promised limits (working days, extensions not included)"),
            gettext_lazy("applications concluded"),
            PERIOD_RANGE,
            Unit.DAYS,
            _CLOCKS_STOPPED + ", kind application.promised, limit_days",
        ),
        _definition(
            "avg_legal_days",
            gettext_lazy("Average legal limit"),
            gettext_lazy("Σ legal limits (working days) of the applications concluded"),
            gettext_lazy("applications concluded that have a legal limit"),
            PERIOD_RANGE,
            Unit.DAYS,
            _CLOCKS_STOPPED + ", kind application.legal, limit_days",
        ),
        _definition(
            "concluded_with_legal_limit",
            gettext_lazy("Concluded with a legal limit"),
            _LEGAL_STOPPED,
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            _CLOCKS_STOPPED + ", kind application.legal",
        ),
        _definition(
            "legal_on_time_rate",
            gettext_lazy("Within the legal limit"),
            gettext_lazy("legal clocks stopped in the period on or before their due date"),
            _LEGAL_STOPPED,
            PERIOD_RANGE,
            Unit.RATE,
            _CLOCKS_STOPPED + ", kind application.legal",
        ),
        _definition(
            "actual_compression_ratio",
            gettext_lazy("Actual compression (days used vs legal)"),
            gettext_lazy("1 − Σ working days used"),
            gettext_lazy("Σ legal limits, over the legal clocks stopped in the period"),
            PERIOD_RANGE,
            Unit.RATE,
            _CLOCKS_STOPPED + ", kind application.legal, used_days / limit_days",
        ),
        # Ratings (好差评).
        _definition(
            "ratings_total",
            gettext_lazy("Ratings"),
            gettext_lazy("ratings given in the period, less those removed by an upheld appeal"),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            "ratings_rating (created_at, appeal_state ≠ upheld)",
        ),
        _definition(
            "bad_reviews",
            gettext_lazy("Bad reviews"),
            gettext_lazy("ratings of level 2 or 1 (差评) given in the period, still standing"),
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            "ratings_rating (is_bad, created_at, appeal_state ≠ upheld)",
        ),
        _definition(
            "bad_review_rate",
            gettext_lazy("Bad-review rate"),
            gettext_lazy("bad reviews"),
            gettext_lazy("ratings"),
            PERIOD_RANGE,
            Unit.RATE,
            "ratings_rating",
        ),
        _definition(
            "bad_reviews_open",
            gettext_lazy("Bad reviews not yet rectified"),
            gettext_lazy("rectifications awaiting the return visit or being rectified"),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            "ratings_rectification (state open or visited)",
        ),
        # Clocks now.
        _definition(
            "clocks_open",
            gettext_lazy("Open clocks"),
            gettext_lazy("clocks of every kind running or paused"),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN,
        ),
        _definition(
            "clocks_yellow",
            gettext_lazy("Yellow clocks (预警)"),
            gettext_lazy(
                "open clocks of every kind at or past their yellow day and not yet late "
                "(a paused clock: its frozen warning)"
            ),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN + ", yellow_on ≤ today ≤ due_on",
        ),
        _definition(
            "clocks_red",
            gettext_lazy("Red clocks (超时)"),
            gettext_lazy(
                "open clocks of every kind past their due date (a paused clock: its frozen warning)"
            ),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN + ", due_on < today",
        ),
        _definition(
            "clocks_provisional",
            gettext_lazy("Provisional due dates"),
            gettext_lazy(
                "open clocks whose due date rests on a year not in the calendar yet (暂定)"
            ),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN + ", due_provisional",
        ),
        # Supervision tasks (督查督办), read from their clocks.
        _definition(
            "supervision_open",
            gettext_lazy("Supervision tasks open"),
            gettext_lazy("supervision-task clocks running or paused"),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN + ", kind supervision.task",
        ),
        _definition(
            "supervision_overdue",
            gettext_lazy("Supervision tasks overdue"),
            gettext_lazy("open supervision-task clocks past their due date"),
            None,
            PERIOD_NOW,
            Unit.COUNT,
            _CLOCKS_OPEN + ", kind supervision.task, due_on < today",
        ),
        _definition(
            "supervision_closed",
            gettext_lazy("Supervision tasks closed"),
            _SUPERVISION_STOPPED,
            None,
            PERIOD_RANGE,
            Unit.COUNT,
            _CLOCKS_STOPPED + ", kind supervision.task",
        ),
        _definition(
            "supervision_on_time_rate",
            gettext_lazy("Supervision tasks closed on time"),
            gettext_lazy("supervision-task clocks stopped in the period on or before the due date"),
            _SUPERVISION_STOPPED,
            PERIOD_RANGE,
            Unit.RATE,
            _CLOCKS_STOPPED + ", kind supervision.task",
        ),
    ]
)


# -- the department ranking --------------------------------------------------------------------


class Normalisation(StrEnum):
    """How a raw indicator becomes a 0–1 score (1 = best)."""

    # A rate is already on a fixed 0–1 scale: higher-better keeps it, lower-better takes 1 − it.
    RATE = "rate"
    # A count has no fixed scale: it is compared with the largest among the departments ranked
    # (lower-better: 1 − value / max; higher-better: value / max; all equal: 1 for everyone).
    COUNT = "count"


@dataclass(frozen=True)
class RankingIndicator:
    """One indicator of the department ranking, read from a KPI of :data:`KPI_DEFINITIONS`."""

    key: str
    kpi: str
    label: Promise
    higher_is_better: bool
    normalisation: Normalisation
    description: Promise

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in the active language."""
        return {
            "key": self.key,
            "kpi": self.kpi,
            "label": str(self.label),
            "higher_is_better": self.higher_is_better,
            "normalisation": self.normalisation.value,
            "description": str(self.description),
        }


RANKING_INDICATORS: dict[str, RankingIndicator] = {
    i.key: i
    for i in (
        RankingIndicator(
            "on_time",
            "on_time_rate",
            gettext_lazy("On-time rate"),
            True,
            Normalisation.RATE,
            gettext_lazy("Share of applications concluded in the period on time; score = rate."),
        ),
        RankingIndicator(
            "red",
            "clocks_red",
            gettext_lazy("Red clocks now"),
            False,
            Normalisation.COUNT,
            gettext_lazy("Open clocks past their due date today; score = 1 − count / largest."),
        ),
        RankingIndicator(
            "bad_reviews",
            "bad_reviews",
            gettext_lazy("Bad reviews"),
            False,
            Normalisation.COUNT,
            gettext_lazy(
                "Bad reviews given in the period and still standing (not removed on appeal); "
                "score = 1 − count / largest."
            ),
        ),
        RankingIndicator(
            "supervision",
            "supervision_on_time_rate",
            gettext_lazy("Supervision results"),
            True,
            Normalisation.RATE,
            gettext_lazy("Share of supervision tasks closed in the period on time; score = rate."),
        ),
    )
}

# The default weights (setting RANKING_WEIGHTS): only their proportions matter.
DEFAULT_RANKING_WEIGHTS: dict[str, float] = {
    "on_time": 0.4,
    "red": 0.2,
    "bad_reviews": 0.2,
    "supervision": 0.2,
}


def _weight_value(name: str, raw: object) -> float:
    if isinstance(raw, bool):
        raw = str(raw)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(
            _("The weight of %(name)s must be a number 0 or more, got %(value)r.")
            % {"name": name, "value": raw},
            details={"weights": name},
        )
    return value


def parse_weights(value: str | Mapping[str, object]) -> dict[str, float]:
    """The ranking weights meant by ``value``, scaled to add up to 1.

    ``value`` is either text — ``"on_time=40,red=20,bad_reviews=20,supervision=20"`` (the
    environment variable and the query parameter) — or a mapping (the setting). Indicators
    left out weigh 0; only proportions matter, so ``on_time=2,red=1`` is the same as
    ``on_time=0.6667,red=0.3333``.

    Raises:
        InvalidInput: unknown indicator, repeated indicator, a weight that is not a number
            0 or more, a malformed pair, or no weight above 0. The message names what is
            accepted and what arrived.
    """
    known = ", ".join(RANKING_INDICATORS)
    pairs: list[tuple[str, object]] = []
    if isinstance(value, str):
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, text = part.partition("=")
            if not sep:
                raise InvalidInput(
                    _("Weights are written name=number, separated by commas, got %(part)r.")
                    % {"part": part},
                    details={"weights": value},
                )
            pairs.append((name.strip(), text.strip()))
    else:
        pairs = [(str(k), v) for k, v in value.items()]
    weights = dict.fromkeys(RANKING_INDICATORS, 0.0)
    seen: set[str] = set()
    for name, raw in pairs:
        if name not in RANKING_INDICATORS:
            raise InvalidInput(
                _("Unknown ranking indicator %(name)r; the indicators are %(known)s.")
                % {"name": name, "known": known},
                details={"weights": name},
            )
        if name in seen:
            raise InvalidInput(
                _("The weight of %(name)s is given twice.") % {"name": name},
                details={"weights": name},
            )
        seen.add(name)
        weights[name] = _weight_value(name, raw)
    total = sum(weights.values())
    if total <= 0:
        raise InvalidInput(
            _("At least one ranking weight must be above 0 (indicators: %(known)s).")
            % {"known": known},
            details={"weights": str(value) if isinstance(value, str) else dict(value)},
        )
    return {name: w / total for name, w in weights.items()}


def ranking_weights(weights: Mapping[str, object] | str | None = None) -> dict[str, float]:
    """The ranking weights in force, scaled to add up to 1: ``weights`` if given, else the
    setting ``RANKING_WEIGHTS`` (a dict, or text like ``"on_time=40,red=20,…"`` from the
    environment variable of that name), else :data:`DEFAULT_RANKING_WEIGHTS`.

    Reads the settings, never the database.

    Raises:
        InvalidInput: the weights are not valid (the message says why and, for the setting,
            names it).
    """
    if weights is not None:
        return parse_weights(weights)
    configured = getattr(settings, "RANKING_WEIGHTS", None) or DEFAULT_RANKING_WEIGHTS
    try:
        return parse_weights(configured)
    except InvalidInput as exc:
        raise InvalidInput(
            _("The setting RANKING_WEIGHTS is not valid: %(error)s") % {"error": exc.message},
            details=exc.details,
        ) from exc


def normalise(
    indicator: RankingIndicator, values: Mapping[K, float | None]
) -> dict[K, float | None]:
    """Each department's 0–1 score on one indicator (1 = best); unknown stays ``None``.

    Rates keep their fixed scale (higher-better: the rate; lower-better: 1 − rate). Counts are
    compared with the largest count among the departments ranked (lower-better:
    ``1 − value / largest``; higher-better: ``value / largest``); when every count is 0 all
    departments score 1, since none did worse than another.
    """
    known = [v for v in values.values() if v is not None]
    if any(v < 0 for v in known):
        raise ValueError(f"{indicator.key}: values must be 0 or more")
    scores: dict[K, float | None] = {}
    largest = max(known, default=0)
    for key, v in values.items():
        if v is None:
            scores[key] = None
        elif indicator.normalisation is Normalisation.RATE:
            scores[key] = float(v) if indicator.higher_is_better else 1.0 - v
        elif largest == 0:
            scores[key] = 1.0
        else:
            share = v / largest
            scores[key] = share if indicator.higher_is_better else 1.0 - share
    return scores


def ranking_score(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted score 0–100 of one department: ``100 × Σ wᵢ sᵢ / Σ wᵢ``.

    The sums run over the indicators with a weight above 0 and a known score: an indicator a
    department has nothing to show for (no application concluded, no supervision task closed)
    is left out and the others carry its weight, rather than counting as 0 or as perfect.
    ``None`` when no weighted indicator is known.
    """
    weighted = [
        (weights[key], s) for key, s in scores.items() if s is not None and weights.get(key, 0) > 0
    ]
    total = sum(w for w, _s in weighted)
    if total <= 0:
        return None
    return 100 * sum(w * s for w, s in weighted) / total


@dataclass(frozen=True)
class RankedEntry:
    """One department's place in the ranking."""

    key: Hashable
    rank: int | None  # None when the department has no score
    score: float | None
    values: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)


def rank_departments(
    values: Mapping[K, Mapping[str, float | None]],
    weights: Mapping[str, float],
    *,
    order: Mapping[K, str] | None = None,
) -> list[RankedEntry]:
    """Rank departments by their weighted score, best first.

    Args:
        values: per department, each ranking indicator's raw value (``RANKING_INDICATORS`` key
            → value or ``None``).
        weights: from :func:`parse_weights` (any scale: only proportions matter).
        order: a text per department (its code) to list equal scores in a stable order.

    Returns:
        Entries best first. Equal scores share a rank (1, 2, 2, 4); departments without a
        score come last with rank ``None``.
    """
    per_indicator = {
        key: normalise(ind, {d: v.get(key) for d, v in values.items()})
        for key, ind in RANKING_INDICATORS.items()
    }
    entries: list[tuple[float | None, RankedEntry]] = []
    for d, raw in values.items():
        scores = {key: per_indicator[key][d] for key in RANKING_INDICATORS}
        score = ranking_score(scores, weights)
        # Rounded for comparing only, so that the same weights written at another scale (a
        # different last bit after dividing) never reorder equal departments.
        entries.append(
            (
                None if score is None else round(score, 9),
                RankedEntry(
                    key=d,
                    rank=None,
                    score=score,
                    values={key: raw.get(key) for key in RANKING_INDICATORS},
                    scores=scores,
                ),
            )
        )
    labels: Mapping[Any, str] = order or {}
    entries.sort(
        key=lambda e: (e[0] is None, -(e[0] or 0.0), labels.get(e[1].key, ""), str(e[1].key))
    )
    ranked: list[RankedEntry] = []
    for position, (cmp, entry) in enumerate(entries, start=1):
        if cmp is None:
            rank = None
        elif ranked and ranked[-1].score is not None and round(ranked[-1].score, 9) == cmp:
            rank = ranked[-1].rank
        else:
            rank = position
        ranked.append(RankedEntry(entry.key, rank, entry.score, entry.values, entry.scores))
    return ranked
