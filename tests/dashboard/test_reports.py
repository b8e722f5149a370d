"""The monthly bulletin (每月通报): the PDF and the workbook show kpis()' figures for the month.

Issue 4 part 5: "`xiaoneng report monthly --month YYYY-MM --out DIR` writes a PDF (charts
included, Chinese text in an embedded CJK font) and an Excel workbook with the same figures …
The monthly PDF and Excel open and show the same numbers as the dashboard for that month."

"Today" is frozen at 2026-11-20; the bulletin of October 2026 is a past month (its "now"
figures are as of October 31) and November's is the running month (as of today).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.applications.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, tracked_item
from xiaoneng.accounts.models import Department
from xiaoneng.clocks.models import Clock
from xiaoneng.clocks.services import clock_start, clock_stop
from xiaoneng.core.errors import InvalidInput
from xiaoneng.dashboard import reports, rules, selectors

pytestmark = pytest.mark.django_db

d = dt.date
TODAY = d(2026, 11, 20)
OCTOBER = {"date_from": d(2026, 10, 1), "date_to": d(2026, 10, 31), "today": d(2026, 10, 31)}
_labels = itertools.count()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with travel_to(TODAY):
        yield


def _clock(
    department: Department, *, started_on: dt.date, limit: int, stop: dt.date | None = None
) -> Clock:
    clock = clock_start(
        actor=None,
        item=tracked_item(),
        department=department,
        kind="application.promised",
        limit_days=limit,
        started_on=started_on,
        label=f"件{next(_labels)}",
    )
    return clock_stop(actor=None, clock=clock, on=stop) if stop else clock


@pytest.fixture
def october() -> tuple[Department, Department]:
    """Two departments' October, by hand.

    甲局 (A01): concluded on time (10-12 + 5 working days, stopped 10-16), concluded late
    (09-21 + 5, due 09-28, stopped 10-20), open and red on October 31 (10-08 + 3, due 10-12).
    乙局 (B02): concluded on time (10-19 + 10, stopped 10-23), and an open clock started
    10-26 with 5 days, due 11-02: yellow on October 31.
    """
    a = DepartmentFactory(code="A01", name="石家庄市测试甲局", short_name="甲局")
    b = DepartmentFactory(code="B02", name="石家庄市测试乙局", short_name="乙局")
    _clock(a, started_on=d(2026, 10, 12), limit=5, stop=d(2026, 10, 16))
    _clock(a, started_on=d(2026, 9, 21), limit=5, stop=d(2026, 10, 20))
    _clock(a, started_on=d(2026, 10, 8), limit=3)
    _clock(b, started_on=d(2026, 10, 19), limit=10, stop=d(2026, 10, 23))
    _clock(b, started_on=d(2026, 10, 26), limit=5)
    return a, b


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _fonts(reader: PdfReader) -> list[Any]:
    fonts = []
    for page in reader.pages:
        resources = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            fonts.append(ref.get_object())
        for ref in resources.get("/XObject", {}).values():
            xobject = ref.get_object()
            for font in xobject.get("/Resources", {}).get("/Font", {}).values():
                fonts.append(font.get_object())
    return fonts


# -- the period --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "2026/10", "", "1899-12"])
def test_a_month_must_be_written_yyyy_mm(text):
    """Anything but a real month written YYYY-MM is refused with what was expected."""
    with translation.override("en"), pytest.raises(InvalidInput, match="YYYY-MM"):
        reports.parse_month(text)


def test_a_past_month_is_reported_as_of_its_last_day_and_the_running_one_as_of_today():
    """October: 10-01…10-31, now = 10-31; November: 11-01…11-30, now = today; December is
    refused (it has not begun)."""
    october = reports.month_period(d(2026, 10, 1), today=TODAY)
    assert (october.date_from, october.date_to, october.as_of) == (
        d(2026, 10, 1),
        d(2026, 10, 31),
        d(2026, 10, 31),
    )
    november = reports.month_period(d(2026, 11, 1), today=TODAY)
    assert (november.date_to, november.as_of) == (d(2026, 11, 30), TODAY)
    with translation.override("en"), pytest.raises(InvalidInput, match="has begun"):
        reports.month_period(d(2026, 12, 1), today=TODAY)


# -- the figures -------------------------------------------------------------------------------


def test_the_bulletin_holds_kpis_figures_for_the_month(october):
    """Every KPI line's value is kpis()' for October; the departments and the ranking are
    kpis_by_department()' and department_ranking()'."""
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    expected = selectors.kpis(**OCTOBER)
    assert bulletin.figures == expected
    assert [line.key for line in bulletin.lines] == list(rules.KPI_DEFINITIONS)
    assert {line.key: line.value for line in bulletin.lines} == {
        key: expected[key] for key in rules.KPI_DEFINITIONS
    }
    # By hand: three concluded in October, one late; one red and one yellow on October 31.
    assert (expected["applications_concluded"], expected["concluded_late"]) == (3, 1)
    assert (expected["clocks_red"], expected["clocks_yellow"]) == (1, 1)
    rows = selectors.kpis_by_department(**OCTOBER)
    assert [(r["code"], r["on_time_rate"]) for r in bulletin.departments] == [
        (r["code"], r["on_time_rate"]) for r in rows
    ]
    ranking = selectors.department_ranking(**OCTOBER)
    assert [(r["rank"], r["code"], r["score"]) for r in bulletin.ranking] == [
        (r["rank"], r["code"], r["score"]) for r in ranking
    ]


def test_a_departments_bulletin_keeps_its_own_figures(october):
    """The bulletin of 甲局 holds kpis(department) and only its own rows."""
    a, _b = october
    bulletin = reports.bulletin_data(month=d(2026, 10, 1), department=a)
    assert bulletin.figures == selectors.kpis(department_id=a.pk, **OCTOBER)
    assert [r["code"] for r in bulletin.departments] == ["A01"]
    assert [r["code"] for r in bulletin.ranking] == ["A01"]
    assert bulletin.filename("pdf") == "bulletin-2026-10-A01.pdf"


def test_the_title_names_the_city_at_the_top_of_the_hierarchy(october):
    """With one city government over the departments the title names it; else it is neutral."""
    assert reports.bulletin_data(month=d(2026, 10, 1)).title == "效能月度通报"
    city = DepartmentFactory(code="130100", name="石家庄市人民政府")
    Department.objects.exclude(pk=city.pk).update(parent=city)
    assert reports.bulletin_data(month=d(2026, 10, 1)).title == "石家庄市人民政府效能月度通报"


# -- the PDF -----------------------------------------------------------------------------------


def test_the_pdf_shows_the_figures_in_chinese(october):
    """The text holds the title, the month, every KPI label and value as the dashboard
    formats it, both departments, and the section headings."""
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    text = _pdf_text(reports.bulletin_pdf(bulletin))
    flat = text.replace("\n", "")
    assert "效能月度通报" in text
    assert "2026年10月" in text
    with translation.override(reports.BULLETIN_LANGUAGE):
        for key, definition in rules.KPI_DEFINITIONS.items():
            assert str(definition.label).replace(" ", "") in flat.replace(" ", ""), key
    figures = selectors.kpis(**OCTOBER)
    assert rules.percent(figures["on_time_rate"]) in text  # 66.67 %
    assert "66.67 %" in text
    assert "石家庄市测试甲局" in flat and "石家庄市测试乙局" in flat
    assert "甲局" in text and "乙局" in text  # the charts' axis labels


def test_every_font_in_the_pdf_is_an_embedded_truetype_subset(october):
    """Only the Noto Sans SC subset is used, embedded as FontFile2; no base-14 font, not even
    in the charts."""
    content = reports.bulletin_pdf(reports.bulletin_data(month=d(2026, 10, 1)))
    fonts = _fonts(PdfReader(io.BytesIO(content)))
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/TrueType", font
        assert "NotoSansSC" in str(font["/BaseFont"])
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
    assert b"Helvetica" not in content


def test_the_pdf_draws_its_charts(october):
    """The two charts are drawn: the first page or two hold vector bars beside the text."""
    import pypdfium2

    content = reports.bulletin_pdf(reports.bulletin_data(month=d(2026, 10, 1)))
    document = pypdfium2.PdfDocument(content)
    objects = [obj.type for page in document for obj in page.get_objects(max_depth=3)]
    # Bars, grid lines and legend swatches are path objects (type 2); text alone has none
    # but the table grid, so a chart adds dozens.
    assert objects.count(pypdfium2.raw.FPDF_PAGEOBJ_PATH) > 40


def test_an_empty_month_still_gives_a_document(db):
    """With no data at all the bulletin is a valid PDF saying so, not an error."""
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    text = _pdf_text(reports.bulletin_pdf(bulletin))
    assert "效能月度通报" in text


# -- the workbook ------------------------------------------------------------------------------


def test_the_workbook_holds_the_same_numbers(october):
    """KPIs, Departments and Ranking sheets hold kpis()' values as numbers, formatted like
    the dashboard (rates as percentages)."""
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    workbook = load_workbook(io.BytesIO(reports.bulletin_xlsx(bulletin)))
    assert {"KPIs", "Departments", "Ranking", "About"} <= set(workbook.sheetnames)
    figures = selectors.kpis(**OCTOBER)
    sheet = workbook["KPIs"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "key"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(rules.KPI_DEFINITIONS)
    for key in rules.KPI_DEFINITIONS:
        assert rows[key][2].value == figures[key], key
        assert rows[key][3].value  # the formula
    assert rows["on_time_rate"][2].number_format == "0.00%"
    departments = workbook["Departments"]
    dept_header = [c.value for c in departments[1]]
    by_code = {row[1].value: row for row in departments.iter_rows(min_row=2)}
    for row in selectors.kpis_by_department(**OCTOBER):
        cells = by_code[row["code"]]
        for key in ("applications_concluded", "on_time_rate", "clocks_red", "clocks_yellow"):
            label = str(rules.KPI_DEFINITIONS[key].label)
            with translation.override(reports.BULLETIN_LANGUAGE):
                label = str(rules.KPI_DEFINITIONS[key].label)
            assert cells[dept_header.index(label)].value == row[key], (row["code"], key)
    ranking = workbook["Ranking"]
    ranked = [
        (r[0].value, r[1].value, r[3].value)
        for r in ranking.iter_rows(min_row=2)
        if isinstance(r[0].value, int)
    ]
    assert ranked == [
        (r["rank"], r["code"], r["score"]) for r in selectors.department_ranking(**OCTOBER)
    ]


def test_the_yearly_counts_section_appears_when_the_supervision_room_provides_them(
    october, monkeypatch
):
    """Given year-on-year supervision counts, both documents show them (a change is a
    fraction: +14.29 % in the PDF, the fraction itself in the workbook)."""
    rows = [
        {
            "year": 2025,
            "supervision": 12,
            "assessment": 30,
            "total": 42,
            "change_vs_previous": None,
        },
        {
            "year": 2026,
            "supervision": 15,
            "assessment": 33,
            "total": 48,
            "change_vs_previous": 6 / 42,
        },
    ]
    monkeypatch.setattr(reports, "supervision_yearly", lambda: rows)
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    workbook = load_workbook(io.BytesIO(reports.bulletin_xlsx(bulletin)))
    sheet = workbook["Yearly counts"]
    assert [c.value for c in sheet[3]] == [2026, 15, 33, 48, pytest.approx(6 / 42)]
    text = _pdf_text(reports.bulletin_pdf(bulletin))
    assert "+14.29 %" in text and "48" in text
    department = Department.objects.get(code="A01")
    assert reports.bulletin_data(month=d(2026, 10, 1), department=department).yearly is None


def test_the_supervision_rooms_yearly_counts_are_read(october):
    """Without stubbing, the section holds supervision_yearly_counts()' rows (none yet)."""
    from xiaoneng.supervision.selectors.tasks import supervision_yearly_counts

    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    assert bulletin.yearly == supervision_yearly_counts()
