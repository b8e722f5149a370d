"""Who is told of a warning and what the notice says; the fan-out tells each person once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.applications.factories import UserFactory
from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, start_test_clock
from xiaoneng.accounts.models import Role, User
from xiaoneng.clocks import services as clocks
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import WarningRecord
from xiaoneng.supervision.services.warnings import (
    kind_label,
    notice_recipients,
    notice_text,
    warnings_notify_pending,
    warnings_scan,
)

d = dt.date


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on wording do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


# -- who is told (pure) ----------------------------------------------------------------------


def person(pk: int, *, active: bool = True) -> User:
    """An unsaved user with a primary key: enough for the pure rule."""
    return User(pk=pk, username=f"u{pk}", is_active=active)


people_lists = st.lists(
    st.builds(person, st.integers(min_value=1, max_value=12), active=st.booleans()), max_size=6
)


@given(
    level=st.sampled_from(["yellow", "red"]),
    officers=st.lists(
        st.one_of(st.none(), st.builds(person, st.integers(1, 12), active=st.booleans())),
        max_size=3,
    ),
    heads=people_lists,
    office=people_lists,
)
def test_recipients_are_the_officers_and_heads_plus_the_office_at_red(
    level, officers, heads, office
):
    """Each active person once, officers first; the office only at red."""
    told = notice_recipients(level=level, officers=officers, heads=heads, office=office)
    ids = [u.pk for u in told]
    assert len(ids) == len(set(ids))
    assert all(u.is_active for u in told)
    wanted = [u for u in [*officers, *heads] if u is not None and u.is_active]
    if level == "red":
        wanted += [u for u in office if u.is_active]
    assert set(ids) == {u.pk for u in wanted}
    first_officer = next((u for u in officers if u is not None and u.is_active), None)
    if first_officer is not None:
        assert ids[0] == first_officer.pk


def test_a_yellow_warning_does_not_reach_the_office():
    """Yellow: officer and head only."""
    officer, head, office = person(1), person(2), person(3)
    told = notice_recipients(level="yellow", officers=[officer], heads=[head], office=[office])
    assert told == [officer, head]


def test_kind_labels_name_known_kinds_and_keep_unknown_codes():
    """application.promised reads as words; an unknown kind shows its code."""
    assert kind_label("application.promised") == "promised time limit (承诺办结时限)"
    assert kind_label("projects.stage") == "projects.stage"


# -- what the notice says ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_notice_names_the_item_its_department_kind_and_due_date():
    """Subject: level, label, due date; body: department, each clock's kind and due date."""
    department = DepartmentFactory(name="市场监督管理局")
    with travel_to(d(2025, 3, 3)):
        clock = start_test_clock(
            started_on=d(2025, 3, 3),
            department=department,
            kind="application.promised",
            label="SQ2025030300001 食品经营许可",
        )
    with travel_to(d(2025, 4, 1)):
        warnings_scan()
    record = WarningRecord.objects.select_related("clock", "department").get()
    subject, body = notice_text(level="red", records=[record])
    assert subject == "Overdue (red): SQ2025030300001 食品经营许可 was due on 2025-03-31"
    assert "市场监督管理局" in body
    assert "- promised time limit (承诺办结时限): due on 2025-03-31" in body
    assert "Recorded in the warnings ledger on 2025-04-01." in body
    assert clock.label in body


# -- the fan-out -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_fan_out_tells_officer_head_and_office_once_and_marks_the_records():
    """Red: the clock's officer, the department's active heads and every active office user;
    an inactive head and another department's head are not told; a second run tells nobody."""
    department = DepartmentFactory()
    officer = UserFactory(role=Role.REVIEWER, department=department)
    head = UserFactory(role=Role.HEAD, department=department)
    UserFactory(role=Role.HEAD, department=department, is_active=False)
    other_head = UserFactory(role=Role.HEAD, department=DepartmentFactory())
    office = [UserFactory(role=Role.OFFICE), UserFactory(role=Role.OFFICE)]
    with travel_to(d(2025, 3, 3)):
        clock = start_test_clock(started_on=d(2025, 3, 3), department=department)
        clocks.clock_set_officer(actor=None, clock=clock, officer=officer)
    with travel_to(d(2025, 4, 1)):
        warnings_scan()  # the after-commit task is not run here: the records wait
        assert WarningRecord.objects.filter(notified_at__isnull=True).count() == 1
        assert warnings_notify_pending() == 1
        assert warnings_notify_pending() == 0
    told = Message.objects.filter(channel="in_site").values_list("recipient_id", flat=True)
    assert sorted(told) == sorted([officer.pk, head.pk, *(u.pk for u in office)])
    assert other_head.pk not in told
    # Every channel of the notification room (in-site, SMS, email) once per person.
    assert Message.objects.filter(recipient=head).count() == 3
    record = WarningRecord.objects.get()
    assert record.notified_at is not None
    event = AuditEvent.objects.get(action="supervision.warnings_notify")
    assert event.data == {"records": [record.pk], "notices": 4}


@pytest.mark.django_db
def test_notices_are_written_in_the_platform_language(settings):
    """Whoever runs the scan, the notice is in LANGUAGE_CODE (read later by others)."""
    settings.LANGUAGE_CODE = "en"
    department = DepartmentFactory()
    head = UserFactory(role=Role.HEAD, department=department)
    with travel_to(d(2025, 3, 3)):
        start_test_clock(started_on=d(2025, 3, 3), department=department, label="X-1")
    with translation.override("zh-hans"), travel_to(d(2025, 3, 25)):
        warnings_scan()
        warnings_notify_pending()
    (message,) = Message.objects.filter(recipient=head, channel="in_site")
    assert message.subject == "Warning (yellow): X-1 is due on 2025-03-31"


@pytest.mark.django_db
def test_notices_read_in_chinese_on_a_chinese_platform(settings):
    """The default platform language (zh-Hans): the glossary's terms, 预警 / 超时."""
    settings.LANGUAGE_CODE = "zh-hans"
    department = DepartmentFactory(name="市场监督管理局")
    head = UserFactory(role=Role.HEAD, department=department)
    with travel_to(d(2025, 3, 3)):
        start_test_clock(
            started_on=d(2025, 3, 3),
            department=department,
            kind="application.promised",
            label="SQ2025030300001",
        )
    with travel_to(d(2025, 4, 1)):
        warnings_scan()
        warnings_notify_pending()
    (message,) = Message.objects.filter(recipient=head, channel="in_site")
    assert message.subject == "超时（红）：SQ2025030300001 的办结期限为 2025-03-31"
    assert "市场监督管理局 的 SQ2025030300001 已超过办结时限" in message.body
    assert "- 承诺办结时限：2025-03-31 到期" in message.body


@pytest.mark.django_db
def test_a_warning_nobody_answers_for_is_marked_without_a_message():
    """No officer and no head (and yellow, so not the office): nothing to send, yet the record
    is marked, so the fan-out does not look at it again."""
    with travel_to(d(2025, 3, 3)):
        start_test_clock(started_on=d(2025, 3, 3))
    with travel_to(d(2025, 3, 25)):
        warnings_scan()
        assert warnings_notify_pending() == 1
    assert not Message.objects.exists()
    assert WarningRecord.objects.get().notified_at is not None


@pytest.mark.django_db
def test_the_fan_out_works_in_batches_and_stops_at_its_limit(monkeypatch):
    """Batches of NOTICE_BATCH; a limit stops after about that many records."""
    from xiaoneng.supervision.services import warnings as module

    monkeypatch.setattr(module, "NOTICE_BATCH", 2)
    with travel_to(d(2025, 3, 3)):
        for _ in range(5):
            start_test_clock(started_on=d(2025, 3, 3))
    with travel_to(d(2025, 3, 25)):
        warnings_scan()
        assert warnings_notify_pending(limit=3) == 3
        assert warnings_notify_pending() == 2
    assert AuditEvent.objects.filter(action="supervision.warnings_notify").count() == 3
