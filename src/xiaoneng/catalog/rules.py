"""Pure catalog logic, no database: compression ratio, version comparison, cross-row checks.

Everything here works on plain values so it can be tested directly (and with hypothesis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


def compression_ratio(legal_limit_days: int | None, promised_limit_days: int) -> float | None:
    """The share of the legal limit that the promise saves: ``1 − promised / legal``.

    DOMAIN_RULES.md §2: the report's "压缩比达到70%" is this ratio (0.7). A matter concluded on
    the spot (promised 0) compresses by 1.0.

    Args:
        legal_limit_days: statutory limit (法定办结时限) in working days, or ``None`` if the law
            sets none.
        promised_limit_days: promised limit (承诺办结时限) in working days.

    Returns:
        A ratio between 0 and 1 (negative only if the promise exceeds the law, which the model
        refuses), or ``None`` when there is no positive legal limit to compress.
    """
    if legal_limit_days is None or legal_limit_days <= 0:
        return None
    return 1 - promised_limit_days / legal_limit_days


@dataclass(frozen=True, slots=True)
class VersionFigures:
    """The countable figures of one matter version, or a sum of them over many matters.

    ``materials`` counts the materials an applicant still supplies (replacement ``none``):
    a cancelled or replaced certificate no longer counts, which is what "materials −12 %"
    (claim S10) measures. A matter without a statutory limit adds 0 to ``legal_limit_days``.
    """

    materials: int
    steps: int
    legal_limit_days: int
    promised_limit_days: int
    matters: int = 1

    def __add__(self, other: VersionFigures) -> VersionFigures:
        return VersionFigures(
            materials=self.materials + other.materials,
            steps=self.steps + other.steps,
            legal_limit_days=self.legal_limit_days + other.legal_limit_days,
            promised_limit_days=self.promised_limit_days + other.promised_limit_days,
            matters=self.matters + other.matters,
        )


ZERO_FIGURES = VersionFigures(0, 0, 0, 0, matters=0)


def sum_figures(figures: Iterable[VersionFigures]) -> VersionFigures:
    """Add up the figures of many versions (e.g. the 15 matters of claim S10)."""
    total = ZERO_FIGURES
    for item in figures:
        total = total + item
    return total


@dataclass(frozen=True, slots=True)
class Change:
    """How one figure moved between two versions."""

    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        """Relative change in percent, ``(after − before) / before × 100``; ``None`` from 0."""
        return percent_change(self.before, self.after)


def percent_change(before: int, after: int) -> float | None:
    """``(after − before) / before × 100``, or ``None`` when ``before`` is 0 (no base)."""
    if before == 0:
        return None
    return (after - before) / before * 100


@dataclass(frozen=True, slots=True)
class Comparison:
    """Materials, steps and limits of two versions (or two sums), side by side."""

    materials: Change
    steps: Change
    legal_limit_days: Change
    promised_limit_days: Change

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "before": change.before,
                "after": change.after,
                "difference": change.difference,
                "percent": None if change.percent is None else round(change.percent, 1),
            }
            for name, change in (
                ("materials", self.materials),
                ("steps", self.steps),
                ("legal_limit_days", self.legal_limit_days),
                ("promised_limit_days", self.promised_limit_days),
            )
        }


def compare_figures(before: VersionFigures, after: VersionFigures) -> Comparison:
    """Compare two versions' figures; claim S10 reads "materials −12 %, steps −10 %, time −15 %".

    "Time" is the promised limit, the one an applicant waits for.
    """
    return Comparison(
        materials=Change(before.materials, after.materials),
        steps=Change(before.steps, after.steps),
        legal_limit_days=Change(before.legal_limit_days, after.legal_limit_days),
        promised_limit_days=Change(before.promised_limit_days, after.promised_limit_days),
    )


def pick_in_force(
    versions: Iterable[tuple[dt.date, int]], on: dt.date
) -> tuple[dt.date, int] | None:
    """The (effective_from, number) of the version in force on ``on``.

    The version with the latest effective date not after ``on`` wins; on the same date the
    higher number (the later correction) wins. ``None`` if no version has taken effect yet.
    """
    candidates = [v for v in versions if v[0] <= on]
    return max(candidates) if candidates else None


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule broken by one field of a matter's content; ``field`` uses the content keys."""

    field: str
    message: str


@dataclass(slots=True)
class _Collector:
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))


def content_problems(
    fields: Mapping[str, Any],
    materials: Sequence[Mapping[str, Any]],
    fees: Sequence[Mapping[str, Any]],
) -> list[Problem]:
    """Rules that span a version and its rows (single-row rules are in the models).

    * A material replaced by informed commitment needs a matter that allows it (告知承诺,
      DOMAIN_RULES.md §4, 国办发〔2020〕42号).
    * Fee rows need the fee flag (是否收费).
    * Material names are distinct, so an applicant can tell them apart.
    """
    out = _Collector()
    if not fields.get("allows_commitment"):
        for index, material in enumerate(materials):
            if material.get("replacement") == "commitment":
                out.add(
                    f"materials[{index}].replacement",
                    _(
                        "Replacement by informed commitment needs a matter that allows informed "
                        "commitment (allows_commitment true), got false."
                    ),
                )
    if fees and not fields.get("charges_fee"):
        out.add(
            "charges_fee",
            _("%(count)s fee items are listed, so expected charges_fee true, got false.")
            % {"count": len(fees)},
        )
    seen: dict[str, int] = {}
    for index, material in enumerate(materials):
        name = str(material.get("name", "")).strip()
        if name in seen:
            out.add(
                f"materials[{index}].name",
                _("Expected distinct material names, got %(name)r twice (also material %(other)s).")
                % {"name": name, "other": seen[name] + 1},
            )
        else:
            seen[name] = index
    return out.problems
