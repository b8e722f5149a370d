"""Open311 intake: keys with and without an operator, the POST's cost, concurrent intake.

Issue 5 ("Open311 GeoReport v2", "Done when"): ``xiaoneng open311-key NAME`` creates a key
without naming an operator, and the intake stays correct and cheap under load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from tests.hotline.conftest import Hotline
from tests.hotline.open311_factories import as_json, post_request, service_categories
from xiaoneng import cli
from xiaoneng.accounts.models import Role
from xiaoneng.core.errors import PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline.models import Open311Key, Ticket, TicketCategory
from xiaoneng.hotline.open311 import catalog
from xiaoneng.hotline.open311.views import _reporter_name
from xiaoneng.hotline.services.tickets import open311_key_create, ticket_register_open311

FORM = {
    "service_code": "CG01",
    "lat": "31.230416",
    "long": "121.473701",
    "description": "小区门口有人长期占道摆摊",
    "first_name": "伟",
    "last_name": "王",
    "phone": "13812345678",
}


@pytest.fixture
def categories(db: Any) -> dict[str, TicketCategory]:
    """The service tree of the Open311 tests."""
    return service_categories()


@pytest.fixture
def system_key(db: Any) -> tuple[Open311Key, str]:
    """A key created without an operator, as ``xiaoneng open311-key NAME`` makes it."""
    return open311_key_create(actor=None, name="城市随手拍")


# -- keys without an operator ----------------------------------------------------------------


def test_command_without_by_creates_a_system_key(db: Any) -> None:
    """``open311-key NAME`` alone prints a key whose digest is stored, with no creator."""
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "城市随手拍", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = Open311Key.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.created_by is None and key.name == "城市随手拍"
    assert raw not in err.getvalue() and key.name in err.getvalue()
    audit = AuditEvent.objects.get(action="hotline.open311_key_create")
    assert audit.actor is None and audit.target_id == str(key.pk)


def test_console_command_without_by_prints_only_the_key(db: Any) -> None:
    """``xiaoneng open311-key NAME``, as typed: stdout is the key alone, usable in $(...)."""
    # Through the console's alias table; cli.main itself would close the test's connection.
    out, err = io.StringIO(), io.StringIO()
    call_command(cli.ALIASES["open311-key"], "FixMyStreet", stdout=out, stderr=err)
    [raw] = out.getvalue().split()
    key = Open311Key.objects.get(key_hash=hashlib.sha256(raw.encode()).hexdigest())
    assert key.name == "FixMyStreet" and key.created_by is None
    assert "FixMyStreet" in err.getvalue() and raw not in err.getvalue()


def test_command_with_unknown_user_fails(db: Any) -> None:
    """``--by`` naming nobody is an error, and no key is made."""
    with pytest.raises(CommandError, match="nobody"):
        call_command("open311_key", "app", by="nobody", stdout=io.StringIO())
    assert not Open311Key.objects.exists()


def test_system_key_registers_without_an_actor(
    categories: dict[str, TicketCategory], system_key: tuple[Open311Key, str]
) -> None:
    """A POST with a system key makes a complete ticket: no actor, the key in its records."""
    key, raw = system_key
    response = post_request(api_key=raw, **FORM)
    assert response.status_code == 200
    [posted] = as_json(response)
    ticket = Ticket.objects.get()
    assert posted["service_request_id"] == ticket.number
    assert (ticket.channel, ticket.ticket_type, ticket.status) == ("open311", "help", "registered")
    assert ticket.category == categories["street"]
    assert ticket.reporter_name == "王伟" and ticket.reporter_phone == "13812345678"
    assert len(ticket.query_code) == 6
    event = ticket.events.get()
    assert event.actor is None and event.action == "register"
    assert event.data == {"open311_key": key.pk}
    audit = AuditEvent.objects.get(action="hotline.ticket_register")
    assert audit.actor is None and audit.target_id == str(ticket.pk)
    assert audit.data["open311_key"] == key.pk and audit.data["channel"] == "open311"


def test_operator_key_registers_as_the_operator(
    categories: dict[str, TicketCategory], hotline: Hotline
) -> None:
    """A key made ``--by`` an operator still registers its requests as that operator."""
    out = io.StringIO()
    call_command("open311_key", "app", by=hotline.operator.username, stdout=out)
    response = post_request(api_key=out.getvalue().strip(), **FORM)
    assert response.status_code == 200
    assert Ticket.objects.get().events.get().actor == hotline.operator


def test_key_of_a_demoted_operator_is_refused(
    categories: dict[str, TicketCategory], hotline: Hotline
) -> None:
    """Once its creator is no longer an operator the key files nothing (403)."""
    _, raw = open311_key_create(actor=hotline.operator, name="app")
    hotline.operator.role = Role.REVIEWER
    hotline.operator.save(update_fields=["role"])
    response = post_request(api_key=raw, **FORM)
    assert response.status_code == 403
    assert "operator" in as_json(response)[0]["description"]
    assert not Ticket.objects.exists()


def test_service_refuses_a_revoked_key(
    categories: dict[str, TicketCategory], system_key: tuple[Open311Key, str]
) -> None:
    """The service itself checks revocation, whatever the caller looked up."""
    key, _ = system_key
    key.revoked_at = dt.datetime.now(dt.UTC)
    with pytest.raises(PermissionDenied, match="revoked"):
        ticket_register_open311(key=key, category=categories["street"], description="x")
    assert not Ticket.objects.exists()


def test_a_citizen_may_not_create_a_key(hotline: Hotline) -> None:
    """A user who is not an operator cannot create a key through the service."""
    with pytest.raises(PermissionDenied):
        open311_key_create(actor=hotline.citizen, name="app")
    assert not Open311Key.objects.exists()


# -- what one POST costs ---------------------------------------------------------------------


def test_post_query_count_is_pinned(
    categories: dict[str, TicketCategory],
    system_key: tuple[Open311Key, str],
    django_assert_num_queries: Any,
) -> None:
    """A POST reads the key and the service, takes a number, writes ticket, event and audit.

    Eight statements: key, category, the day's number (one upsert), and the three inserts
    between a savepoint and its release (the test's transaction turns the service's
    transaction into a savepoint). The category is not read again by ``full_clean``.
    """
    _, raw = system_key
    post_request(api_key=raw, **FORM)  # fills Django's content-type cache, as a warm worker
    with django_assert_num_queries(8):
        response = post_request(api_key=raw, **FORM)
    assert response.status_code == 200


def test_operator_key_costs_one_more_read(
    categories: dict[str, TicketCategory], hotline: Hotline, django_assert_num_queries: Any
) -> None:
    """An operator's key reads its creator (with the department) to check they still operate."""
    _, raw = open311_key_create(actor=hotline.operator, name="app")
    post_request(api_key=raw, **FORM)
    with django_assert_num_queries(9):
        response = post_request(api_key=raw, **FORM)
    assert response.status_code == 200


def test_deleted_category_is_still_caught_by_the_database(
    categories: dict[str, TicketCategory], system_key: tuple[Open311Key, str]
) -> None:
    """Skipping the re-read of a loaded category keeps integrity: the insert checks it."""
    from django.db import IntegrityError, transaction

    key, _ = system_key
    ghost = TicketCategory(pk=987654, code="GONE", name="已删除")
    ghost._state.adding = False  # as if it had been read and then deleted by someone else
    with pytest.raises(IntegrityError), transaction.atomic():
        ticket_register_open311(key=key, category=ghost, description="x")
        # PostgreSQL and SQLite check foreign keys at commit; force the check here.
        connection.check_constraints()


@pytest.mark.django_db(transaction=True)
def test_service_map_is_kept_per_process_and_follows_changes() -> None:
    """Outside a transaction a worker keeps the services: a POST then reads only the key.

    A category saved in this process clears the map at once; one deleted behind the map's
    back (another process) is answered as an unknown code, not a server error.
    """
    tree = service_categories()
    _, raw = open311_key_create(actor=None, name="app")
    catalog.forget()
    assert post_request(api_key=raw, **FORM).status_code == 200  # reads the map
    with CaptureQueriesContext(connection) as done:
        assert post_request(api_key=raw, **FORM).status_code == 200
    # Key, the day's number, then ticket, event and audit in one transaction (whose BEGIN and
    # COMMIT only SQLite's driver shows as statements).
    statements = [q["sql"].split()[0] for q in done.captured_queries]
    assert [s for s in statements if s not in {"BEGIN", "COMMIT"}] == [
        "SELECT",
        "INSERT",
        "INSERT",
        "INSERT",
        "INSERT",
    ]
    TicketCategory.objects.create(code="CG03", name="井盖缺失", parent=tree["top"])
    assert post_request(api_key=raw, **{**FORM, "service_code": "CG03"}).status_code == 200
    assert catalog.service_category("CG04") is None
    TicketCategory.objects.create(code="CG04", name="路灯不亮", parent=tree["top"])
    assert catalog.service_category("CG04") is not None  # the map now holds CG04
    with connection.cursor() as cursor:  # another process deletes it: no signal here
        cursor.execute("DELETE FROM hotline_ticketcategory WHERE code = %s", ["CG04"])
    response = post_request(api_key=raw, **{**FORM, "service_code": "CG04"})
    assert response.status_code == 400
    assert "CG04" in as_json(response)[0]["description"]
    assert Ticket.objects.count() == 3


# -- the reporter's name (pure) --------------------------------------------------------------

LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC -'", max_size=12)
HAN = st.text(alphabet="王李张刘陈伟芳娜敏静", min_size=1, max_size=3)


@given(first=LATIN, last=LATIN)
def test_latin_names_read_first_then_last(first: str, last: str) -> None:
    """Latin names keep the Western order with one space between."""
    assert _reporter_name(first, last) == f"{first} {last}".strip()


@given(first=HAN, last=HAN)
def test_chinese_names_read_surname_first_without_space(first: str, last: str) -> None:
    """Chinese names read 姓 then 名 without a space: last_name is the surname."""
    name = _reporter_name(first, last)
    assert name == last + first and " " not in name


# -- concurrent intake (PostgreSQL) ----------------------------------------------------------

THREADS = 6
EACH = 15


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_gives_unique_numbers() -> None:
    """Six threads registering at once get no error and as many distinct numbers as tickets."""
    category = service_categories()["noise"]
    key, _ = open311_key_create(actor=None, name="load")
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def intake(n: int) -> None:
        mine: list[str] = []
        try:
            barrier.wait()
            for i in range(EACH):
                ticket = ticket_register_open311(
                    key=key,
                    category=category,
                    description=f"第{n}路第{i}件：广场舞音响太吵",
                    address="人民路1号",
                )
                mine.append(ticket.number)
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()
            with lock:
                numbers.extend(mine)

    threads = [threading.Thread(target=intake, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(numbers) == THREADS * EACH == len(set(numbers))
    stored = list(Ticket.objects.values_list("number", flat=True))
    assert sorted(stored) == sorted(numbers)
    assert AuditEvent.objects.filter(action="hotline.ticket_register").count() == len(numbers)
