"""Pure KPI formulas of the 12345 hotline (DOMAIN_RULES.md §7: "KPI formulas (on-time rate,
satisfaction rate) are set locally: configurable, documented defaults").

No database here: :mod:`xiaoneng.hotline.kpi_selectors` counts, these functions divide. Every
rate is a fraction in [0, 1], or ``None`` when its denominator is 0 (no data is not 0 %).
**Period**: every count is over the tickets *registered* in the period asked for (a cohort:
``Ticket.created_at`` from ``date_from`` to ``date_to``, both days included), so a figure of
a closed month does not change when later months are added.
"""

from __future__ import annotations

from collections.abc import Mapping

from xiaoneng.hotline.rules import Satisfaction

SATISFIED_FROM = Satisfaction.BASICALLY_SATISFIED  # 基本满意 and better count as satisfied
HOT_TOPICS = 10  # how many categories the hot-topic list shows


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to 4 places; ``None`` when the denominator is 0.

    Raises ``ValueError`` on a negative count or a numerator above its denominator: a rate
    is a share of a whole, a bigger part means the counts are wrong.
    """
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError(
            f"a rate needs 0 <= numerator <= denominator, got {numerator}/{denominator}"
        )
    if denominator == 0:
        return None
    return round(numerator / denominator, 4)


def first_contact_resolution_rate(*, answered_directly: int, accepted: int) -> float | None:
    """First-contact resolution rate (一次办结率 / 直办率).

    Numerator: tickets of the period closed by the operator on the call (直办, action
    ``answer_directly``). Denominator: tickets of the period the hotline accepted, as
    :func:`first_contact_denominator` counts them.
    """
    return rate(answered_directly, accepted)


def first_contact_denominator(*, total: int, not_accepted: int, merged: int, split: int) -> int:
    """The tickets that count for the first-contact rate: each matter once.

    All registered tickets minus those closed as not accepted (不予受理: never the hotline's
    to resolve), minus merged duplicates (并单: their matter is counted once, in the parent),
    minus split originals (拆单: their matter is counted in the parts, which are tickets of
    their own). Merged duplicates and split originals never have a clock or a return visit,
    so they are outside the on-time and satisfaction rates by construction.

    Raises:
        ValueError: the parts taken away exceed the total (the counts are wrong).
    """
    accepted = total - not_accepted - merged - split
    if min(total, not_accepted, merged, split) < 0 or accepted < 0:
        raise ValueError(
            f"counts must be non-negative and fit the total: {total} - {not_accepted} - "
            f"{merged} - {split}"
        )
    return accepted


def on_time_rate(*, on_time: int, replied: int) -> float | None:
    """On-time rate (按时办结率).

    Numerator: handling rounds answered on or before their due date (clock ``hotline.ticket``
    stopped by a reply with no red verdict). Denominator: handling rounds ended by a reply. A
    round ended by a send-back (退单) is not counted: the department is not charged for a
    ticket that was not its own (docs/hotline.md §3); a reopened ticket has one round per
    handling, each counted.
    """
    return rate(on_time, replied)


def satisfaction_rate(*, satisfied: int, visited: int) -> float | None:
    """Satisfaction rate (满意率).

    Numerator: tickets whose last return visit scored ``SATISFIED_FROM`` (3, 基本满意) or
    better. Denominator: tickets with a return visit. Tickets closed at first contact or not
    accepted have no visit and are not counted.
    """
    return rate(satisfied, visited)


def reopen_rate(*, reopened: int, visited: int) -> float | None:
    """Reopen rate (重办率).

    Numerator: tickets reopened at least once by a dissatisfied return visit
    (``reopen_count > 0``). Denominator: tickets with a return visit.
    """
    return rate(reopened, visited)


def return_rate(*, returned: int, dispatched: int) -> float | None:
    """Return rate (退单率).

    Numerator: tickets sent back (退单) at least once by a department. Denominator: tickets
    dispatched at least once.
    """
    return rate(returned, dispatched)


def top(counts: Mapping[str, int], limit: int = HOT_TOPICS) -> list[tuple[str, int]]:
    """The ``limit`` largest counts, largest first, ties by key so the order is stable."""
    ranked = sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]
