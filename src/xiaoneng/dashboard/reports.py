"""The monthly bulletin (每月通报): one month's figures as a PDF and as an Excel workbook.

Pure presentation on top of the KPI selectors (:func:`xiaoneng.dashboard.selectors.kpis`,
``kpis_by_department``, ``department_ranking``): every number printed here is one of theirs,
formatted the way the dashboard formats it, so the page, the PDF and the workbook show the
same figures. Nothing is written to the database.

Period (docs/dashboard.md): the month's first to last day, inclusive, for the period figures
(applications accepted and concluded, on-time rate, working days used…); the figures that
describe "now" (yellow and red clocks, open bad reviews, open supervision tasks) are taken as
of the month's last day, or today while the month is still running. The dashboard uses the
same rule for a period that ends before today.

The bulletin is an official Chinese document, so it is rendered in Chinese whatever the
reader's language (the labels are translated msgids, like every other text of the platform).
The PDF is drawn with reportlab in Noto Sans SC: the document's characters are subset and
embedded as TrueType (``FontFile2``) by the licenses room's helper
(:func:`xiaoneng.licenses.pdf.registered_cjk_font`); charts are reportlab graphics whose every
label is set in that font, so no unembedded base font enters the file.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import InvalidInput
from xiaoneng.dashboard import rules, selectors
from xiaoneng.dashboard.rules import KPI_DEFINITIONS, percent
from xiaoneng.licenses.pdf import registered_cjk_font

# The bulletin's language: an official document of a Chinese city.
BULLETIN_LANGUAGE = "zh-hans"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# Characters every bulletin may print besides its own words: digits, Latin letters for codes,
# the signs of numbers and dates.
_BASE_CHARACTERS = "".join(chr(c) for c in range(0x20, 0x7F)) + "—–·、，。：；（）％年月日第页共至"


# -- period -----------------------------------------------------------------------------------


def parse_month(text: str) -> dt.date:
    """The first day of the month written ``YYYY-MM``.

    Raises:
        InvalidInput: when ``text`` is not a month in that shape.
    """
    match = _MONTH_RE.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise InvalidInput(
            _("Expected a month written YYYY-MM (e.g. 2026-11), got %(value)s.")
            % {"value": repr(text)}
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class Period:
    """The days a bulletin covers and the day its "now" figures are taken on."""

    date_from: dt.date
    date_to: dt.date
    as_of: dt.date


def month_period(month: dt.date, *, today: dt.date) -> Period:
    """The month's first and last day, and the day its "now" figures describe.

    ``as_of`` is the month's last day, or ``today`` while the month is running.

    Raises:
        InvalidInput: for a month that has not begun (there is nothing to report yet).
    """
    first = month.replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    if first > today:
        raise InvalidInput(
            _("Expected a month that has begun (up to %(today)s), got %(month)s.")
            % {"today": today.strftime("%Y-%m"), "month": first.strftime("%Y-%m")}
        )
    return Period(date_from=first, date_to=last, as_of=min(last, today))


def as_of_day(date_to: dt.date, *, today: dt.date) -> dt.date:
    """The day the "now" figures of a period ending ``date_to`` are taken on."""
    return min(date_to, today)


# -- formatting, shared with the dashboard page ----------------------------------------------


def kpi_text(value: Any, unit: str) -> str:
    """A KPI value as people read it: ``90.48 %`` for a rate, ``4.25`` for days, ``543``.

    An unknown value (a rate of nothing, an average of no cases) is ``—``.
    """
    if value is None:
        return "—"
    if unit == "rate":
        return percent(float(value))
    if unit == "days":
        return f"{float(value):.2f}"
    return str(value)


def kpi_formula(definition: Any) -> str:
    """The documented formula of a KPI in one line: numerator ÷ denominator, and its period."""
    numerator = str(definition.numerator or "")
    denominator = str(definition.denominator or "")
    formula = f"{numerator} ÷ {denominator}" if denominator else numerator
    period = str(definition.period or "")
    return f"{formula} · {period}" if period else formula


@dataclass(frozen=True)
class KpiLine:
    """One KPI of the bulletin: its value and how it is computed."""

    key: str
    label: str
    unit: str
    value: Any
    text: str
    formula: str
    numerator: str
    denominator: str
    period: str


def kpi_lines(figures: Mapping[str, Any]) -> list[KpiLine]:
    """Every documented KPI (``KPI_DEFINITIONS``, in its order) with its value from ``figures``.

    Labels and formulas are rendered in the active language.
    """
    lines = []
    for key, definition in KPI_DEFINITIONS.items():
        value = figures.get(key)
        lines.append(
            KpiLine(
                key=key,
                label=str(definition.label),
                unit=str(definition.unit),
                value=value,
                text=kpi_text(value, str(definition.unit)),
                formula=kpi_formula(definition),
                numerator=str(definition.numerator or ""),
                denominator=str(definition.denominator or ""),
                period=str(definition.period or ""),
            )
        )
    return lines


# -- the bulletin's data ----------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRef:
    """The department a bulletin is for."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Bulletin:
    """Everything a bulletin shows, computed once and drawn twice (PDF and workbook)."""

    month: dt.date
    period: Period
    issuer: str
    title: str
    department: DepartmentRef | None
    figures: dict[str, Any]
    lines: list[KpiLine]
    departments: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    ranking_weights: dict[str, float]
    ranking_labels: dict[str, str]
    yearly: list[dict[str, Any]] | None
    generated_on: dt.date = field(default_factory=timezone.localdate)

    @property
    def active_departments(self) -> list[dict[str, Any]]:
        """The departments charted and tabled in the PDF: those with activity."""
        return [row for row in self.departments if has_activity(row)]

    @property
    def month_text(self) -> str:
        return f"{self.month.year}年{self.month.month:02d}月"

    def filename(self, extension: str) -> str:
        """``bulletin-2026-11.pdf``, or ``bulletin-2026-11-<department code>.xlsx``."""
        stem = f"bulletin-{self.month:%Y-%m}"
        if self.department is not None:
            stem += f"-{self.department.code}"
        return f"{stem}.{extension}"


def city_name() -> str:
    """The city government's name: the one department at the top of the hierarchy.

    Empty when the hierarchy has no single top (then the bulletin has a neutral title).
    """
    roots = list(
        Department.objects.filter(parent__isnull=True, is_service_unit=False).values_list(
            "name", flat=True
        )[:2]
    )
    return roots[0] if len(roots) == 1 else ""


def short_names(department_ids: Sequence[int]) -> dict[int, str]:
    """Short names (简称) of departments for chart axes, the full name where none is set."""
    return {
        pk: short or name
        for pk, short, name in Department.objects.filter(pk__in=list(department_ids)).values_list(
            "pk", "short_name", "name"
        )
    }


def ranking_weights() -> dict[str, float]:
    """The ranking's weights in force (setting ``RANKING_WEIGHTS``, docs/kpis.md)."""
    return dict(rules.ranking_weights())


def ranking_labels() -> dict[str, str]:
    """Each ranking indicator's label, in the active language."""
    return {key: str(indicator.label) for key, indicator in rules.RANKING_INDICATORS.items()}


def supervision_yearly() -> list[dict[str, Any]] | None:
    """Year-on-year counts of supervision and assessment items, or ``None`` where the
    supervision room does not provide them (the section is then left out)."""
    try:
        from xiaoneng.supervision.selectors.tasks import supervision_yearly_counts
    except ImportError:
        return None
    return list(supervision_yearly_counts())


def bulletin_data(
    *, month: dt.date, department: Any | None = None, today: dt.date | None = None
) -> Bulletin:
    """The bulletin of ``month`` for the whole city, or for one department.

    Figures: :func:`~xiaoneng.dashboard.selectors.kpis` over the month (see the module
    docstring for the period); per-department rows and the ranking over the same month
    (a department's bulletin keeps only its own row and its own place in the ranking).

    Raises:
        InvalidInput: for a month that has not begun.
    """
    period = month_period(month, today=today or timezone.localdate())
    start, end, as_of = period.date_from, period.date_to, period.as_of
    with translation.override(BULLETIN_LANGUAGE):
        figures = selectors.kpis(
            department_id=department.pk if department else None,
            date_from=start,
            date_to=end,
            today=as_of,
        )
        departments = list(selectors.kpis_by_department(date_from=start, date_to=end, today=as_of))
        ranking = list(selectors.department_ranking(date_from=start, date_to=end, today=as_of))
        if department is not None:
            departments = [d for d in departments if d["department_id"] == department.pk]
            ranking = [r for r in ranking if r["department_id"] == department.pk]
        names = short_names([d["department_id"] for d in departments])
        for row in departments:
            row["short_name"] = names.get(row["department_id"], row["name"])
        issuer = city_name()
        title = f"{issuer}效能月度通报" if issuer else "效能月度通报"
        return Bulletin(
            month=period.date_from,
            period=period,
            issuer=issuer,
            title=title,
            department=(
                DepartmentRef(id=department.pk, code=department.code, name=department.name)
                if department is not None
                else None
            ),
            figures=dict(figures),
            lines=kpi_lines(figures),
            departments=departments,
            ranking=ranking,
            ranking_weights=ranking_weights(),
            ranking_labels=ranking_labels(),
            # Supervision items are counted for the city: a department's bulletin leaves them out.
            yearly=supervision_yearly() if department is None else None,
        )


# -- shared tables -----------------------------------------------------------------------------

# A department is charted when it has something besides catalog entries: an application, a
# clock, a rating or a supervision task. Departments with matters only would fill the axes
# with empty columns (the tables and the workbook still list them).
ACTIVITY_KEYS: tuple[str, ...] = (
    "applications_received",
    "applications_accepted",
    "applications_concluded",
    "clocks_open",
    "ratings_total",
    "bad_reviews_open",
    "supervision_open",
    "supervision_closed",
)


def has_activity(row: Mapping[str, Any]) -> bool:
    """Whether a department's row has more than catalog figures (see :data:`ACTIVITY_KEYS`)."""
    return any(row.get(key) for key in ACTIVITY_KEYS)


# The per-department columns of both documents: figure key and unit.
DEPARTMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("applications_accepted", "count"),
    ("applications_concluded", "count"),
    ("on_time_rate", "rate"),
    ("avg_days_used", "days"),
    ("avg_promised_days", "days"),
    ("avg_legal_days", "days"),
    ("clocks_yellow", "count"),
    ("clocks_red", "count"),
    ("bad_reviews_open", "count"),
)


def _column_label(key: str) -> str:

    definition = KPI_DEFINITIONS.get(key)
    return str(definition.label) if definition is not None else key


def indicator_rows(row: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(indicator key, raw value, normalised 0–1 score) of a ranking row."""
    indicators = row.get("indicators") or {}
    for key, entry in indicators.items():
        yield key, entry.get("value"), entry.get("score")


# -- PDF ----------------------------------------------------------------------------------------


_RED = "#c81e1e"
_YELLOW = "#d69e00"
_BLUE = "#1f5fa8"
_GREY = "#555555"


def _chart_clocks(bulletin: Bulletin, content: _PdfContent, font: str) -> Any:
    """Stacked bars: yellow and red clocks by department, as of the bulletin's day."""
    rows = bulletin.active_departments
    drawing = Drawing(480, 230)
    drawing.initialFontName = font  # else the renderer's first state change names Helvetica
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 70, 420, 130
    chart.data = [
        [int(r.get("clocks_yellow") or 0) for r in rows],
        [int(r.get("clocks_red") or 0) for r in rows],
    ]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = content.chart_names
    _style_axes(chart, font, count=len(rows))
    # Whole numbers of clocks: about five steps up to the tallest column.
    tallest = max((y + r for y, r in zip(*chart.data, strict=True)), default=0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, math.ceil(tallest / 5))
    chart.valueAxis.valueMax = max(chart.valueAxis.valueStep * 5, tallest)
    chart.bars[0].fillColor = colors.HexColor(_YELLOW)
    chart.bars[1].fillColor = colors.HexColor(_RED)
    chart.bars.strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.fontName = font
    legend.fontSize = 8
    legend.x, legend.y = 300, 222
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (colors.HexColor(_YELLOW), content.legend[0]),
        (colors.HexColor(_RED), content.legend[1]),
    ]
    drawing.add(legend)
    return drawing


def _chart_on_time(bulletin: Bulletin, content: _PdfContent, font: str) -> Any:
    """Bars: on-time conclusion rate by department over the month, in percent."""
    rows = bulletin.active_departments
    drawing = Drawing(480, 210)
    drawing.initialFontName = font
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 70, 420, 125
    chart.data = [
        [
            round(float(r["on_time_rate"]) * 100, 2) if r.get("on_time_rate") is not None else 0
            for r in rows
        ]
    ]
    chart.categoryAxis.categoryNames = content.chart_names
    _style_axes(chart, font, count=len(rows))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor = colors.HexColor(_BLUE)
    chart.bars.strokeColor = None
    drawing.add(chart)
    return drawing


def _style_axes(chart: Any, font: str, *, count: int) -> None:
    """Every label in the embedded font; names slanted when there are many departments."""
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    if count > 6:
        chart.categoryAxis.labels.angle = 40
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 4
        chart.categoryAxis.labels.dy = -2
    else:
        chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.labels.dy = -3
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _light_grey()
    chart.barLabels.fontName = font


def _light_grey() -> Any:

    return colors.HexColor("#dddddd")


@dataclass(frozen=True)
class _PdfContent:
    """Every string the PDF prints, decided before drawing so the font subset holds them."""

    title: str
    subtitle: str
    intro: str
    headings: dict[str, str]
    kpi_head: list[str]
    kpi_rows: list[list[str]]
    department_head: list[str]
    department_rows: list[list[str]]
    no_departments: str
    rank_head: list[str]
    rank_rows: list[list[str]]
    no_ranking: str
    weights: str
    yearly_head: list[str]
    yearly_rows: list[list[str]] | None
    no_yearly: str
    chart_names: list[str]
    legend: tuple[str, str]
    footer: str
    page_pattern: str
    page_numbers: str = "0123456789"

    def all_text(self) -> str:
        parts: list[str] = [_BASE_CHARACTERS]

        def walk(value: Any) -> None:
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)

        for name in self.__dataclass_fields__:
            walk(getattr(self, name))
        return "".join(parts)


def _pdf_content(bulletin: Bulletin) -> _PdfContent:
    """The bulletin's words and formatted numbers, in the bulletin's language."""
    scope = (
        _("Department: %(name)s") % {"name": bulletin.department.name}
        if bulletin.department
        else _("All departments")
    )
    indicator_keys = list(bulletin.ranking_labels)
    rank_rows = []
    for row in bulletin.ranking:
        values = {key: value for key, value, _score in indicator_rows(row)}
        rank_rows.append(
            [str(row["rank"]), str(row["name"]), f"{float(row['score']):.2f}"]
            + [indicator_text(k, values.get(k)) for k in indicator_keys]
        )
    weights = "；".join(
        f"{bulletin.ranking_labels.get(k, k)} {w:g}" for k, w in bulletin.ranking_weights.items()
    )
    return _PdfContent(
        title=bulletin.title,
        subtitle=bulletin.month_text,
        intro=_(
            "Period %(start)s to %(end)s; figures marked “now” as of %(as_of)s. %(scope)s. "
            "Every figure is computed from the platform's data by the formula given beside it."
        )
        % {
            "start": bulletin.period.date_from.isoformat(),
            "end": bulletin.period.date_to.isoformat(),
            "as_of": bulletin.period.as_of.isoformat(),
            "scope": scope,
        },
        headings={
            "kpis": _("1. Key figures"),
            "clocks": _("2. Yellow and red clocks by department"),
            "on_time": _("3. On-time conclusion rate by department"),
            "departments": _("4. Figures by department"),
            "ranking": _("5. Department ranking"),
            "yearly": _("6. Supervision and assessment items, year on year"),
        },
        kpi_head=[_("Indicator"), _("Value"), _("How it is computed")],
        kpi_rows=[[line.label, line.text, line.formula] for line in bulletin.lines],
        department_head=[_("Department")] + [_column_label(k) for k, _u in DEPARTMENT_COLUMNS],
        department_rows=[
            [str(row["name"])] + [kpi_text(row.get(k), unit) for k, unit in DEPARTMENT_COLUMNS]
            for row in bulletin.active_departments
        ],
        no_departments=_("No department has figures this month."),
        rank_head=[_("Rank"), _("Department"), _("Score (0–100)")]
        + [bulletin.ranking_labels[k] for k in indicator_keys],
        rank_rows=rank_rows,
        no_ranking=_("No department is ranked this month."),
        weights=_("Weights: %(weights)s.") % {"weights": weights},
        yearly_head=[
            _("Year"),
            _("Supervision items"),
            _("Assessment items"),
            _("Total"),
            _("Change on the year before"),
        ],
        yearly_rows=(
            [
                [
                    str(row["year"]),
                    str(row["supervision"]),
                    str(row["assessment"]),
                    str(row["total"]),
                    change_text(row.get("change_vs_previous")),
                ]
                for row in bulletin.yearly
            ]
            if bulletin.yearly is not None
            else None
        ),
        no_yearly=_("No supervision or assessment item is recorded yet."),
        chart_names=[str(row["short_name"]) for row in bulletin.active_departments],
        legend=(_("Yellow (warning)"), _("Red (overdue)")),
        footer=f"{bulletin.title} {bulletin.month_text}",
        page_pattern=_("Page %(page)s"),
    )


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as an A4 PDF in Chinese, with charts, in an embedded CJK font subset."""
    with translation.override(BULLETIN_LANGUAGE):
        content = _pdf_content(bulletin)
    with registered_cjk_font(content.all_text()) as font:
        return _pdf_render(bulletin, content, font)


def _pdf_render(bulletin: Bulletin, content: _PdfContent, font: str) -> bytes:

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.35, wordWrap="CJK", **extra
        )

    title = style("title", 18, alignment=1)
    subtitle = style("subtitle", 11, alignment=1, spaceAfter=4)
    h2 = style("h2", 13, spaceBefore=10, spaceAfter=4, keepWithNext=1)
    body = style("body", 9)
    cell = style("cell", 8)
    note = style("note", 7.5, textColor=colors.HexColor(_GREY))

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), st)

    def table(
        head: list[str],
        rows: list[list[str]],
        widths: list[float],
        *,
        numeric_from: int,
        wrap: Mapping[int, ParagraphStyle] | None = None,
    ) -> Table:
        # Columns in ``wrap`` hold long text (names, formulas): paragraphs that wrap.
        wrap = wrap or {}
        data: list[list[Any]] = [[p(h, cell) for h in head]]
        data += [[p(v, wrap[i]) if i in wrap else v for i, v in enumerate(row)] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("LEADING", (0, 0), (-1, -1), 10),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
                ]
            )
        )
        return t

    story: list[Any] = [
        p(content.title, title),
        p(content.subtitle, subtitle),
        p(content.intro, body),
        p(content.headings["kpis"], h2),
        table(
            content.kpi_head,
            content.kpi_rows,
            [52 * mm, 24 * mm, 98 * mm],
            numeric_from=1,
            wrap={0: cell, 2: note},
        ),
    ]
    if bulletin.active_departments:
        story += [
            KeepTogether(
                [p(content.headings["clocks"], h2), _chart_clocks(bulletin, content, font)]
            ),
            KeepTogether(
                [p(content.headings["on_time"], h2), _chart_on_time(bulletin, content, font)]
            ),
        ]
    story.append(p(content.headings["departments"], h2))
    if content.department_rows:
        n = len(DEPARTMENT_COLUMNS)
        story.append(
            table(
                content.department_head,
                content.department_rows,
                [48 * mm] + [126 * mm / n] * n,
                numeric_from=1,
                wrap={0: cell},
            )
        )
    else:
        story.append(p(content.no_departments, body))
    story.append(p(content.headings["ranking"], h2))
    if content.rank_rows:
        n = max(len(content.rank_head) - 3, 1)
        story.append(
            table(
                content.rank_head,
                content.rank_rows,
                [12 * mm, 50 * mm, 22 * mm] + [90 * mm / n] * (len(content.rank_head) - 3),
                numeric_from=2,
                wrap={1: cell},
            )
        )
    else:
        story.append(p(content.no_ranking, body))
    story += [Spacer(0, 2 * mm), p(content.weights, note)]
    if content.yearly_rows is not None:
        story.append(p(content.headings["yearly"], h2))
        if content.yearly_rows:
            story.append(
                table(
                    content.yearly_head,
                    content.yearly_rows,
                    [25 * mm, 35 * mm, 35 * mm, 30 * mm, 45 * mm],
                    numeric_from=1,
                )
            )
        else:
            story.append(p(content.no_yearly, body))

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor(_GREY))
        canvas.drawString(18 * mm, 10 * mm, content.footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, content.page_pattern % {"page": doc.page})
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=content.footer,
        author=bulletin.issuer or "Xiaoneng",
        subject=f"bulletin {bulletin.month:%Y-%m}",
        creator="Xiaoneng",
        invariant=1,
        initialFontName=font,
        pageCompression=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def indicator_text(key: str, value: Any) -> str:
    """A ranking indicator's raw value as people read it: a rate in percent, else a count."""
    if value is None:
        return "—"
    indicator = rules.RANKING_INDICATORS.get(key)
    if indicator is not None and indicator.normalisation is rules.Normalisation.RATE:
        return percent(float(value))
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value)) if isinstance(value, float) else str(value)


def change_text(value: Any) -> str:
    """A year-on-year change (a fraction) with its sign: ``+12.50 %``, ``-72.90 %``."""
    if value is None:
        return "—"
    return f"{float(value) * 100:+.2f} %"


# -- Excel ----------------------------------------------------------------------------------------

_NUMBER_FORMATS = {"rate": "0.00%", "days": "0.00", "count": "0"}


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    """The bulletin as an Excel workbook with the same figures as the PDF.

    Sheets: KPIs (key, label, value, formula, …), Departments, Ranking, Yearly counts (when
    the supervision room provides them), About (title, period, scope). Values are numbers,
    not text: rates are fractions shown as percentages, so a cell holds exactly the value
    :func:`~xiaoneng.dashboard.selectors.kpis` returned.
    """
    bold = Font(bold=True)
    with translation.override(BULLETIN_LANGUAGE):
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "KPIs"
        ws.append(
            [
                "key",
                _("Indicator"),
                _("Value"),
                _("How it is computed"),
                _("Numerator"),
                _("Denominator"),
                _("Period"),
                _("Unit"),
            ]
        )
        for line in bulletin.lines:
            ws.append(
                [
                    line.key,
                    line.label,
                    line.value,
                    line.formula,
                    line.numerator,
                    line.denominator,
                    line.period,
                    line.unit,
                ]
            )
            ws.cell(row=ws.max_row, column=3).number_format = _NUMBER_FORMATS.get(
                line.unit, "General"
            )
        _finish_sheet(ws, bold, widths=[24, 30, 14, 60, 30, 30, 24, 8])

        ws = wb.create_sheet("Departments")
        keys = [line.key for line in bulletin.lines]
        units = {line.key: line.unit for line in bulletin.lines}
        ws.append(
            ["department_id", "code", _("Department")]
            + [_column_label(k) for k in keys if any(k in row for row in bulletin.departments)]
        )
        present = [k for k in keys if any(k in row for row in bulletin.departments)]
        for row in bulletin.departments:
            ws.append(
                [row["department_id"], row["code"], row["name"]] + [row.get(k) for k in present]
            )
            for offset, key in enumerate(present, start=4):
                ws.cell(row=ws.max_row, column=offset).number_format = _NUMBER_FORMATS.get(
                    units[key], "General"
                )
        _finish_sheet(ws, bold, widths=[14, 14, 34] + [14] * len(present))

        ws = wb.create_sheet("Ranking")
        indicator_keys = list(bulletin.ranking_labels)
        ws.append(
            ["rank", "code", _("Department"), _("Score (0–100)")]
            + [bulletin.ranking_labels[k] for k in indicator_keys]
            + [f"{bulletin.ranking_labels[k]} ({_('score')})" for k in indicator_keys]
        )
        for row in bulletin.ranking:
            found = {key: (value, score) for key, value, score in indicator_rows(row)}
            ws.append(
                [row["rank"], row["code"], row["name"], row["score"]]
                + [found.get(k, (None, None))[0] for k in indicator_keys]
                + [found.get(k, (None, None))[1] for k in indicator_keys]
            )
        ws.append([])
        ws.append([_("Weights")])
        for key, weight in bulletin.ranking_weights.items():
            ws.append(["", key, bulletin.ranking_labels.get(key, key), weight])
        _finish_sheet(ws, bold, widths=[8, 14, 34, 14] + [16] * (2 * len(indicator_keys)))

        if bulletin.yearly is not None:
            ws = wb.create_sheet("Yearly counts")
            ws.append(
                [
                    _("Year"),
                    _("Supervision items"),
                    _("Assessment items"),
                    _("Total"),
                    _("Change on the year before"),
                ]
            )
            for row in bulletin.yearly:
                ws.append(
                    [
                        row["year"],
                        row["supervision"],
                        row["assessment"],
                        row["total"],
                        row.get("change_vs_previous"),
                    ]
                )
                ws.cell(row=ws.max_row, column=5).number_format = "+0.00%;-0.00%;0.00%"
            _finish_sheet(ws, bold, widths=[10, 16, 16, 10, 18])

        ws = wb.create_sheet("About")
        for label, value in (
            (_("Title"), bulletin.title),
            (_("Month"), f"{bulletin.month:%Y-%m}"),
            (_("Period"), f"{bulletin.period.date_from} – {bulletin.period.date_to}"),
            (_("Figures marked “now” as of"), bulletin.period.as_of.isoformat()),
            (
                _("Department"),
                bulletin.department.name if bulletin.department else _("All departments"),
            ),
            (_("Generated on"), bulletin.generated_on.isoformat()),
        ):
            ws.append([label, value])
        _finish_sheet(ws, bold, widths=[28, 50], header=False)

        wb.properties.title = f"{bulletin.title} {bulletin.month_text}"
        wb.properties.creator = "Xiaoneng"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()


def _finish_sheet(ws: Any, bold: Any, *, widths: Sequence[int], header: bool = True) -> None:

    if header:
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
