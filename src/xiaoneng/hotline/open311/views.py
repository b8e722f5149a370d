"""Open311 GeoReport v2 endpoints of the 12345 hotline (docs/hotline.md, "Open311").

Plain Django views: the format comes from the extension (``.json`` / ``.xml``), errors are a
list of ``{code, description}`` with 404 for an unknown resource, 403 for a missing or bad
``api_key`` and 400 for anything else (GeoReport v2; /work/shared/design/OPEN311.md).

Which tickets are public: only those that came in through Open311 (channel ``open311``).
Tickets from the phone, web or an old department number were not filed on a public platform,
and a report (举报) must stay confidential (DOMAIN_RULES.md §7), so they are never listed.
The reporter's name, phone and ID number are never shown; free text is masked
(``mask_text``) in case a reporter typed a phone or ID number into it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from xiaoneng.accounts.models import User
from xiaoneng.clocks.models import Clock, StateChoice
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import Open311Key, Ticket, TicketCategory, TicketEvent
from xiaoneng.hotline.open311 import catalog
from xiaoneng.hotline.open311.renderers import render, render_errors
from xiaoneng.hotline.services.tickets import (
    CLOCK_KIND,
    open311_key_hash,
    ticket_register_open311,
)

DEFAULT_DAYS = 90
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000
PUBLIC_CHANNELS = (rules.Channel.OPEN311.value,)
SIX_PLACES = Decimal("0.000001")


def _no_key() -> str:
    """The one message for a missing, wrong or revoked key, in the language of the request."""
    return _("A valid api_key is required; it is missing or revoked.")


# -- helpers ---------------------------------------------------------------------------------


def _leaf_categories() -> QuerySet[TicketCategory]:
    return (
        TicketCategory.objects.filter(children__isnull=True)
        .select_related("parent")
        .order_by("code")
    )


def _service(category: TicketCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": category.parent.name if category.parent else "",
    }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _end_of_day(day: dt.date) -> str:
    """The expected datetime of a clock due on ``day``: the end of that day, local time."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone).isoformat()


def _due_dates(tickets: list[Ticket]) -> dict[str, dt.date]:
    """Due date of each ticket's hotline clock (the open one, else the last stopped)."""
    if not tickets:
        return {}
    clocks = Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id__in=[str(t.pk) for t in tickets],
        kind=CLOCK_KIND,
    ).order_by("-started_on", "-pk")
    due: dict[str, dt.date] = {}
    open_ids: set[str] = set()
    for clock in clocks:
        key = str(clock.object_id)
        running = clock.state != StateChoice.STOPPED
        # The open clock wins over any stopped one, as in clocks.selectors.clock_of_item.
        if key not in due or (running and key not in open_ids):
            due[key] = clock.due_on
            if running:
                open_ids.add(key)
    return due


def _request(ticket: Any, due: dict[str, dt.date]) -> dict[str, Any]:
    closed = ticket.status == rules.TicketStatus.CLOSED
    category = ticket.category
    due_on = due.get(str(ticket.pk))
    updated = getattr(ticket, "updated_at", None) or ticket.created_at
    return {
        "service_request_id": ticket.number,
        "status": "closed" if closed else "open",
        "status_notes": mask_text(ticket.reply) if closed else "",
        "service_name": category.name if category else "",
        "service_code": category.code if category else "",
        "description": mask_text(ticket.description),
        "agency_responsible": ticket.department.name if ticket.department else "",
        "service_notice": "",
        "requested_datetime": _iso(ticket.created_at),
        "updated_datetime": _iso(updated),
        "expected_datetime": _end_of_day(due_on) if due_on else None,
        "address": ticket.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(ticket.latitude) if ticket.latitude is not None else None,
        "long": float(ticket.longitude) if ticket.longitude is not None else None,
        "media_url": "",
    }


def _public_tickets() -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(channel__in=PUBLIC_CHANNELS)
        .select_related("category", "department")
        .annotate(updated_at=Max("events__at"))
        .order_by("-created_at", "-id")
    )


def _render_requests(tickets: list[Ticket], fmt: str) -> HttpResponse:
    due = _due_dates(tickets)
    return render("requests", [_request(t, due) for t in tickets], fmt)


def _parse_date(name: str, raw: str, errors: list[tuple[int, str]]) -> dt.datetime | None:
    value = None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        errors.append(
            (
                400,
                _("%(name)s is a W3C/ISO 8601 datetime with a time zone, got %(value)r.")
                % {"name": name, "value": raw},
            )
        )
        return None
    return value


def _key_of(data: Any) -> Open311Key | None:
    """The live key named by ``api_key``, or ``None``; read afresh on every request.

    Not cached: a revoked key must stop working at once. The creator (with their department,
    to check they are still an operator) is read only for a key that has one; the system's
    keys need one indexed read.
    """
    raw = (data.get("api_key") or "").strip()
    if not raw:
        return None
    try:
        key = Open311Key.objects.get(key_hash=open311_key_hash(raw), revoked_at__isnull=True)
    except Open311Key.DoesNotExist:
        return None
    if key.created_by_id is not None:
        key.created_by = User.objects.select_related("department").get(pk=key.created_by_id)
    return key


def _coordinate(name: str, raw: str, bound: int, errors: list[tuple[int, str]]) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) > bound:
        errors.append(
            (
                400,
                _("%(name)s is a number between -%(bound)s and %(bound)s, got %(value)r.")
                % {"name": name, "bound": bound, "value": raw},
            )
        )
        return None
    return value.quantize(SIX_PLACES)


def _reporter_name(first: str, last: str) -> str:
    """Western order for Latin names, 姓 then 名 without a space for Chinese ones."""
    if first.isascii() and last.isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"


# -- views -----------------------------------------------------------------------------------


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET services.{fmt}``: one service per leaf ticket category, grouped by its parent."""
    return render("services", [_service(c) for c in _leaf_categories()], fmt)


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """``GET services/{code}.{fmt}``: the definition of a service; it has no attributes."""
    category = _leaf_categories().filter(code=code).first()
    if category is None:
        return render_errors([(404, _("No service with the code %(code)r.") % {"code": code})], fmt)
    return render("service_definition", [{"service_code": code, "attributes": []}], fmt)


@csrf_exempt  # Clients authenticate with api_key, not with a session cookie.
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET requests.{fmt}`` lists requests; ``POST requests.{fmt}`` files one."""
    if request.method == "POST":
        return _post_request(request, fmt)
    return _list_requests(request, fmt)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    key = _key_of(data)
    if key is None:
        return render_errors([(403, _no_key())], fmt)
    errors: list[tuple[int, str]] = []
    code = (data.get("service_code") or "").strip()
    category = catalog.service_category(code)
    if not code:
        errors.append((400, _("service_code is required, got none.")))
    unknown = _("service_code is one of the codes of services.%(fmt)s, got %(code)r.") % {
        "fmt": fmt,
        "code": code,
    }
    if code and category is None:
        errors.append((400, unknown))
    lat_raw, long_raw = data.get("lat", ""), data.get("long", "")
    address = (data.get("address_string") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    latitude = longitude = None
    if lat_raw or long_raw:
        latitude = _coordinate("lat", lat_raw, 90, errors)
        longitude = _coordinate("long", long_raw, 180, errors)
    elif not address and not address_id:
        errors.append(
            (400, _("A location is required: lat and long, address_string or address_id."))
        )
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(
            (
                400,
                _("description has at most %(most)s characters, got %(count)s.")
                % {"most": MAX_DESCRIPTION, "count": len(description)},
            )
        )
    if errors:
        return render_errors(errors, fmt)
    assert category is not None
    try:
        ticket = ticket_register_open311(
            key=key,
            category=category,
            # The service's name stands in for an empty description, which Open311 allows.
            description=description or category.name,
            # No address register to resolve address_id against: it is kept as the address.
            address=(address or address_id)[:300],
            latitude=latitude,
            longitude=longitude,
            reporter_name=_reporter_name(
                (data.get("first_name") or "").strip(), (data.get("last_name") or "").strip()
            )[:100],
            reporter_phone=(data.get("phone") or "").strip()[:20],
        )
    except PermissionDenied:
        return render_errors(
            [
                (
                    403,
                    _("The api_key's creator is no longer a hotline operator; ask for a new key."),
                )
            ],
            fmt,
        )
    except InvalidInput as error:
        return render_errors([(400, str(error))], fmt)
    except IntegrityError:
        # The category was deleted after this worker read the services (catalog.py): the
        # foreign key refused the ticket. Read again; a code that is gone is unknown.
        catalog.forget()
        if catalog.service_category(code) is not None:
            raise
        return render_errors([(400, unknown)], fmt)
    item = {"service_request_id": ticket.number, "service_notice": "", "account_id": None}
    return render("posted", [item], fmt)


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.GET
    tickets = _public_tickets()
    ids = [v.strip() for v in (params.get("service_request_id") or "").split(",") if v.strip()]
    if ids:
        # The id list overrides every other filter (GeoReport v2).
        return _render_requests(list(tickets.filter(number__in=ids)[:MAX_RESULTS]), fmt)
    errors: list[tuple[int, str]] = []
    start = end = None
    if params.get("start_date"):
        start = _parse_date("start_date", params["start_date"], errors)
    if params.get("end_date"):
        end = _parse_date("end_date", params["end_date"], errors)
    status = (params.get("status") or "").strip()
    if status not in {"", "open", "closed"}:
        errors.append((400, _("status is open or closed, got %(status)r.") % {"status": status}))
    if errors:
        return render_errors(errors, fmt)
    codes = [v.strip() for v in (params.get("service_code") or "").split(",") if v.strip()]
    if codes:
        tickets = tickets.filter(category__code__in=codes)
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    tickets = tickets.filter(created_at__gte=start, created_at__lte=end)
    if status == "open":
        tickets = tickets.exclude(status=rules.TicketStatus.CLOSED)
    elif status == "closed":
        tickets = tickets.filter(status=rules.TicketStatus.CLOSED)
    return _render_requests(list(tickets[:MAX_RESULTS]), fmt)


@require_GET
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    """``GET requests/{id}.{fmt}``: a list of one request, 404 if there is no such request."""
    ticket = _public_tickets().filter(number=number).first()
    if ticket is None:
        return render_errors([(404, _("No service request %(id)r.") % {"id": number})], fmt)
    return _render_requests([ticket], fmt)


@require_GET
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """``GET tokens/{token}.{fmt}``: never a match, since a POST returns the id itself."""
    return render_errors(
        [
            (
                404,
                _("No token %(token)r: this server returns service_request_id directly.")
                % {"token": token},
            )
        ],
        fmt,
    )


@require_GET
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET servicerequestupdates.{fmt}`` (FixMyStreet extension): events in a time window."""
    params = request.GET
    if _key_of(params) is None:
        return render_errors([(403, _no_key())], fmt)
    errors: list[tuple[int, str]] = []
    start = end = None
    if params.get("start_date"):
        start = _parse_date("start_date", params["start_date"], errors)
    if params.get("end_date"):
        end = _parse_date("end_date", params["end_date"], errors)
    if errors:
        return render_errors(errors, fmt)
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    events = (
        TicketEvent.objects.filter(ticket__channel__in=PUBLIC_CHANNELS, at__gte=start, at__lte=end)
        .select_related("ticket")
        .order_by("at", "id")[:MAX_RESULTS]
    )
    items = [
        {
            "update_id": event.pk,
            "service_request_id": event.ticket.number,
            "status": "closed" if event.to_status == rules.TicketStatus.CLOSED else "open",
            "description": mask_text(event.ticket.reply)
            if event.action == rules.TicketAction.REPLY
            else "",
            "updated_datetime": _iso(event.at),
            "media_url": "",
            "external_status_code": event.to_status,
        }
        for event in events
    ]
    return render("updates", items, fmt)
