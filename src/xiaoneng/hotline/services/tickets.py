"""Every write of the 12345 hotline (DOMAIN_RULES.md §7): register, dispatch, handle, visit.

Each service is keyword-only with ``actor``, owns its transaction, locks the ticket row,
checks the action against :data:`xiaoneng.hotline.rules.TRANSITIONS` (``Conflict`` when not
allowed, ``PermissionDenied`` when the actor may not take it), appends a
:class:`~xiaoneng.hotline.models.TicketEvent` and an audit event.

Operators: ``accounts.Role`` has no operator role and adding one would need a migration of
the accounts room, so the hotline operators are the window officers of the hotline centre
department (setting ``HOTLINE_CENTRE_DEPARTMENT_CODE``, default ``"12345"``), plus the
efficiency office and administrators.

Clock (kind ``hotline.ticket``, working days): starts on dispatch, with the handling
department and the limit of :func:`limit_days_for`; the accepting officer becomes its
responsible officer; it stops on the reply. A send-back (退单) stops it too: the department
is not charged for a ticket that was not its own; a new clock starts on the next dispatch. A
dissatisfied return visit reopens the ticket to the same department on a new clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.clocks import services as clock_services
from xiaoneng.clocks.models import Clock, StateChoice
from xiaoneng.clocks.selectors import clock_of_item
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import (
    HotlineNumber,
    Open311Key,
    Ticket,
    TicketCategory,
    TicketClockRule,
    TicketDaySequence,
    TicketEvent,
)
from xiaoneng.notifications.services import notify

CLOCK_KIND = "hotline.ticket"
DEFAULT_CENTRE_CODE = "12345"
DEFAULT_MAX_REOPENS = 1
STAFF_ROLES = frozenset({Role.WINDOW, Role.REVIEWER, Role.HEAD})


# -- who is who ------------------------------------------------------------------------------


def centre_code() -> str:
    """Code of the hotline centre department: setting ``HOTLINE_CENTRE_DEPARTMENT_CODE``."""
    return str(getattr(settings, "HOTLINE_CENTRE_DEPARTMENT_CODE", DEFAULT_CENTRE_CODE))


def max_reopens() -> int:
    """How often a dissatisfied visit may reopen a ticket: ``HOTLINE_MAX_REOPENS`` (1)."""
    return int(getattr(settings, "HOTLINE_MAX_REOPENS", DEFAULT_MAX_REOPENS))


def is_operator(user: Any) -> bool:
    """A hotline operator: window officer of the centre department, or the office/admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_office:
        return True
    department = user.department
    return bool(
        user.role == Role.WINDOW and department is not None and department.code == centre_code()
    )


def is_department_staff(user: Any, ticket: Ticket) -> bool:
    """Staff (window, reviewer, head) of the ticket's handling department."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in STAFF_ROLES
        and ticket.department_id is not None
        and user.department_id == ticket.department_id
    )


def limit_days_for(ticket_type: str, urgency: str) -> int:
    """Working days for (type, urgency): a ``TicketClockRule`` row, else the rules default."""
    row = TicketClockRule.objects.filter(ticket_type=ticket_type, urgency=urgency).first()
    if row is not None:
        return row.limit_days
    return rules.default_limit_days(ticket_type, urgency)


# -- helpers ---------------------------------------------------------------------------------


def _require_operator(actor: Any) -> None:
    if not is_operator(actor):
        raise PermissionDenied(
            _("Only hotline operators (window officers of department %(code)s) may do this.")
            % {"code": centre_code()}
        )


def _check_actor(actor: Any, ticket: Ticket, action: rules.TicketAction) -> None:
    if rules.actor_of(ticket.status, action) == rules.Actor.OPERATOR:
        _require_operator(actor)
    elif not is_department_staff(actor, ticket):
        raise PermissionDenied(
            _("Only staff of the handling department may do this; you are not one of them.")
        )


def _require_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("%(what)s is required, got an empty text.") % {"what": what})
    return text


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _sync(target: Ticket, source: Ticket) -> None:
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _open_clock(ticket: Ticket) -> Clock | None:
    clock = clock_of_item(item=ticket, kind=CLOCK_KIND)
    if clock is None or clock.state == StateChoice.STOPPED:
        return None
    return clock


def _start_clock(*, actor: Any, ticket: Ticket) -> Clock:
    assert ticket.department is not None
    return clock_services.clock_start(
        actor=actor,
        item=ticket,
        department=ticket.department,
        kind=CLOCK_KIND,
        limit_days=limit_days_for(ticket.ticket_type, ticket.urgency),
        started_on=timezone.localdate(),
        label=ticket.number,
        officer=ticket.officer,
    )


def _stop_clock(*, actor: Any, ticket: Ticket) -> None:
    clock = _open_clock(ticket)
    if clock is not None:
        clock_services.clock_stop(actor=actor, clock=clock, on=timezone.localdate())


def _move(
    *,
    actor: Any,
    ticket: Ticket,
    action: rules.TicketAction,
    reason: str = "",
    data: dict[str, Any] | None = None,
    check: bool = True,
) -> str:
    """Check and apply ``action`` to the locked ``ticket``; record the event and audit."""
    before = ticket.status
    after = rules.next_status(
        before, action, reopen_count=ticket.reopen_count, max_reopens=max_reopens()
    )
    if check:
        _check_actor(actor, ticket, action)
    ticket.status = after.value
    if after == rules.TicketStatus.CLOSED:
        ticket.closed_at = timezone.now()
    ticket.full_clean()
    ticket.save()
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        action=action.value,
        from_status=before,
        to_status=after.value,
        reason=mask_text(reason),
        data=data or {},
    )
    audit_record(
        actor=actor,
        action=f"hotline.ticket_{action.value}",
        target=ticket,
        summary=_("Ticket %(number)s: %(before)s → %(after)s")
        % {"number": ticket.number, "before": before or "-", "after": after.value},
        data={"from": before, "to": after.value, "reason": mask_text(reason), **(data or {})},
    )
    return before


def _next_number(day: dt.date) -> str:
    """The next ticket number of ``day``: one upsert on the day's sequence row.

    Run in autocommit (its own statement, before the ticket's transaction), so the row lock
    is held for one statement only and concurrent registrations never wait on each other's
    transactions. A ticket whose transaction then fails leaves a gap in the day's numbers,
    which is harmless: numbers are unique, not dense.
    """
    table = connection.ops.quote_name(TicketDaySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - quoted table name
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (sequence,) = cursor.fetchone()
    return f"GD{day:%Y%m%d}{int(sequence):05d}"


# -- services --------------------------------------------------------------------------------


def ticket_register(
    *,
    actor: Any,
    channel: str,
    ticket_type: str,
    description: str,
    urgency: str = rules.Urgency.ORDINARY.value,
    category: TicketCategory | None = None,
    hotline_number: HotlineNumber | None = None,
    address: str = "",
    district: str = "",
    latitude: Any = None,
    longitude: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_id_number: str = "",
    reporter: User | None = None,
) -> Ticket:
    """Register a request (受理): a new ticket numbered GD<date><sequence>, status registered.

    Anonymous requests are allowed (empty name, phone and ID). A ticket from an old department
    hotline (channel ``old_number``) names that number and takes its default category.

    Raises:
        PermissionDenied: the actor is not a hotline operator.
        InvalidInput: an unknown channel, type or urgency, an empty description, or an old
            number missing or given with another channel.
    """
    _require_operator(actor)
    return _register(
        actor=actor,
        channel=channel,
        ticket_type=ticket_type,
        description=description,
        urgency=urgency,
        category=category,
        hotline_number=hotline_number,
        address=address,
        district=district,
        latitude=latitude,
        longitude=longitude,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_id_number=reporter_id_number,
        reporter=reporter,
    )


def ticket_submit_web(
    *,
    reporter: User | None,
    ticket_type: str,
    description: str,
    category: TicketCategory | None = None,
    address: str = "",
    district: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
) -> Ticket:
    """A citizen files a request on the web form (channel ``web``), signed in or anonymous.

    The ticket is registered as an operator would register it, with the reporter (or nobody,
    for an anonymous request) as the actor, and waits in the operators' queue for dispatch.
    The caller shows the ticket number and its query code, which together look it up.

    Raises:
        InvalidInput: an unknown type, an empty description.
    """
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    return _register(
        actor=reporter,
        channel=rules.Channel.WEB.value,
        ticket_type=ticket_type,
        description=description,
        category=category,
        address=address,
        district=district,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter=reporter,
    )


def _register(
    *,
    actor: Any,
    channel: str,
    ticket_type: str,
    description: str,
    urgency: str = rules.Urgency.ORDINARY.value,
    category: TicketCategory | None = None,
    hotline_number: HotlineNumber | None = None,
    address: str = "",
    district: str = "",
    latitude: Any = None,
    longitude: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_id_number: str = "",
    reporter: User | None = None,
) -> Ticket:
    for value, enum, what in (
        (channel, rules.Channel, _("channel")),
        (ticket_type, rules.TicketType, _("type")),
        (urgency, rules.Urgency, _("urgency")),
    ):
        if value not in {m.value for m in enum}:
            raise InvalidInput(
                _("The %(what)s is one of %(known)s, got %(value)r.")
                % {"what": what, "known": ", ".join(m.value for m in enum), "value": value}
            )
    text = _require_text(description, _("The description"))
    is_old = channel == rules.Channel.OLD_NUMBER
    if is_old != (hotline_number is not None):
        raise InvalidInput(
            _(
                "An old hotline number goes with the channel old_number and only with it; got "
                "channel %(channel)s and number %(number)s."
            )
            % {"channel": channel, "number": hotline_number.number if hotline_number else "-"}
        )
    if category is None and hotline_number is not None:
        category = hotline_number.default_category
    ticket = Ticket(
        channel=channel,
        hotline_number=hotline_number,
        ticket_type=ticket_type,
        category=category,
        urgency=urgency,
        address=address.strip(),
        district=district.strip(),
        latitude=latitude,
        longitude=longitude,
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        reporter_id_number=reporter_id_number.strip().upper(),
        reporter=reporter,
        description=text,
        query_code=f"{secrets.randbelow(10**6):06d}",
    )
    ticket.full_clean(exclude=["number"], validate_unique=False)
    # Numbered only once the ticket is known to be valid, so bad input leaves no gap.
    ticket.number = _next_number(timezone.localdate())
    with transaction.atomic():
        ticket.save()
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            action=rules.TicketAction.REGISTER.value,
            from_status="",
            to_status=ticket.status,
        )
        audit_record(
            actor=actor,
            action="hotline.ticket_register",
            target=ticket,
            summary=_("Ticket %(number)s registered") % {"number": ticket.number},
            data={"channel": channel, "type": ticket_type, "urgency": urgency},
        )
    return ticket


def ticket_close_not_accepted(*, actor: Any, ticket: Ticket, reason: str) -> Ticket:
    """Close a request the hotline does not accept (§7), telling the channel to use instead.

    ``reason`` is one of :class:`xiaoneng.hotline.rules.NotAccepted`; the redirect is stored
    as the reply.
    """
    # Stored in the language of the request, as the caller is told it.
    redirect = _(rules.redirect_for(reason))
    with transaction.atomic():
        locked = _lock(ticket)
        locked.not_accepted_reason = reason
        locked.reply = redirect
        _move(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.CLOSE_NOT_ACCEPTED,
            reason=reason,
            data={"redirect": redirect},
        )
    _sync(ticket, locked)
    return locked


def ticket_answer_directly(*, actor: Any, ticket: Ticket, answer: str) -> Ticket:
    """Answer at first contact from the knowledge base and close (直办); no clock runs."""
    text = _require_text(answer, _("The answer"))
    with transaction.atomic():
        locked = _lock(ticket)
        locked.reply = text
        _move(actor=actor, ticket=locked, action=rules.TicketAction.ANSWER_DIRECTLY)
    _sync(ticket, locked)
    return locked


def ticket_dispatch(*, actor: Any, ticket: Ticket, department: Department) -> Ticket:
    """Dispatch to a department (派单): its clock starts and its staff are told."""
    with transaction.atomic():
        locked = _lock(ticket)
        locked.department = department
        locked.dispatcher = actor
        locked.officer = None
        _move(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.DISPATCH,
            data={"department": department.pk},
        )
        clock = _start_clock(actor=actor, ticket=locked)
        staff = User.objects.filter(
            department=department, role__in=list(STAFF_ROLES), is_active=True
        ).order_by("pk")
        for person in staff:
            notify(
                recipient=person,
                subject=_("New hotline ticket %(number)s") % {"number": locked.number},
                body=_("Ticket %(number)s was dispatched to your department; due %(due)s.")
                % {"number": locked.number, "due": clock.due_on.isoformat()},
                related=locked,
                channels=("in_site",),
                actor=actor,
            )
    _sync(ticket, locked)
    return locked


def ticket_accept(*, actor: Any, ticket: Ticket) -> Ticket:
    """The department accepts (签收); the accepting officer answers for the clock."""
    with transaction.atomic():
        locked = _lock(ticket)
        locked.officer = actor
        _move(actor=actor, ticket=locked, action=rules.TicketAction.ACCEPT)
        clock = _open_clock(locked)
        if clock is not None:
            clock_services.clock_set_officer(actor=actor, clock=clock, officer=actor)
    _sync(ticket, locked)
    return locked


def ticket_return(*, actor: Any, ticket: Ticket, reason: str) -> Ticket:
    """Send back to the dispatcher (退单) with a reason; the department's clock stops."""
    text = _require_text(reason, _("The reason for sending the ticket back"))
    with transaction.atomic():
        locked = _lock(ticket)
        department = locked.department
        _move(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.RETURN,
            reason=text,
            data={"department": department.pk if department else None},
        )
        _stop_clock(actor=actor, ticket=locked)
        locked.department = None
        locked.officer = None
        locked.save(update_fields=["department", "officer"])
        if locked.dispatcher is not None:
            notify(
                recipient=locked.dispatcher,
                subject=_("Ticket %(number)s sent back") % {"number": locked.number},
                body=mask_text(text),
                related=locked,
                channels=("in_site",),
                actor=actor,
            )
    _sync(ticket, locked)
    return locked


def ticket_reply(*, actor: Any, ticket: Ticket, reply: str) -> Ticket:
    """The department replies (答复); the clock stops and the reporter with an account is told."""
    text = _require_text(reply, _("The reply"))
    with transaction.atomic():
        locked = _lock(ticket)
        locked.reply = text
        _move(actor=actor, ticket=locked, action=rules.TicketAction.REPLY)
        _stop_clock(actor=actor, ticket=locked)
        if locked.reporter is not None:
            notify(
                recipient=locked.reporter,
                subject=_("Reply to your request %(number)s") % {"number": locked.number},
                body=text,
                related=locked,
                channels=("in_site",),
                actor=actor,
            )
    _sync(ticket, locked)
    return locked


def ticket_return_visit(*, actor: Any, ticket: Ticket, level: object, note: str = "") -> Ticket:
    """Record the return visit (回访) with a level 1–5.

    Satisfied (3–5) → closed. Dissatisfied (1–2) → reopened to the same department on a new
    clock while ``reopen_count < HOTLINE_MAX_REOPENS`` (default 1), else closed as dissatisfied.
    """
    satisfaction = rules.satisfaction_of(level)
    with transaction.atomic():
        locked = _lock(ticket)
        locked.satisfaction = int(satisfaction)
        if not rules.is_dissatisfied(satisfaction):
            action = rules.TicketAction.VISIT_SATISFIED
        elif locked.reopen_count < max_reopens():
            action = rules.TicketAction.VISIT_REOPEN
        else:
            action = rules.TicketAction.VISIT_CLOSE_DISSATISFIED
        _move(
            actor=actor,
            ticket=locked,
            action=action,
            reason=note,
            data={"satisfaction": int(satisfaction)},
        )
        if action == rules.TicketAction.VISIT_REOPEN:
            # Counted after the move: the table checks the count as it was before this reopen.
            locked.reopen_count += 1
            locked.save(update_fields=["reopen_count"])
            _start_clock(actor=actor, ticket=locked)
    _sync(ticket, locked)
    return locked


# -- Open311 keys (docs/hotline.md, "Open311") -----------------------------------------------


def open311_key_hash(raw: str) -> str:
    """SHA-256 hex digest of an Open311 key: what is stored and looked up."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def open311_key_create(*, actor: Any, name: str) -> tuple[Open311Key, str]:
    """Create an Open311 API key for a client; returns the row and the key, shown only once.

    The creating operator registers every request posted with the key (``ticket_register``
    accepts operators only), so ``actor`` must be a hotline operator.

    Raises:
        PermissionDenied: the actor is not a hotline operator.
        InvalidInput: an empty name.
    """
    _require_operator(actor)
    text = _require_text(name, _("The key's name"))
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = Open311Key(name=text[:100], key_hash=open311_key_hash(raw), created_by=actor)
        key.full_clean()
        key.save()
        audit_record(
            actor=actor,
            action="hotline.open311_key_create",
            target=key,
            summary=_("Open311 key %(name)s created") % {"name": key.name},
            data={"name": key.name},
        )
    return key, raw
