"""The pure rules: transition tables, allowed actions, the Art. 32(4) window, materials, files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.applications.factories import jpeg_bytes, ofd_bytes, pdf_bytes, png_bytes
from xiaoneng.applications import files, rules
from xiaoneng.applications.rules import Action, Capacity, MaterialFacts, Status
from xiaoneng.calendars.rules import WorkdayCalendar
from xiaoneng.core.errors import Conflict, InvalidInput

CALENDAR = WorkdayCalendar(
    covered_years=range(2004, 2027),
    holidays=chinese_calendar.holidays,
    adjusted_workdays=chinese_calendar.workdays,
)
KINDS = [rules.MatterKind.PROMISED, rules.MatterKind.INSTANT]


# -- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_edge_cites_its_rule_and_has_capacities(kind):
    """Each edge names the rule that asks for it and who may take it; no duplicate edges."""
    edges = rules.PROMISED_TRANSITIONS if kind == "promised" else rules.INSTANT_TRANSITIONS
    assert len({(e.source, e.action) for e in edges}) == len(edges)
    for edge in edges:
        assert edge.rule.strip()
        assert edge.capacities
        at = edge.target
        for follow in edge.then:
            at = rules.table(kind)[(at, follow)].target


@pytest.mark.parametrize("kind", KINDS)
def test_reasons_are_required_where_the_law_asks(kind):
    """Refusal, supplement notice, denial, pause and extension need a reason."""
    needing = {e.action for e in rules.table(kind).values() if e.reason_required}
    expected = {Action.REJECT, Action.REQUEST_SUPPLEMENT, Action.DENY}
    if kind == "promised":
        expected |= {Action.PAUSE, Action.EXTEND}
    assert needing == expected


def test_roles_per_action():
    """Front desk accepts; reviewers and heads decide; the head extends; applicants supplement."""
    table = rules.table("promised")
    front = {Capacity.WINDOW, Capacity.REVIEWER}
    review = {Capacity.REVIEWER, Capacity.HEAD}
    assert table[(Status.SUBMITTED, Action.ACCEPT)].capacities == front
    assert table[(Status.SUBMITTED, Action.REJECT)].capacities == front
    assert table[(Status.SUBMITTED, Action.REQUEST_SUPPLEMENT)].capacities == front
    assert table[(Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT)].capacities == {
        Capacity.APPLICANT
    }
    for action in (Action.PAUSE, Action.APPROVE, Action.DENY):
        assert table[(Status.ACCEPTED, action)].capacities == review
    assert table[(Status.PAUSED, Action.RESUME)].capacities == review
    assert table[(Status.APPROVED, Action.CONCLUDE)].capacities == review
    assert table[(Status.ACCEPTED, Action.EXTEND)].capacities == {Capacity.HEAD}
    assert table[(Status.PAUSED, Action.EXTEND)].capacities == {Capacity.HEAD}
    assert table[(Status.CONCLUDED, Action.DELIVER)].capacities == front
    assert table[(Status.SUBMITTED, Action.DEEM_ACCEPTED)].capacities == {Capacity.SYSTEM}


def test_instant_acceptance_walks_to_concluded():
    """即办件: accept → approve → conclude in one walk."""
    path = rules.walk("instant", "submitted", "accept")
    assert [(e.action, e.target) for e in path] == [
        (Action.ACCEPT, Status.ACCEPTED),
        (Action.APPROVE, Status.APPROVED),
        (Action.CONCLUDE, Status.CONCLUDED),
    ]
    assert [e.target for e in rules.walk("promised", "submitted", "accept")] == [Status.ACCEPTED]


def test_not_allowed_is_a_conflict_naming_status_action_and_what_is_allowed():
    """The message names the status, the action and the allowed actions; details carry both."""
    with pytest.raises(Conflict) as caught:
        rules.edge("promised", "approved", "approve")
    assert "approved" in caught.value.message
    assert "conclude" in caught.value.message
    assert caught.value.details == {"status": "approved", "action": "approve"}


def test_allowed_actions_by_capacity():
    """What each capacity may do on a submitted promised application."""
    assert rules.allowed_actions("promised", "submitted", [Capacity.WINDOW]) == [
        Action.ACCEPT,
        Action.REJECT,
        Action.REQUEST_SUPPLEMENT,
    ]
    assert rules.allowed_actions("promised", "submitted", [Capacity.APPLICANT]) == []
    assert rules.allowed_actions("promised", "accepted", [Capacity.HEAD]) == [
        Action.PAUSE,
        Action.EXTEND,
        Action.APPROVE,
        Action.DENY,
    ]
    assert rules.allowed_actions("promised", "delivered", list(Capacity)) == []


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    actions=st.lists(st.sampled_from(list(Action)), max_size=30),
)
def test_any_sequence_of_actions_stays_in_the_table(kind, actions):
    """Whatever is tried, the status stays one the table knows and every step is one edge."""
    status = Status.SUBMITTED
    events = 0
    known = {e.source for e in rules.table(kind).values()} | {
        e.target for e in rules.table(kind).values()
    }
    for action in actions:
        try:
            path = rules.walk(kind, status, action)
        except Conflict:
            continue
        for edge in path:
            assert edge.source == status
            status = edge.target
            events += 1
        assert status in known
    assert events <= 3 * len(actions)
    if status in rules.FINAL_STATUSES:
        assert rules.allowed_actions(kind, status, list(Capacity)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_final_statuses_have_no_way_out_and_others_do(kind):
    """Not accepted and delivered are final; every other reachable status has an edge out."""
    reachable = {Status.SUBMITTED} | {e.target for e in rules.table(kind).values()}
    for status in reachable:
        outgoing = rules.allowed_actions(kind, status, list(Capacity))
        assert (not outgoing) == (status in rules.FINAL_STATUSES), status


# -- Art. 32(4) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (dt.date(2025, 3, 3), dt.date(2025, 3, 10)),  # Monday → next Monday
        (dt.date(2025, 3, 1), dt.date(2025, 3, 10)),  # Saturday counts from Monday
        (dt.date(2024, 9, 27), dt.date(2024, 10, 10)),  # over National Day; 09-29 works
    ],
)
def test_supplement_deadline_is_the_fifth_working_day(received, deadline):
    """The notice window ends on the 5th working day after receipt (Art. 32(4), §1)."""
    assert rules.supplement_deadline(CALENDAR, received) == deadline
    assert not rules.supplement_too_late(CALENDAR, received, deadline)
    assert rules.supplement_too_late(CALENDAR, received, deadline + dt.timedelta(days=1))


# -- materials -------------------------------------------------------------------------------


def _m(i, replacement="none", necessity="required", license_type=""):
    return MaterialFacts(i, f"m{i}", necessity, replacement, license_type)


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("none", None),
        ("cancelled", "replaced"),
        ("data_sharing", "replaced"),
        ("verification", "replaced"),
        ("e_license", "replaced"),
        ("commitment", None),
    ],
)
def test_automatic_satisfaction_by_replacement(replacement, expected):
    """Replaced certificates are never asked for; commitment waits for the promise."""
    found = rules.automatic_satisfaction(_m(1, replacement), held_license_types=[])
    assert (found.value if found else None) == expected


def test_held_e_license_is_attached():
    """A material whose e-license type the applicant holds is satisfied by that license."""
    material = _m(1, "e_license", license_type="营业执照")
    assert rules.automatic_satisfaction(material, held_license_types=["营业执照"]) == "e_license"


def test_requirements_and_missing():
    """Only required materials can be missing; optional and conditional never block."""
    materials = [_m(1), _m(2, necessity="optional"), _m(3, necessity="conditional"), _m(4)]
    missing = rules.missing(materials, {4: ["uploaded"]})
    assert [r.material_id for r in missing] == [1]
    requirements = rules.requirements(materials, {4: ["uploaded", "uploaded"]})
    assert requirements[3].satisfied_by == ("uploaded",)
    assert not requirements[1].needed


# -- identity numbers ------------------------------------------------------------------------


def test_require_text():
    """Blank reasons are refused."""
    assert rules.require_text("  x ", "A reason") == "x"
    with pytest.raises(InvalidInput, match="A reason"):
        rules.require_text(" ", "A reason")


# -- file sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), "PDF"),
        (png_bytes(), "PNG"),
        (jpeg_bytes(), "JPEG"),
        (ofd_bytes(), "OFD"),
        (b"MZ\x90\x00", None),
        (b"<html>", None),
        (b" %PDF-1.4", None),  # the signature must open the file
    ],
)
def test_sniff(content, expected):
    """The type comes from the first bytes (and the ZIP's entries for OFD)."""
    found = files.sniff(io.BytesIO(content))
    assert (found.name if found else None) == expected


def test_a_zip_without_ofd_xml_is_not_ofd():
    """An ordinary ZIP (e.g. a .docx) renamed .ofd is refused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InvalidInput):
        files.check_upload(
            io.BytesIO(buffer.getvalue()),
            name="x.ofd",
            size=len(buffer.getvalue()),
            max_bytes=10**6,
        )


@pytest.mark.parametrize(
    ("name", "extension"),
    [("a.PDF", ".pdf"), ("dir/a.tar.gz", ".gz"), ("noext", ""), (".hidden", ""), ("a.", "")],
)
def test_extension_of(name, extension):
    """Extensions are lower-cased; a name without one has none."""
    assert files.extension_of(name) == extension


def test_the_docs_show_every_edge_of_the_promised_table():
    """docs/applications.md lists each promised edge as it is in the data."""
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "applications.md").read_text(encoding="utf-8")
    for edge in rules.PROMISED_TRANSITIONS:
        caps = ", ".join(sorted(c.value for c in edge.capacities))
        row = f"| `{edge.source.value}` | `{edge.action.value}` | `{edge.target.value}` | {caps} |"
        assert row in docs, row
