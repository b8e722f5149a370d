"""KPI formulas as pure functions: numerator, denominator and period are in each docstring.

The dashboard computes every figure from the data through these formulas; nothing on a
screen is typed in. Rates are fractions 0–1, or ``None`` when the denominator is zero (a rate
of an empty set is unknown, not 0 %).
"""

from __future__ import annotations


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
    compression and hide the promised matters' real figure.
    """
    r = rate(promised_days_total, legal_days_total)
    return None if r is None else 1 - r


def percent(value: float | None, digits: int = 2) -> str:
    """A rate as a percentage for people: ``0.90476`` → ``"90.48 %"``; unknown → ``"—"``."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"
