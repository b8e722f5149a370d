"""The 12345 hotline section of the office dashboard (issue 5 §5; DOMAIN_RULES.md §7).

The figures are the hotline room's (:func:`xiaoneng.hotline.kpi_selectors.hotline_kpis`,
formulas in :mod:`xiaoneng.hotline.kpi_rules`), for the period and department the dashboard
shows. This module only documents each figure the way the dashboard documents its own
(:class:`~xiaoneng.dashboard.rules.KpiDefinition`: numerator, denominator, period, source) and
lays the figures out as cards, tables and chart data; it computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.dashboard import reports
from xiaoneng.dashboard.rules import KpiDefinition, Unit
from xiaoneng.hotline import kpi_rules
from xiaoneng.hotline.views.labels import CHANNEL_LABELS, TYPE_LABELS

PERIOD_COHORT = gettext_lazy(
    "tickets registered in the chosen period (a department: the tickets it handles now)"
)
_TICKETS = "hotline_ticket (created_at, department)"
_EVENTS = "hotline_ticket ⋈ hotline_ticketevent (action)"
_VISITS = "hotline_ticket (satisfaction, reopen_count)"
_ROUNDS = "clocks_clock (kind hotline.ticket, stopped, warning) ⋈ hotline_ticketevent (reply)"


def _definition(
    key: str,
    label: Any,
    numerator: Any,
    denominator: Any,
    unit: Unit,
    source: str,
) -> tuple[str, KpiDefinition]:
    return key, KpiDefinition(key, label, numerator, denominator, PERIOD_COHORT, unit, source)


#: The hotline figures on the dashboard, in the order shown; the wording follows the
#: docstrings of :mod:`xiaoneng.hotline.kpi_rules`, which compute them.
HOTLINE_KPI_DEFINITIONS: dict[str, KpiDefinition] = dict(
    [
        _definition(
            "tickets_total",
            gettext_lazy("Hotline tickets"),
            gettext_lazy("tickets registered (工单)"),
            None,
            Unit.COUNT,
            _TICKETS,
        ),
        _definition(
            "first_contact_resolution_rate",
            gettext_lazy("First-contact resolution (直办率)"),
            gettext_lazy("tickets answered directly on the call (直办)"),
            gettext_lazy(
                "tickets registered minus those not accepted (不予受理), merged into another "
                "(并单) or split into parts (拆单)"
            ),
            Unit.RATE,
            _EVENTS,
        ),
        _definition(
            "on_time_rate",
            gettext_lazy("Hotline on-time rate (按时办结率)"),
            gettext_lazy("handling rounds replied to without a red (overdue) clock"),
            gettext_lazy(
                "handling rounds ended by a reply (one per dispatch or reopen; rounds ended "
                "by a send-back are not counted)"
            ),
            Unit.RATE,
            _ROUNDS,
        ),
        _definition(
            "satisfaction_rate",
            gettext_lazy("Satisfaction rate (满意率)"),
            gettext_lazy("tickets whose last return visit is 3 (基本满意) or better"),
            gettext_lazy("tickets with a return visit (回访)"),
            Unit.RATE,
            _VISITS,
        ),
        _definition(
            "reopen_rate",
            gettext_lazy("Reopen rate (重办率)"),
            gettext_lazy("tickets reopened after a dissatisfied return visit"),
            gettext_lazy("tickets with a return visit (回访)"),
            Unit.RATE,
            _VISITS,
        ),
        _definition(
            "return_rate",
            gettext_lazy("Return rate (退单率)"),
            gettext_lazy("tickets sent back (退单) by a department at least once"),
            gettext_lazy("tickets dispatched (派单) at least once"),
            Unit.RATE,
            _EVENTS,
        ),
    ]
)


@dataclass(frozen=True)
class Share:
    """One row of a breakdown: what, how many, and its share of the tickets."""

    key: str
    label: str
    count: int
    share: str  # "42.86 %"


@dataclass(frozen=True)
class HotlineSection:
    """What the dashboard shows of the hotline for one period and department."""

    figures: Mapping[str, Any]
    lines: list[reports.KpiLine]
    by_channel: list[Share]
    by_type: list[Share]
    hot_topics: list[Share]
    chart: dict[str, Any]

    @property
    def total(self) -> int:
        return int(self.figures.get("tickets_total") or 0)

    @property
    def tables(self) -> list[tuple[str, str, list[Share]]]:
        """``(caption, element id, rows)`` of the breakdown tables under the charts."""
        return [
            (_("By channel"), "hotline-by-channel", self.by_channel),
            (_("By type"), "hotline-by-type", self.by_type),
            (_("Hot topics"), "hotline-hot-topics", self.hot_topics),
        ]


def hotline_lines(figures: Mapping[str, Any]) -> list[reports.KpiLine]:
    """Every hotline KPI with its value and its formula, in the active language."""
    lines = []
    for key, definition in HOTLINE_KPI_DEFINITIONS.items():
        value = figures.get(key)
        lines.append(
            reports.KpiLine(
                key=key,
                label=str(definition.label),
                unit=str(definition.unit),
                value=value,
                text=reports.kpi_text(value, str(definition.unit)),
                formula=reports.kpi_formula(definition),
                numerator=str(definition.numerator or ""),
                denominator=str(definition.denominator or ""),
                period=str(definition.period or ""),
            )
        )
    return lines


def _shares(counts: Mapping[str, int], labels: Mapping[str, Any], total: int) -> list[Share]:
    ranked = kpi_rules.top(counts, limit=len(counts))
    return [
        Share(
            key=key,
            label=str(labels.get(key, key) or _("none")),
            count=count,
            share=reports.kpi_text(kpi_rules.rate(count, total), "rate"),
        )
        for key, count in ranked
    ]


def hotline_section(figures: Mapping[str, Any]) -> HotlineSection:
    """Cards, breakdowns by channel and type, hot topics and chart data from
    :func:`~xiaoneng.hotline.kpi_selectors.hotline_kpis`' ``figures``."""
    total = int(figures.get("tickets_total") or 0)
    by_channel = _shares(figures.get("by_channel") or {}, CHANNEL_LABELS, total)
    by_type = _shares(figures.get("by_type") or {}, TYPE_LABELS, total)
    topics = [
        Share(
            key=str(row["code"]),
            label=str(row["name"]),
            count=int(row["count"]),
            share=reports.kpi_text(kpi_rules.rate(int(row["count"]), total), "rate"),
        )
        for row in figures.get("hot_topics") or []
    ]
    chart = {
        "channels": [{"key": s.key, "name": s.label, "value": s.count} for s in by_channel],
        "topics": [{"key": s.key, "name": s.label, "value": s.count} for s in topics],
        "labels": {"channels": _("Tickets by channel"), "topics": _("Tickets")},
    }
    return HotlineSection(
        figures=figures,
        lines=hotline_lines(figures),
        by_channel=by_channel,
        by_type=by_type,
        hot_topics=topics,
        chart=chart,
    )
