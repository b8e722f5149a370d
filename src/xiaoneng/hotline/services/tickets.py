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
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.applications import files
from xiaoneng.clocks import services as clock_services
from xiaoneng.clocks.models import Clock, StateChoice
from xiaoneng.clocks.selectors import clock_of_item
from xiaoneng.core.errors import Conflict, InvalidInput, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import (
    HotlineNumber,
    Open311Key,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketClockRule,
    TicketDaySequence,
    TicketEvent,
)
from xiaoneng.notifications.services import notify
from xiaoneng.supervision.models import SupervisionTask
from xiaoneng.supervision.services.tasks import supervision_task_create

CLOCK_KIND = "hotline.ticket"
DEFAULT_CENTRE_CODE = "12345"
DEFAULT_MAX_REOPENS = 1
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB, as for application materials
MAX_ATTACHMENTS = 5  # files per ticket
DEFAULT_ESCALATION_LIMIT_DAYS = 10  # working days the supervised unit gets (督办时限)
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


def require_operator(actor: Any) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` is a hotline operator (or the office)."""
    if not is_operator(actor):
        raise PermissionDenied(
            _("Only hotline operators (window officers of department %(code)s) may do this.")
            % {"code": centre_code()}
        )


def _check_actor(actor: Any, ticket: Ticket, action: rules.TicketAction) -> None:
    if rules.actor_of(ticket.status, action) == rules.Actor.OPERATOR:
        require_operator(actor)
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
    require_operator(actor)
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
    attachments: Sequence[UploadedFile] = (),
) -> Ticket:
    """A citizen files a request on the web form (channel ``web``), signed in or anonymous.

    The ticket is registered as an operator would register it, with the reporter (or nobody,
    for an anonymous request) as the actor, and waits in the operators' queue for dispatch.
    The caller shows the ticket number and its query code, which together look it up.

    ``attachments`` (uploaded files, at most :data:`MAX_ATTACHMENTS`) are all or nothing:
    every file is checked (type sniffed from the content, size at most
    ``HOTLINE_UPLOAD_MAX_BYTES``) before anything is written, and the ticket and its files
    are saved in one transaction; a failure leaves neither a ticket nor a file.

    Raises:
        InvalidInput: an unknown type, an empty description, too many files, or a file that
            is empty, too large, not PDF/JPEG/PNG/OFD, or named as another type.
    """
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    uploads = list(attachments)
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(
            _("At most %(max)s files go with a request; got %(count)s.")
            % {"max": MAX_ATTACHMENTS, "count": len(uploads)},
            details={"field": "attachments", "max": MAX_ATTACHMENTS, "count": len(uploads)},
        )
    checked = [_check_attachment(upload) for upload in uploads]
    register: dict[str, Any] = {
        "actor": reporter,
        "channel": rules.Channel.WEB.value,
        "ticket_type": ticket_type,
        "description": description,
        "category": category,
        "address": address,
        "district": district,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "reporter": reporter,
    }
    if not checked:
        return _register(**register)
    # Files are written before the transaction (so the day's number row is not held while
    # they are), and removed again if anything after fails.
    stored: list[str] = []
    try:
        for item in checked:
            stored.append(_store_file(item))
        with transaction.atomic():
            ticket = _register(**register)
            _record_attachments(
                actor=reporter, ticket=ticket, items=list(zip(checked, stored, strict=True))
            )
    except BaseException:
        _delete_files(stored)
        raise
    return ticket


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
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Validate, number and save a new ticket with its register event and audit event.

    Shared by every way in (operators, the web form, Open311); the caller has already
    decided who may register. ``data`` goes into the event and the audit record (e.g. the
    Open311 key that filed the request).
    """
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
    # A related row the caller has just read from the database is not read again: full_clean
    # would spend one query per foreign key proving it exists, which the foreign-key
    # constraint checks anyway when the ticket is written (Open311 intake speed, issue 5).
    loaded = [
        name
        for name, row in (
            ("category", category),
            ("hotline_number", hotline_number),
            ("reporter", reporter),
        )
        if row is not None and not row._state.adding
    ]
    ticket.full_clean(exclude=["number", *loaded], validate_unique=False)
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
            data=data or {},
        )
        audit_record(
            actor=actor,
            action="hotline.ticket_register",
            target=ticket,
            summary=_("Ticket %(number)s registered") % {"number": ticket.number},
            data={"channel": channel, "type": ticket_type, "urgency": urgency, **(data or {})},
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
        _tell_duplicates(actor=actor, parent=locked)
    _sync(ticket, locked)
    return locked


def ticket_answer_directly(*, actor: Any, ticket: Ticket, answer: str) -> Ticket:
    """Answer at first contact from the knowledge base and close (直办); no clock runs."""
    text = _require_text(answer, _("The answer"))
    with transaction.atomic():
        locked = _lock(ticket)
        locked.reply = text
        _move(actor=actor, ticket=locked, action=rules.TicketAction.ANSWER_DIRECTLY)
        _tell_duplicates(actor=actor, parent=locked)
    _sync(ticket, locked)
    return locked


def ticket_dispatch(*, actor: Any, ticket: Ticket, department: Department) -> Ticket:
    """Dispatch to a department (派单): its clock starts and its staff are told."""
    with transaction.atomic():
        locked = _lock(ticket)
        _dispatch_locked(actor=actor, locked=locked, department=department)
    _sync(ticket, locked)
    return locked


def _dispatch_locked(*, actor: Any, locked: Ticket, department: Department) -> None:
    """Dispatch the locked ``locked`` ticket: shared by dispatch and by the parts of a split."""
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
        _tell_duplicates(actor=actor, parent=locked)
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


# -- duplicates, splits, escalation (docs/hotline.md, "Merge, split, escalate") -------------


def _annotate(
    *,
    actor: Any,
    ticket: Ticket,
    action: rules.TicketAction,
    summary: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Record an annotation on the locked ``ticket``: an event and an audit, status unchanged.

    The caller has checked the action with :func:`rules.check_annotation` and the actor.
    """
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        action=action.value,
        from_status=ticket.status,
        to_status=ticket.status,
        reason=mask_text(reason),
        data=data or {},
    )
    audit_record(
        actor=actor,
        action=f"hotline.ticket_{action.value}",
        target=ticket,
        summary=summary,
        data={"status": ticket.status, **(data or {})},
    )


def _tell_duplicates(*, actor: Any, parent: Ticket) -> None:
    """Copy the answer of ``parent`` to its merged duplicates and tell their reporters.

    Called in the parent's transaction whenever the parent is answered (reply, direct
    answer, not accepted), so a duplicate's lookup always shows the parent's latest answer.
    """
    duplicates = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(parent=parent)
        .select_related("reporter")
    )
    for duplicate in sorted(duplicates, key=lambda t: t.pk):
        rules.check_annotation(duplicate.status, rules.TicketAction.PARENT_REPLY)
        duplicate.reply = parent.reply
        duplicate.save(update_fields=["reply"])
        _annotate(
            actor=actor,
            ticket=duplicate,
            action=rules.TicketAction.PARENT_REPLY,
            summary=_("Ticket %(number)s: the answer of %(parent)s copied")
            % {"number": duplicate.number, "parent": parent.number},
            data={"parent": parent.number},
        )
        if duplicate.reporter is not None:
            notify(
                recipient=duplicate.reporter,
                subject=_("Reply to your request %(number)s") % {"number": duplicate.number},
                body=parent.reply,
                related=duplicate,
                channels=("in_site",),
                actor=actor,
            )


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    # Both rows locked in id order, so two operators merging a pair each way cannot deadlock.
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
    }
    return rows[first.pk], rows[second.pk]


def ticket_merge(*, actor: Any, ticket: Ticket, into: Ticket) -> Ticket:
    """Merge the duplicate ``ticket`` under the parent ``into`` (并单, DOMAIN_RULES.md §7).

    Allowed while the duplicate is registered: it has no clock of its own (never dispatched,
    or sent back, which stopped its clock), so no department is charged for it. The parent
    must be open (not closed) and not itself a duplicate; the duplicate's own duplicates move
    under the parent with it (groups stay one level deep, :func:`rules.merge_parents`). The
    duplicate closes with the action ``merge`` naming the parent. Whenever the parent is
    answered its answer is copied to the duplicates and their reporters with an account are
    told; a parent already replied is copied at once.

    Returns:
        The duplicate, closed.

    Raises:
        Conflict: the duplicate is not registered, the parent is closed or a duplicate.
        PermissionDenied: the actor is not a hotline operator.
        InvalidInput: a ticket merged into itself.
    """
    with transaction.atomic():
        if ticket.pk == into.pk:
            rules.merge_parents({}, duplicate=ticket.pk, into=into.pk)
        locked, parent = _lock_pair(ticket, into)
        rules.next_status(locked.status, rules.TicketAction.MERGE)
        _check_actor(actor, locked, rules.TicketAction.MERGE)
        if parent.status == rules.TicketStatus.CLOSED:
            raise Conflict(
                _("The parent ticket %(number)s is closed; a duplicate goes under an open ticket.")
                % {"number": parent.number},
                details={"field": "into", "status": parent.status},
            )
        children = dict(Ticket.objects.filter(parent=locked).values_list("pk", "parent_id"))
        changes = rules.merge_parents(
            {locked.pk: locked.parent_id, parent.pk: parent.parent_id, **children},
            duplicate=locked.pk,
            into=parent.pk,
        )
        locked.parent = parent
        answered = parent.status == rules.TicketStatus.REPLIED
        locked.reply = (
            parent.reply
            if answered
            else _(
                "This request is handled together with ticket %(number)s, which is about the "
                "same matter; its answer will be shown here."
            )
            % {"number": parent.number}
        )
        moved = [pk for pk in changes if pk != locked.pk]
        _move(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.MERGE,
            data={"into": parent.number, "moved": len(moved)},
        )
        for child in Ticket.objects.select_for_update().filter(pk__in=moved).order_by("pk"):
            rules.check_annotation(child.status, rules.TicketAction.REPARENT)
            child.parent = parent
            child.reply = locked.reply
            child.save(update_fields=["parent", "reply"])
            _annotate(
                actor=actor,
                ticket=child,
                action=rules.TicketAction.REPARENT,
                summary=_("Ticket %(number)s moved under %(parent)s with %(via)s")
                % {"number": child.number, "parent": parent.number, "via": locked.number},
                data={"from": locked.number, "into": parent.number},
            )
        if locked.reporter is not None:
            notify(
                recipient=locked.reporter,
                subject=_("Your request %(number)s is handled with %(parent)s")
                % {"number": locked.number, "parent": parent.number},
                body=locked.reply,
                related=locked,
                channels=("in_site",),
                actor=actor,
            )
    _sync(ticket, locked)
    return locked


def ticket_split(
    *, actor: Any, ticket: Ticket, parts: Sequence[tuple[Department, str]]
) -> list[Ticket]:
    """Split a registered ticket among departments (拆单, DOMAIN_RULES.md §7).

    Each part is a new ticket (its own number and query code, ``split_from`` the original,
    same reporter, location, category, type, urgency and channel) with its own description,
    dispatched at once to its department on its own clock. The original closes with the
    action ``split`` naming the parts; its reply, which its lookup shows, lists the parts'
    numbers, and a reporter with an account is told each part's number and query code.

    Args:
        parts: (department, description) for each part: at least 2, at most
            :data:`rules.MAX_SPLIT_PARTS`, each to a different active department.

    Returns:
        The parts, in the order given.

    Raises:
        Conflict: the ticket is not registered, or has duplicates merged into it.
        PermissionDenied: the actor is not a hotline operator.
        InvalidInput: fewer than 2 or too many parts, an empty description, an inactive or
            repeated department.
    """
    plan = rules.check_split_parts(
        [(department.pk, department.active, description) for department, description in parts]
    )
    with transaction.atomic():
        locked = _lock(ticket)
        rules.next_status(locked.status, rules.TicketAction.SPLIT)
        _check_actor(actor, locked, rules.TicketAction.SPLIT)
        if Ticket.objects.filter(parent=locked).exists():
            raise Conflict(
                _(
                    "Ticket %(number)s has duplicates merged into it, whose reporters wait for "
                    "its one answer; it cannot be split."
                )
                % {"number": locked.number},
                details={"status": locked.status},
            )
        created: list[Ticket] = []
        for (department, _text), description in zip(parts, plan, strict=True):
            part = _register(
                actor=actor,
                channel=locked.channel,
                ticket_type=locked.ticket_type,
                description=description,
                urgency=locked.urgency,
                category=locked.category,
                hotline_number=locked.hotline_number,
                address=locked.address,
                district=locked.district,
                latitude=locked.latitude,
                longitude=locked.longitude,
                reporter_name=locked.reporter_name,
                reporter_phone=locked.reporter_phone,
                reporter_id_number=locked.reporter_id_number,
                reporter=locked.reporter,
                data={"split_from": locked.number},
            )
            part.split_from = locked
            part.save(update_fields=["split_from"])
            _dispatch_locked(actor=actor, locked=part, department=department)
            created.append(part)
        numbers = [part.number for part in created]
        locked.reply = _(
            "This request was split into %(numbers)s, each handled by its own department."
        ) % {"numbers": ", ".join(numbers)}
        _move(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.SPLIT,
            data={"parts": numbers},
        )
        if locked.reporter is not None:
            notify(
                recipient=locked.reporter,
                subject=_("Your request %(number)s was split") % {"number": locked.number},
                body="\n".join(
                    _("%(number)s (query code %(code)s): %(department)s")
                    % {
                        "number": part.number,
                        "code": part.query_code,
                        "department": part.department.name if part.department else "",
                    }
                    for part in created
                ),
                related=locked,
                channels=("in_site",),
                actor=actor,
            )
    _sync(ticket, locked)
    return created


def ticket_escalate(
    *,
    actor: Any,
    ticket: Ticket,
    title: str = "",
    limit_days: int = DEFAULT_ESCALATION_LIMIT_DAYS,
    lead_unit: Department | None = None,
) -> SupervisionTask:
    """Escalate an open ticket into a supervision task (升级督办, the 督办 of §7's loop).

    Opens the task through ``supervision_task_create`` with source ``hotline_escalation`` and
    the ticket number as its reference, so only the efficiency office may escalate (the
    office opens supervision tasks, S22). The ticket keeps its status and clock; it records
    the task (``supervision_task``), an ``escalate`` event and an audit event. The task's
    description is the ticket's, masked; the lead unit defaults to the handling department.

    Args:
        title: the task's title; default "12345 ticket <number>: <start of description>".
        limit_days: working days the unit gets from the hand-over (1–250; default 10).
        lead_unit: the unit answerable; default the handling department, if any.

    Raises:
        Conflict: the ticket is closed, or already escalated.
        PermissionDenied: the actor is not the efficiency office.
        InvalidInput: a bad limit (from the supervision service).
    """
    with transaction.atomic():
        locked = _lock(ticket)
        rules.check_annotation(locked.status, rules.TicketAction.ESCALATE)
        if not (getattr(actor, "is_authenticated", False) and getattr(actor, "is_office", False)):
            raise PermissionDenied(
                _(
                    "Only the efficiency office escalates a ticket into a supervision task "
                    "(升级督办); ask the office to do it."
                )
            )
        if locked.supervision_task_id is not None:
            existing = SupervisionTask.objects.get(pk=locked.supervision_task_id)
            raise Conflict(
                _("Ticket %(number)s was already escalated into supervision task %(task)s.")
                % {"number": locked.number, "task": existing.number},
                details={"supervision_task": existing.pk},
            )
        summary = mask_text(locked.description)
        task = supervision_task_create(
            actor=actor,
            title=(title or "").strip()
            or _("12345 ticket %(number)s: %(summary)s")
            % {"number": locked.number, "summary": summary[:60]},
            source="hotline_escalation",
            limit_days=limit_days,
            description=summary,
            source_reference=locked.number,
            lead_unit=lead_unit if lead_unit is not None else locked.department,
        )
        locked.supervision_task = task
        locked.save(update_fields=["supervision_task"])
        _annotate(
            actor=actor,
            ticket=locked,
            action=rules.TicketAction.ESCALATE,
            summary=_("Ticket %(number)s escalated into supervision task %(task)s")
            % {"number": locked.number, "task": task.number},
            data={"supervision_task": task.pk, "task_number": task.number},
        )
    _sync(ticket, locked)
    return task


# -- attachments ----------------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The largest attachment accepted: setting ``HOTLINE_UPLOAD_MAX_BYTES`` (10 MiB)."""
    return int(getattr(settings, "HOTLINE_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


@dataclass(frozen=True, slots=True)
class _CheckedUpload:
    """An upload that passed the checks, with what the row records."""

    upload: UploadedFile
    name: str
    size: int
    file_type: files.FileType
    sha256: str


def _check_attachment(upload: UploadedFile) -> _CheckedUpload:
    """Check one upload (size, type sniffed from the content) and hash it; nothing written."""
    raw_name = str(getattr(upload, "name", "") or "").replace("\\", "/")
    name = PurePosixPath(raw_name).name[:255] or "upload"
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    upload.seek(0)
    found = files.check_upload(upload, name=name, size=int(size), max_bytes=upload_max_bytes())
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return _CheckedUpload(upload, name, int(size), found, digest.hexdigest())


def _store_file(item: _CheckedUpload) -> str:
    """Write the file under ``hotline/%Y/%m/`` with a random name; returns the stored name."""
    field = TicketAttachment._meta.get_field("file")
    # A generated name: the citizen's file name is kept in the row, never in the path.
    name = field.generate_filename(None, f"{uuid.uuid4().hex}{item.file_type.extensions[0]}")
    item.upload.seek(0)
    return str(field.storage.save(name, File(item.upload, name=name)))


def _delete_files(names: Sequence[str]) -> None:
    storage = TicketAttachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def _record_attachments(
    *, actor: Any, ticket: Ticket, items: Sequence[tuple[_CheckedUpload, str]]
) -> list[TicketAttachment]:
    """Rows, events and audits for files already stored, on the locked (or new) ``ticket``."""
    rules.check_annotation(ticket.status, rules.TicketAction.ATTACH)
    present = TicketAttachment.objects.filter(ticket=ticket).count()
    if present + len(items) > MAX_ATTACHMENTS:
        raise Conflict(
            _("Ticket %(number)s has %(present)s files; at most %(max)s are kept.")
            % {"number": ticket.number, "present": present, "max": MAX_ATTACHMENTS},
            details={"present": present, "max": MAX_ATTACHMENTS},
        )
    rows = []
    for item, stored in items:
        row = TicketAttachment(
            ticket=ticket,
            original_name=item.name,
            content_type=item.file_type.content_type,
            size=item.size,
            sha256=item.sha256,
            added_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.file.name = stored
        row.full_clean()
        row.save()
        _annotate(
            actor=row.added_by,
            ticket=ticket,
            action=rules.TicketAction.ATTACH,
            summary=_("Ticket %(number)s: file %(name)s added")
            % {"number": ticket.number, "name": item.name},
            data={
                "attachment": row.pk,
                "name": mask_text(item.name),
                "type": item.file_type.name,
                "size": item.size,
                "sha256": item.sha256,
            },
        )
        rows.append(row)
    return rows


def may_attach(user: Any, ticket: Ticket) -> bool:
    """Who may add a file to a ticket: hotline operators and the reporter's own account."""
    if is_operator(user):
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and ticket.reporter_id is not None
        and ticket.reporter_id == user.pk
    )


def ticket_attach(*, actor: Any, ticket: Ticket, upload: UploadedFile) -> TicketAttachment:
    """Add a file to an open ticket (a photo of the problem, a document).

    The type is sniffed from the content (PDF, JPEG, PNG, OFD; the name's extension must
    agree), the size is at most ``HOTLINE_UPLOAD_MAX_BYTES`` (default 10 MiB), a ticket keeps
    at most :data:`MAX_ATTACHMENTS` files. The file is stored under ``hotline/%Y/%m/`` with a
    random name; the original name, sniffed type, size and SHA-256 are recorded, with an
    ``attach`` event and an audit event. A citizen without an account attaches files only on
    the web form, with :func:`ticket_submit_web`.

    Raises:
        InvalidInput: empty, too large, not an accepted type, or named as another type.
        Conflict: the ticket is closed, or already has the most files.
        PermissionDenied: the actor is neither an operator nor the reporter's account.
    """
    item = _check_attachment(upload)
    with transaction.atomic():
        locked = _lock(ticket)
        rules.check_annotation(locked.status, rules.TicketAction.ATTACH)
        if not may_attach(actor, locked):
            raise PermissionDenied(
                _("Files are added by the hotline operators or by the reporter's own account.")
            )
        stored = _store_file(item)
        try:
            (row,) = _record_attachments(actor=actor, ticket=locked, items=[(item, stored)])
        except BaseException:
            _delete_files([stored])
            raise
    _sync(ticket, locked)
    return row


# -- Open311 keys (docs/hotline.md, "Open311") -----------------------------------------------


def open311_key_hash(raw: str) -> str:
    """SHA-256 hex digest of an Open311 key: what is stored and looked up."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def open311_key_create(*, actor: Any, name: str) -> tuple[Open311Key, str]:
    """Create an Open311 API key for a client; returns the row and the key, shown only once.

    With an operator as ``actor`` the key is that operator's: its requests are registered by
    them, and stop being accepted once they are no longer an operator. With ``actor=None``
    (``xiaoneng open311-key NAME`` without ``--by``, run by whoever runs the server) the key
    belongs to the system and its requests are registered with no actor, like a citizen's
    anonymous web request (docs/hotline.md, "Open311").

    Raises:
        PermissionDenied: the actor is a user but not a hotline operator.
        InvalidInput: an empty name.
    """
    if actor is not None:
        require_operator(actor)
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


# An Open311 request is registered as a request for help (求助): the GeoReport services are
# things to fix, and the operator may re-type the ticket after reading it.
OPEN311_TICKET_TYPE = rules.TicketType.HELP.value


def ticket_register_open311(
    *,
    key: Open311Key,
    category: TicketCategory,
    description: str,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
) -> Ticket:
    """Register a request posted by an Open311 client (channel ``open311``, type help 求助).

    The key decides who registers it: the operator who created the key, who must still be a
    hotline operator, or nobody (the system) for a key created without one. The ticket is as
    complete as an operator's: validated, numbered, with its register event and audit event,
    both naming the key (DOMAIN_RULES.md §7: every request is registered).

    Raises:
        PermissionDenied: the key is revoked, or its creator is no longer a hotline operator.
        InvalidInput: an empty description, or a field the ticket refuses.
    """
    if key.revoked_at is not None:
        raise PermissionDenied(
            _("The Open311 key %(name)s was revoked on %(when)s.")
            % {"name": key.name, "when": timezone.localtime(key.revoked_at).isoformat()}
        )
    actor = key.created_by
    if actor is not None:
        require_operator(actor)
    return _register(
        actor=actor,
        channel=rules.Channel.OPEN311.value,
        ticket_type=OPEN311_TICKET_TYPE,
        description=description,
        category=category,
        address=address,
        latitude=latitude,
        longitude=longitude,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        data={"open311_key": key.pk},
    )
