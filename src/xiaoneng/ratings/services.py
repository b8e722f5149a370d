"""Every write of the ratings room: rate, rectify, appeal (好差评, DOMAIN_RULES.md §8).

Each service owns its transaction, locks the row it changes (``select_for_update``), checks
the action against the state machines of :mod:`xiaoneng.ratings.rules` (``Conflict``, 409,
when not allowed), validates with ``full_clean()``, and appends an audit event. Notices go
through :func:`xiaoneng.notifications.services.notify` in the same transaction, so they are
sent only if the change commits.

Every rating here is real-name (the rater is signed in), so every bad review opens a
rectification: a return visit and measures, on a clock of kind ``rating.rectification``
with the local limit ``RATING_RECTIFICATION_DAYS`` (default 5 working days).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.clocks import services as clock_services
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.notifications.services import notify
from xiaoneng.ratings import rules, selectors
from xiaoneng.ratings.models import (
    AppealStateChoice,
    Rating,
    RatingAppeal,
    Rectification,
    RectificationStateChoice,
)
from xiaoneng.ratings.rules import AppealAction, RectificationAction

logger = logging.getLogger(__name__)

CLOCK_KIND = "rating.rectification"
# Default of RATING_RECTIFICATION_DAYS: 5 working days; DOMAIN_RULES.md §8 has seen 5 to 15.
DEFAULT_RECTIFICATION_DAYS = 5
# Where the staff find the rectifications; written into the notices.
STAFF_LIST_PATH = "/staff/rectifications/"


# -- helpers ---------------------------------------------------------------------------------


def rectification_limit_days() -> int:
    """The rectification limit in working days: setting ``RATING_RECTIFICATION_DAYS`` (5)."""
    raw = getattr(settings, "RATING_RECTIFICATION_DAYS", DEFAULT_RECTIFICATION_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = -1
    if days < 1:
        raise ImproperlyConfigured(
            f"RATING_RECTIFICATION_DAYS must be a whole number of working days ≥ 1, got {raw!r}"
        )
    return days


@contextmanager
def _site_language() -> Iterator[None]:
    # Notices are stored text read later by someone else (the department head, the rater),
    # so they are written in the site's language, not in the language of whoever clicked.
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _full_clean(obj: models.Model, *, what: str, exclude: list[str] | None = None) -> None:
    try:
        # Foreign keys were handed to us as saved rows; re-checking them costs a query each.
        # Constraints are checked by the database (a race shows up as IntegrityError).
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        raise InvalidInput(
            _("The %(what)s is not valid: %(errors)s") % {"what": what, "errors": text},
            details={"errors": errors},
        ) from exc


def _require_text(value: str, *, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("%(what)s is required.") % {"what": what}, details={"field": field})
    return text


def _check_day(on: dt.date, *, today: dt.date, earliest: dt.date, what: str) -> None:
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise InvalidInput(
            _("%(what)s must be a date, got %(value)r.") % {"what": what, "value": on}
        )
    if on > today:
        raise InvalidInput(
            _("%(what)s cannot be in the future: %(on)s is after today, %(today)s.")
            % {"what": what, "on": on.isoformat(), "today": today.isoformat()},
            details={"on": on.isoformat()},
        )
    if on < earliest:
        raise InvalidInput(
            _("%(what)s cannot be before the review, %(earliest)s; got %(on)s.")
            % {"what": what, "earliest": earliest.isoformat(), "on": on.isoformat()},
            details={"on": on.isoformat()},
        )


def _department_heads(department_id: int) -> list[User]:
    return list(
        User.objects.filter(role=Role.HEAD, department_id=department_id, is_active=True).order_by(
            "pk"
        )
    )


def _lock_rectification(rectification: Rectification) -> Rectification:
    try:
        return (
            Rectification.objects.select_for_update(of=("self",))
            .select_related("rating", "clock")
            .get(pk=rectification.pk)
        )
    except Rectification.DoesNotExist:
        raise NotFound(_("This rectification does not exist.")) from None


def _sync(target: models.Model, source: models.Model) -> None:
    # The caller's instance is updated in place too, so it shows the new state at once.
    if target is source:
        return
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
        # Related rows the service loaded (the stopped clock) replace the caller's stale copies.
        if field.is_relation and field.is_cached(source):  # type: ignore[attr-defined]
            field.set_cached_value(target, field.get_cached_value(source))  # type: ignore[attr-defined]


def _check_rectification_actor(actor: Any, rectification: Rectification) -> None:
    if not selectors.user_may_see_rectification(actor, rectification):
        raise NotFound(_("This rectification does not exist."))


# Free text (outcomes, measures, reasons) is kept in full on the rows, which have access
# rules; the copies in the audit trail, read more widely, have identity and phone numbers
# masked (DOMAIN_RULES.md §10).


def _level_label(level: int) -> str:
    return str(rules.LEVEL_LABELS[rules.RatingLevel(level)])


# -- rating ----------------------------------------------------------------------------------


def rating_submit(
    *,
    actor: Any,
    item: models.Model,
    department: Department,
    level: int | str,
    text: str = "",
    channel: str = "online",
) -> Rating:
    """Record ``actor``'s rating of ``item`` (好差评); a bad review opens a rectification.

    Whether ``actor`` may rate ``item`` now (e.g. the applicant, after conclusion) is for the
    room that owns the item to decide before calling this.

    Args:
        actor: the signed-in rater (ratings are real-name).
        item: the rated item (any saved model row).
        department: the handling unit the rating is about.
        level: 1–5 (5 = 非常满意 … 1 = 非常不满意), ``"1"``–``"5"``, a code such as
            ``"very_satisfied"``, or the Chinese name.
        text: what the rater wrote (optional, at most 2000 characters).
        channel: ``on_site`` (一次一评), ``online`` (一事一评), ``public`` (综合点评) or
            ``government`` (监督查评).

    Returns:
        The rating. For a bad review (level 2 or 1, DOMAIN_RULES.md §8) its rectification is
        open with a running clock, and the department's heads have been notified.

    Raises:
        InvalidInput: a bad level, channel or text, or an unsaved item.
        PermissionDenied: the rater is not signed in.
        Conflict: this rater already rated this item (one rating per item per rater).
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to rate: every rating is real-name."))
    if item.pk is None:
        raise InvalidInput(_("Save the rated item before rating it."))
    parsed = rules.parse_level(level)
    parsed_channel = rules.parse_channel(channel)
    cleaned_text = rules.check_text(text)
    # Read before writing anything: a misconfigured limit must not half-record a bad review.
    limit = rectification_limit_days() if rules.is_bad(parsed) else 0
    content_type = ContentType.objects.get_for_model(item)
    object_id = str(item.pk)
    with transaction.atomic():
        existing = Rating.objects.filter(
            content_type=content_type, object_id=object_id, rater_id=actor.pk
        ).first()
        if existing is not None:
            raise Conflict(
                _(
                    "You already rated this on %(day)s (%(level)s); each item is rated once "
                    "by each person."
                )
                % {
                    "day": timezone.localdate(existing.created_at).isoformat(),
                    "level": _level_label(existing.level),
                },
                details={"rating": existing.pk},
            )
        rating = Rating(
            content_type=content_type,
            object_id=object_id,
            department=department,
            rater=actor,
            level=int(parsed),
            text=cleaned_text,
            channel=parsed_channel.value,
            is_bad=rules.is_bad(parsed),
        )
        _full_clean(rating, what=_("rating"), exclude=["content_type", "department", "rater"])
        try:
            # A savepoint: two submissions racing past the check above meet the unique
            # constraint, and the loser gets the same Conflict as above.
            with transaction.atomic():
                rating.save()
        except IntegrityError as exc:
            raise Conflict(
                _("You already rated this; each item is rated once by each person."),
                details={"item": object_id},
            ) from exc
        audit_record(
            actor=actor,
            action="ratings.rating_submit",
            target=rating,
            summary=_("Rated %(level)s (%(channel)s) for department %(dept)s")
            % {"level": parsed.value, "channel": parsed_channel.value, "dept": department.pk},
            data={
                "level": parsed.value,
                "channel": parsed_channel.value,
                "bad": rating.is_bad,
                "item": {"type": content_type.pk, "id": object_id},
                "department": department.pk,
            },
        )
        if rating.is_bad:
            _rectification_open(actor=actor, rating=rating, department=department, limit=limit)
    return rating


def _rectification_open(
    *, actor: Any, rating: Rating, department: Department, limit: int
) -> Rectification:
    """Open the rectification of a bad review, start its clock and tell the heads (§8)."""
    rectification = Rectification(
        rating=rating, department=department, state=RectificationStateChoice.OPEN
    )
    _full_clean(rectification, what=_("rectification"), exclude=["rating", "department", "clock"])
    rectification.save()
    with _site_language():
        label = _("Rectification %(id)s of a bad review") % {"id": rectification.pk}
    # The clock starts on the day of the review: the rectification is due within the limit
    # counted from then (the start day itself is not counted, docs/clock.md §1).
    clock = clock_services.clock_start(
        actor=actor,
        item=rectification,
        department=department,
        kind=CLOCK_KIND,
        limit_days=limit,
        started_on=timezone.localdate(rating.created_at),
        label=label,
    )
    rectification.clock = clock
    rectification.save(update_fields=["clock"])
    heads = _department_heads(department.pk)
    audit_record(
        actor=actor,
        action="ratings.rectification_open",
        target=rectification,
        summary=_("Rectification opened for a bad review, due %(due)s")
        % {"due": clock.due_on.isoformat()},
        data={
            "rating": rating.pk,
            "level": rating.level,
            "department": department.pk,
            "limit_days": limit,
            "due_on": clock.due_on.isoformat(),
            "heads_notified": [h.pk for h in heads],
        },
    )
    if not heads:
        # Nobody to tell is a gap in the department's set-up, not a reason to lose the review.
        logger.warning(
            "department %s has no head to notify of rectification %s",
            department.pk,
            rectification.pk,
        )
    with _site_language():
        subject = _("Bad review for %(dept)s: return visit and rectification due %(due)s") % {
            "dept": department.name,
            "due": clock.due_on.isoformat(),
        }
        body = _(
            "A rater gave %(level)s (%(channel)s) on %(day)s.\n"
            "Text: %(text)s\n"
            "Visit the rater, record the visit and the measures by %(due)s (%(n)s working "
            "days): %(path)s"
        ) % {
            "level": _level_label(rating.level),
            "channel": rating.get_channel_display(),
            "day": timezone.localdate(rating.created_at).isoformat(),
            "text": rating.text or "—",
            "due": clock.due_on.isoformat(),
            "n": limit,
            "path": STAFF_LIST_PATH,
        }
    for head in heads:
        notify(recipient=head, subject=subject, body=body, related=rectification, actor=actor)
    return rectification


# -- rectification ---------------------------------------------------------------------------


def rectification_record_return_visit(
    *,
    actor: Any,
    rectification: Rectification,
    outcome: str,
    satisfied: bool | None,
    visited_on: dt.date | None = None,
) -> Rectification:
    """Record a return visit (回访) to the rater of a bad review (DOMAIN_RULES.md §8).

    May be recorded again (a second visit) until the rectification is completed; the latest
    visit is kept on the row, every visit in the audit trail.

    Args:
        actor: staff of the responsible department, or the efficiency office.
        rectification: the rectification.
        outcome: what the rater said and what was agreed (required).
        satisfied: whether the rater was satisfied after the visit; ``None`` if not reached.
        visited_on: the day of the visit; today by default; not in the future, not before
            the review.

    Raises:
        NotFound: the actor may not see the rectification.
        Conflict: it is completed or cancelled.
        InvalidInput: no outcome, or a bad day.
    """
    _check_rectification_actor(actor, rectification)
    text = _require_text(outcome, what=_("The outcome of the return visit"), field="outcome")
    if satisfied is not None and not isinstance(satisfied, bool):
        raise InvalidInput(
            _("'satisfied' is true, false or empty, got %(value)r.") % {"value": satisfied},
            details={"field": "satisfied"},
        )
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_rectification(rectification)
        before = locked.state
        locked.state = rules.rectification_next_state(before, RectificationAction.RETURN_VISIT)
        day = visited_on or today
        _check_day(
            day,
            today=today,
            earliest=timezone.localdate(locked.rating.created_at),
            what=_("The day of the return visit"),
        )
        locked.visited_on = day
        locked.visited_by = actor
        locked.visit_outcome = text
        locked.rater_satisfied = satisfied
        _full_clean(
            locked,
            what=_("rectification"),
            exclude=["rating", "department", "clock", "visited_by", "completed_by"],
        )
        locked.save()
        audit_record(
            actor=actor,
            action="ratings.rectification_return_visit",
            target=locked,
            summary=_("Return visit on %(day)s") % {"day": day.isoformat()},
            data={
                "from": before,
                "to": locked.state,
                "visited_on": day.isoformat(),
                "satisfied": satisfied,
                "outcome": mask_text(text),
            },
        )
    _sync(rectification, locked)
    return locked


def rectification_complete(
    *,
    actor: Any,
    rectification: Rectification,
    measures: str,
    completed_on: dt.date | None = None,
) -> Rectification:
    """Record the measures taken and close the rectification; stops its clock (销号).

    The clock's stored verdict says whether it was on time (``warning`` none) or late (red).
    The rater is told of the measures with an in-site message.

    Args:
        actor: staff of the responsible department, or the efficiency office.
        rectification: the rectification, after a return visit.
        measures: what was done (整改措施, required).
        completed_on: the day it was completed; today by default (a day late may be recorded).

    Raises:
        NotFound: the actor may not see the rectification.
        Conflict: no return visit yet, or already completed or cancelled.
        InvalidInput: no measures, or a bad day.
    """
    _check_rectification_actor(actor, rectification)
    text = _require_text(measures, what=_("A description of the measures taken"), field="measures")
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_rectification(rectification)
        before = locked.state
        locked.state = rules.rectification_next_state(before, RectificationAction.COMPLETE)
        day = completed_on or today
        _check_day(
            day,
            today=today,
            earliest=timezone.localdate(locked.rating.created_at),
            what=_("The day of completion"),
        )
        locked.measures = text
        locked.completed_at = timezone.now()
        locked.completed_by = actor
        _full_clean(
            locked,
            what=_("rectification"),
            exclude=["rating", "department", "clock", "visited_by", "completed_by"],
        )
        locked.save()
        clock = locked.clock
        if clock is not None:
            clock = clock_services.clock_stop(actor=actor, clock=clock, on=day)
        audit_record(
            actor=actor,
            action="ratings.rectification_complete",
            target=locked,
            summary=_("Rectification completed on %(day)s") % {"day": day.isoformat()},
            data={
                "from": before,
                "to": locked.state,
                "completed_on": day.isoformat(),
                "measures": mask_text(text),
                "late": bool(clock is not None and clock.warning == "red"),
            },
        )
        with _site_language():
            subject = _("Your review has been followed up")
            body = _("%(dept)s has dealt with your review. Measures taken: %(measures)s") % {
                "dept": locked.department.name,
                "measures": text,
            }
        notify(
            recipient=locked.rating.rater,
            subject=subject,
            body=body,
            related=locked,
            channels=("in_site",),
            actor=actor,
        )
    _sync(rectification, locked)
    return locked


def _rectification_cancel(*, actor: Any, rectification: Rectification, reason: str) -> None:
    """Cancel an unfinished rectification after an upheld appeal; stops its clock."""
    locked = _lock_rectification(rectification)
    before = locked.state
    locked.state = rules.rectification_next_state(before, RectificationAction.CANCEL)
    locked.save(update_fields=["state"])
    if locked.clock is not None and locked.clock.state != "stopped":
        clock_services.clock_stop(actor=actor, clock=locked.clock, on=timezone.localdate())
    audit_record(
        actor=actor,
        action="ratings.rectification_cancel",
        target=locked,
        summary=_("Rectification cancelled: the appeal was upheld"),
        data={"from": before, "to": locked.state, "reason": mask_text(reason)},
    )
    _sync(rectification, locked)


# -- appeals ---------------------------------------------------------------------------------


def rating_appeal(*, actor: Any, rating: Rating, reason: str) -> RatingAppeal:
    """The department head appeals a mistaken or malicious bad review (申诉, §8).

    The appeal waits for the efficiency office (:func:`rating_appeal_decide`); the office's
    users get an in-site message. The rectification goes on meanwhile.

    Raises:
        NotFound: the actor may not see the rating.
        PermissionDenied: the actor sees it but is not a head of its department.
        Conflict: the rating is not a bad review, or it was appealed already.
        InvalidInput: no reason.
    """
    if not selectors.user_may_see_rating(actor, rating):
        raise NotFound(_("This rating does not exist."))
    if not (
        getattr(actor, "role", None) == Role.HEAD
        and getattr(actor, "department_id", None) == rating.department_id
    ):
        raise PermissionDenied(_("Only a head of the rated department may appeal a rating."))
    text = _require_text(reason, what=_("The reason for the appeal"), field="reason")
    with transaction.atomic():
        locked = Rating.objects.select_for_update().get(pk=rating.pk)
        if not locked.is_bad:
            raise Conflict(
                _("Only a bad review can be appealed; this rating is %(level)s.")
                % {"level": _level_label(locked.level)},
                details={"level": locked.level},
            )
        before = locked.appeal_state
        locked.appeal_state = rules.appeal_next_state(before, AppealAction.FILE).value
        locked.save(update_fields=["appeal_state"])
        appeal = RatingAppeal(rating=locked, filed_by=actor, reason=text)
        _full_clean(appeal, what=_("appeal"), exclude=["rating", "filed_by", "decided_by"])
        appeal.save()
        audit_record(
            actor=actor,
            action="ratings.rating_appeal",
            target=locked,
            summary=_("Appeal filed against rating %(id)s") % {"id": locked.pk},
            data={
                "from": before,
                "to": locked.appeal_state,
                "appeal": appeal.pk,
                "reason": mask_text(text),
            },
        )
        with _site_language():
            subject = _("Appeal against a bad review of %(dept)s awaits your decision") % {
                "dept": locked.department.name
            }
        for office_user in User.objects.filter(role=Role.OFFICE, is_active=True).order_by("pk"):
            notify(
                recipient=office_user,
                subject=subject,
                body=text,
                related=appeal,
                channels=("in_site",),
                actor=actor,
            )
    _sync(rating, locked)
    return appeal


def rating_appeal_decide(
    *, actor: Any, appeal: RatingAppeal, upheld: bool, note: str
) -> RatingAppeal:
    """The efficiency office decides an appeal; upheld → the rating leaves the figures.

    An upheld appeal also cancels the rating's unfinished rectification and stops its clock
    (a completed one stays as it is). The head who filed it is told (in-site).

    Raises:
        NotFound: the actor may not see the rating.
        PermissionDenied: the actor is not the efficiency office.
        Conflict: the appeal was decided already.
        InvalidInput: no note.
    """
    if not selectors.user_may_see_rating(actor, appeal.rating):
        raise NotFound(_("This appeal does not exist."))
    if not selectors.is_office(actor):
        raise PermissionDenied(_("Appeals are decided by the efficiency office."))
    text = _require_text(note, what=_("The reasons for the decision"), field="note")
    action = AppealAction.UPHOLD if upheld else AppealAction.REJECT
    with transaction.atomic():
        locked = RatingAppeal.objects.select_for_update().get(pk=appeal.pk)
        rating = Rating.objects.select_for_update().get(pk=locked.rating_id)
        before = locked.state
        after = rules.appeal_next_state(before, action).value
        locked.state = after
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = text
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        rating.appeal_state = after
        rating.save(update_fields=["appeal_state"])
        audit_record(
            actor=actor,
            action="ratings.rating_appeal_decide",
            target=rating,
            summary=_("Appeal %(id)s %(state)s") % {"id": locked.pk, "state": after},
            data={"from": before, "to": after, "appeal": locked.pk, "note": mask_text(text)},
        )
        if after == AppealStateChoice.UPHELD:
            rectification = Rectification.objects.filter(
                rating=rating, state__in=selectors.OPEN_STATES
            ).first()
            if rectification is not None:
                _rectification_cancel(actor=actor, rectification=rectification, reason=text)
        with _site_language():
            subject = (
                _("Your appeal was upheld: the review is out of the figures")
                if upheld
                else _("Your appeal was rejected: the review stands")
            )
        notify(
            recipient=locked.filed_by,
            subject=subject,
            body=text,
            related=locked,
            channels=("in_site",),
            actor=actor,
        )
    _sync(appeal, locked)
    appeal.rating.appeal_state = rating.appeal_state
    return locked
