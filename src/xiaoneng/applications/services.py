"""Every write to applications: submit, accept, review, decide, conclude, deliver, materials.

Each service owns its transaction and follows one pattern (STYLE.md, Zulip's actions):

1. lock the row through the one access function
   (:func:`~xiaoneng.applications.selectors.application_for_user` with ``for_update``), so
   what the actor may not see answers 404 and two actors on one application queue up;
2. find the edge in the transition table of the matter's kind
   (:mod:`xiaoneng.applications.rules`): not allowed in the current status → 409
   (:class:`Conflict`); allowed but not for the actor's capacity → 403 (:class:`PermissionDenied`);
3. write, ``full_clean()`` first; start, pause, resume, extend or stop the clocks;
4. append an :class:`ApplicationEvent` per step and an audit event;
5. tell the applicant (``notifications.notify``: rows in this transaction, sent after commit).

Two reviewers racing to decide: the second waits on the row lock, then finds the status
changed and gets a 409 saying so.

Time limits follow DOMAIN_RULES.md §2 (行政许可法 Arts. 32, 42, 44, 45); materials follow
§4 (无证明城市, 告知承诺); identity numbers §10.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Role
from xiaoneng.accounts.rules import validate_credit_code, validate_resident_id
from xiaoneng.applications import files, rules
from xiaoneng.applications import selectors as sel
from xiaoneng.applications.models import (
    EVENT_ATTACH,
    EVENT_COMMIT,
    EVENT_HAND_OVER,
    EVENT_RATE,
    EVENT_REGISTER,
    EVENT_REMOVE,
    EVENT_SUBMIT,
    EVENT_TAKE,
    EVENT_UPLOAD,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Channel,
    Commitment,
    Decision,
    DeliveryMethod,
    MaterialKind,
    NumberCounter,
)
from xiaoneng.applications.rules import Action, Capacity, Edge, Status
from xiaoneng.catalog.models import Material, Matter, MatterStatus, MatterVersion, Replacement
from xiaoneng.clocks.models import Clock, PauseKind
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.services import audit_record
from xiaoneng.core.validation import full_clean_held

logger = logging.getLogger(__name__)

PROMISED_CLOCK = "application.promised"
LEGAL_CLOCK = "application.legal"

# Art. 45 special procedures: what may pause an application's clocks.
SPECIAL_PROCEDURES: tuple[str, ...] = (
    PauseKind.HEARING,
    PauseKind.BIDDING,
    PauseKind.AUCTION,
    PauseKind.INSPECTION,
    PauseKind.TESTING,
    PauseKind.QUARANTINE,
    PauseKind.APPRAISAL,
    PauseKind.EXPERT_REVIEW,
)

DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FORM_MAX_BYTES = 64 * 1024
APPLICANT_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE})


# -- small helpers ---------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _calendar() -> Any:
    from xiaoneng.calendars.selectors import workday_calendar

    return workday_calendar()


def _full_clean(obj: models.Model, **kwargs: Any) -> None:
    try:
        full_clean_held(obj, **kwargs)
    except ValidationError as exc:
        raise InvalidInput(
            "; ".join(exc.messages), details={"errors": getattr(exc, "message_dict", {})}
        ) from exc


def upload_max_bytes() -> int:
    """The largest upload accepted: setting ``UPLOAD_MAX_BYTES`` (default 10 MiB)."""
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def commitment_excluded_codes() -> frozenset[str]:
    """Identity numbers excluded from informed commitment (setting
    ``COMMITMENT_EXCLUDED_CREDIT_CODES``, default empty): applicants with serious bad credit
    or a past false promise, until credit repair (国办发〔2020〕42号, DOMAIN_RULES.md §4).
    Resident ID numbers and credit codes may both be listed."""
    return frozenset(
        str(c).strip().upper() for c in getattr(settings, "COMMITMENT_EXCLUDED_CREDIT_CODES", [])
    )


def _identity_of(user: Any) -> str:
    """The applicant's resident ID number or credit code, as far as the account knows it."""
    return (getattr(user, "id_number", "") or getattr(user, "credit_code", "") or "").upper()


def _event(
    application: Application,
    *,
    actor: Any | None,
    action: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> ApplicationEvent:
    event = ApplicationEvent(
        application=application,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    event.save()
    return event


def _audit(
    application: Application,
    *,
    actor: Any | None,
    action: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=f"applications.application_{action.replace('-', '_')}",
        target=application,
        summary=summary,
        data={"number": application.number, **(data or {})},
    )


def _tell_applicant(
    application: Application, *, actor: Any | None, subject: str, body: str
) -> None:
    """Queue a message to the applicant (in-site, SMS, email), sent after commit.

    Written in the platform's language (``LANGUAGE_CODE``) whatever the actor's, because the
    applicant reads it. ``notify`` stores the rows in this transaction and sends after commit.
    """
    from xiaoneng.notifications.services import notify

    notify(
        recipient=application.applicant,
        subject=subject[:200],
        body=body,
        related=application,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _in_platform_language(func: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return func()


def _lock(actor: Any | None, application: Application | uuid.UUID | str) -> Application:
    """The application locked for this transaction, through the access function.

    ``actor=None`` is the system (scheduled tasks), which sees everything.
    """
    pk = application.pk if isinstance(application, Application) else application
    if actor is None:
        found = (
            Application.objects.select_for_update(of=("self",))
            .select_related("matter", "matter_version", "department", "applicant")
            .filter(pk=pk)
            .first()
        )
        if found is None:
            raise NotFound(_("No application has the id %(id)s.") % {"id": pk})
        return found
    return sel.application_for_user(actor, pk, for_update=True)


def _sync(target: Any, source: Application) -> None:
    """Copy the saved state onto the caller's instance, so it is not stale after the call."""
    if isinstance(target, Application) and target is not source:
        for f in Application._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))
            if isinstance(f, models.ForeignKey):
                if f.is_cached(source):
                    f.set_cached_value(target, f.get_cached_value(source))
                else:
                    f.delete_cached_value(target)


def _capacities(actor: Any | None, application: Application) -> frozenset[Capacity]:
    if actor is None:
        return frozenset({Capacity.SYSTEM})
    return sel.application_capacities(actor, application)


# -- clocks ----------------------------------------------------------------------------------


def _open_clocks(application: Application) -> list[Clock]:
    return [c for c in (application.legal_clock, application.promised_clock) if c is not None]


def _start_clocks(application: Application, *, actor: Any | None, on: dt.date) -> None:
    """Start the legal and the promised clock on the day of acceptance (DOMAIN_RULES.md §2).

    Instant matters start both too (promised limit 0), and the same call stops them: the
    record then shows they were concluded on the day. A version without a legal limit has
    no legal clock.
    """
    from xiaoneng.clocks.services import clock_start

    version = application.matter_version
    label = f"{application.number} {version.name}"[:200]
    application.promised_clock = clock_start(
        actor=actor,
        item=application,
        department=application.department,
        kind=PROMISED_CLOCK,
        limit_days=version.promised_limit_days,
        started_on=on,
        extension_allowance_days=version.extension_days,
        label=label,
        officer=application.first_responsible,
    )
    if version.legal_limit_days is not None:
        application.legal_clock = clock_start(
            actor=actor,
            item=application,
            department=application.department,
            kind=LEGAL_CLOCK,
            limit_days=version.legal_limit_days,
            started_on=on,
            extension_allowance_days=version.extension_days,
            label=label,
            officer=application.first_responsible,
        )


def _set_clock_officer(application: Application, *, actor: Any, officer: Any) -> None:
    """The first responsible officer (首问负责) answers for the open clocks too: the warning
    scan tells them first when a clock turns yellow."""
    from xiaoneng.clocks.services import clock_set_officer

    for clock in _open_clocks(application):
        if clock.state != "stopped":
            clock_set_officer(actor=actor, clock=clock, officer=officer)


# -- numbers and applicants ------------------------------------------------------------------


def _next_number(day: dt.date) -> str:
    """``SQ`` + the day + a five-digit serial of that day, from a locked counter row."""
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"SQ{day:%Y%m%d}{counter.last:05d}"


def _validate_identity(*, id_number: str, credit_code: str) -> tuple[str, str]:
    """Normalised (id_number, credit_code), exactly one non-empty; DOMAIN_RULES.md §10.

    The accounts room's validators decide (check character, region code, birth date).
    """
    id_number = (id_number or "").strip().upper()
    credit_code = (credit_code or "").strip().upper()
    if bool(id_number) == bool(credit_code):
        raise InvalidInput(
            _("Expected either a resident ID number or a unified social credit code."),
            details={"field": "id_number"},
        )
    if id_number:
        return validate_resident_id(id_number), ""
    return "", validate_credit_code(credit_code)


def applicant_resolve(*, actor: Any, name: str, id_number: str = "", credit_code: str = "") -> Any:
    """The applicant's account, found by ID number or credit code, or created (一门办理).

    A window officer registering a walk-in, or a partner filing for a customer, names the
    applicant by a resident ID number (a person) or a unified social credit code (an
    enterprise), validated (DOMAIN_RULES.md §10). An account that does not exist yet is
    created without a usable password (the applicant can claim it later).

    Raises:
        InvalidInput: no name, or a number that is not valid (the message says what is wrong).
        PermissionDenied: the actor is not a window officer or a partner.
    """
    from django.contrib.auth import get_user_model

    if actor is None or actor.role not in {Role.WINDOW, Role.PARTNER}:
        raise PermissionDenied(
            _("Only a window officer or a partner institution registers applicants.")
        )
    name = rules.require_text(name, _("The applicant's name"))
    id_number, credit_code = _validate_identity(id_number=id_number, credit_code=credit_code)
    code = id_number or credit_code
    user_model = get_user_model()
    field_name = "id_number" if id_number else "credit_code"
    # The user name is a hash of the number, so the number itself never shows as a name.
    username = "id-" + hashlib.sha256(code.encode()).hexdigest()[:24]
    with transaction.atomic():
        found = user_model.objects.filter(**{field_name: code}).first()
        if found is not None:
            return found
        user = user_model(
            username=username,
            role=Role.CITIZEN if id_number else Role.ENTERPRISE,
            display_name=name[:100],
        )
        setattr(user, field_name, code)
        user.set_unusable_password()
        _full_clean(user, exclude=["password"])
        user.save()
        audit_record(
            actor=actor,
            action="applications.applicant_create",
            target=user,
            summary=_("Applicant account created for %(name)s") % {"name": name},
            data={"role": user.role},
        )
        return user


# -- submission ------------------------------------------------------------------------------


def _matter_and_version(matter: Matter | str, *, on: dt.date) -> tuple[Matter, MatterVersion]:
    from xiaoneng.catalog.selectors import matter_version_in_force

    code = matter.code if isinstance(matter, Matter) else str(matter)
    found = Matter.objects.filter(code=code).first()
    version = matter_version_in_force(found, on) if found is not None else None
    if found is None or found.status != MatterStatus.ACTIVE or version is None:
        raise NotFound(
            _("No service matter in use has the code %(code)r.") % {"code": code},
            details={"matter": code},
        )
    return found, version


def _check_form(form: Any) -> dict[str, Any]:
    if form is None:
        return {}
    if not isinstance(form, dict):
        raise InvalidInput(
            _("The form is an object of field names and values, got %(type)s.")
            % {"type": type(form).__name__},
            details={"field": "form"},
        )
    size = len(json.dumps(form, ensure_ascii=False).encode())
    if size > FORM_MAX_BYTES:
        raise InvalidInput(
            _("The form is %(size)s bytes; at most %(max)s are accepted.")
            % {"size": size, "max": FORM_MAX_BYTES},
            details={"field": "form"},
        )
    return form


def _check_channel(version: MatterVersion, channel: str) -> None:
    if channel not in Channel.values:
        raise InvalidInput(
            _("Unknown channel %(channel)r; expected one of: %(channels)s.")
            % {"channel": channel, "channels": ", ".join(Channel.values)},
            details={"field": "channel"},
        )
    if channel in {Channel.ONLINE, Channel.PARTNER} and not version.online:
        raise InvalidInput(
            _("%(matter)s cannot be applied for online; apply at the window.")
            % {"matter": version.name},
            details={"field": "channel"},
        )
    forms = version.handling_forms if isinstance(version.handling_forms, list) else []
    if channel == Channel.WINDOW and "window" not in forms and not version.in_hall:
        raise InvalidInput(
            _("%(matter)s is not handled at a window.") % {"matter": version.name},
            details={"field": "channel"},
        )


def _check_service_object(version: MatterVersion, applicant: Any) -> None:
    objects = version.service_objects if isinstance(version.service_objects, list) else []
    person = applicant.role == Role.CITIZEN
    if person and "natural_person" not in objects:
        raise InvalidInput(
            _("%(matter)s is not for natural persons; an organisation applies for it.")
            % {"matter": version.name},
            details={"field": "matter"},
        )
    if applicant.role == Role.ENTERPRISE and objects == ["natural_person"]:
        raise InvalidInput(
            _("%(matter)s is only for natural persons.") % {"matter": version.name},
            details={"field": "matter"},
        )


def _fingerprint(*, matter: str, form: Mapping[str, Any], channel: str) -> str:
    canonical = json.dumps(
        {"matter": matter, "form": form, "channel": channel},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Application, fingerprint: str, key: str) -> Application:
    if existing.request_fingerprint != fingerprint:
        raise Conflict(
            _(
                "The Idempotency-Key %(key)r was already used for application %(number)s with "
                "a different matter or form; use a new key for a new submission."
            )
            % {"key": key, "number": existing.number},
            details={"idempotency_key": key, "application": str(existing.pk)},
        )
    existing.idempotent_replay = True  # type: ignore[attr-defined]
    return existing


def _attach_automatic(application: Application, *, actor: Any | None) -> list[dict[str, Any]]:
    """Record the materials the applicant is never asked for (DOMAIN_RULES.md §4).

    Certificates the matter replaced (cancelled, data sharing, verification, e-license) are
    satisfied with their replacement and basis; a material whose e-license type matches an
    e-license this platform issued to the applicant gets that license attached.
    """
    held = sel.held_license_types(application.applicant)
    attached: list[dict[str, Any]] = []
    for material in application.matter_version.materials.all():
        facts = rules.MaterialFacts(
            id=material.pk,
            name=material.name,
            necessity=material.necessity,
            replacement=material.replacement,
            license_type=material.license_type,
        )
        how = rules.automatic_satisfaction(facts, held_license_types=held)
        if how is None:
            continue
        row = ApplicationMaterial(
            application=application,
            material=material,
            kind=how.value,
            replacement=material.replacement if how == rules.Satisfaction.REPLACED else "",
            basis=material.replacement_basis,
            license_identifier=held.get(material.license_type, "")
            if how == rules.Satisfaction.E_LICENSE
            else "",
            added_by=None,
        )
        row.save()
        attached.append(
            {
                "material": material.pk,
                "name": material.name,
                "kind": how.value,
                "replacement": row.replacement,
                "license": row.license_identifier,
            }
        )
    if attached:
        _event(application, actor=None, action=EVENT_ATTACH, data={"materials": attached})
    return attached


def _create_application(
    *,
    actor: Any,
    applicant: Any,
    matter: Matter | str,
    form: dict[str, Any] | None,
    channel: str,
    idempotency_key: str,
    registered_by: Any | None,
    event_action: str,
) -> Application:
    today = _today()
    found_matter, version = _matter_and_version(matter, on=today)
    form = _check_form(form)
    _check_channel(version, channel)
    _check_service_object(version, applicant)
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        raise InvalidInput(
            _("An Idempotency-Key has at most 100 characters, got %(n)s.") % {"n": len(key)},
            details={"field": "idempotency_key"},
        )
    if not _identity_of(applicant):
        # Real-name applications (DOMAIN_RULES.md §10): the result is issued to a number.
        raise InvalidInput(
            _(
                "The applicant's account has no resident ID number or unified social credit "
                "code; add it to the account before applying."
            ),
            details={"field": "applicant"},
        )
    fingerprint = _fingerprint(matter=found_matter.code, form=form, channel=channel)
    if key:
        existing = Application.objects.filter(applicant=applicant, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint, key)
    try:
        with transaction.atomic():
            application = Application(
                number=_next_number(today),
                matter=found_matter,
                matter_version=version,
                kind=version.kind,
                department=version.department,
                applicant=applicant,
                applicant_name=(str(applicant) or applicant.username)[:200],
                applicant_code=_identity_of(applicant)[:18],
                channel=channel,
                registered_by=registered_by,
                form=form,
                status=Status.SUBMITTED,
                received_on=today,
                idempotency_key=key,
                request_fingerprint=fingerprint,
                first_responsible=registered_by
                if registered_by is not None and registered_by.role in STAFF_ROLES
                else None,
            )
            _full_clean(application, validate_constraints=False)
            application.save(force_insert=True)
            _event(
                application,
                actor=actor,
                action=event_action,
                to_status=Status.SUBMITTED,
                data={"channel": channel, "matter_version": version.number},
            )
            attached = _attach_automatic(application, actor=actor)
            _audit(
                application,
                actor=actor,
                action=event_action,
                summary=_("Application %(number)s for %(matter)s received")
                % {"number": application.number, "matter": version.name},
                data={"channel": channel, "attached": len(attached)},
            )

            def notice() -> tuple[str, str]:
                return (
                    _("Application %(number)s received") % {"number": application.number},
                    _(
                        "We received your application %(number)s for %(matter)s on %(day)s. "
                        "You will be told within 5 working days whether it is accepted."
                    )
                    % {
                        "number": application.number,
                        "matter": version.name,
                        "day": today.isoformat(),
                    },
                )

            subject, body = _in_platform_language(notice)
            _tell_applicant(application, actor=actor, subject=subject, body=body)
    except IntegrityError:
        if not key:
            raise
        # Another request with the same key won the race; answer with its application.
        existing = Application.objects.filter(applicant=applicant, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint, key)
    application.idempotent_replay = False  # type: ignore[attr-defined]
    return application


def require_may_submit(actor: Any) -> None:
    """Who submits online: applicants for themselves and partner institutions for them.

    The API calls it before reading the body, so a role that may never submit learns so (403)
    rather than how the body should look (400).

    Raises:
        PermissionDenied: not signed in, or a staff role (they register walk-ins instead).
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to apply."))
    if actor.role != Role.PARTNER and actor.role not in APPLICANT_ROLES:
        raise PermissionDenied(
            _(
                "Only applicants and partner institutions submit applications; window officers "
                "register walk-in applications."
            )
        )


def require_may_register_walk_in(actor: Any) -> None:
    """Only a window officer registers a walk-in application (一窗受理).

    Raises:
        PermissionDenied: any other role.
    """
    if actor is None or getattr(actor, "role", None) != Role.WINDOW:
        raise PermissionDenied(_("Only a window officer registers walk-in applications."))


def application_submit(
    *,
    actor: Any,
    matter: Matter | str,
    form: dict[str, Any] | None = None,
    channel: str = Channel.ONLINE,
    idempotency_key: str = "",
    applicant: Any | None = None,
) -> Application:
    """Submit an application (申请) for a matter, online or through a partner institution.

    The version in force today is recorded as a snapshot; the day of receipt is today (a rest
    day counts from the next working day in every time limit). Materials the applicant is never
    asked for are recorded at once (DOMAIN_RULES.md §4).

    Idempotency: with ``idempotency_key``, a retry by the same applicant returns the first
    application (never a second); the returned instance has ``idempotent_replay = True``.
    The same key with a different matter, form or channel is a :class:`Conflict`.

    Args:
        actor: the applicant (citizen or enterprise), or a partner institution filing for
            ``applicant`` (then the channel is ``partner``).
        matter: the matter or its implementation code.
        form: the application form as a JSON object.
        channel: ``online`` (or ``partner``, set for partners).
        idempotency_key: the client's ``Idempotency-Key``.
        applicant: for partners, the applicant (see :func:`applicant_resolve`).

    Raises:
        NotFound: no matter in use has this code.
        InvalidInput: the matter is not online, not for this kind of applicant, or the form
            is not an object.
        PermissionDenied: staff submit for walk-ins with
            :func:`application_register_walk_in` instead.
        Conflict: the key was used for a different submission.
    """
    require_may_submit(actor)
    registered_by = None
    if actor.role == Role.PARTNER:
        channel = Channel.PARTNER
        registered_by = actor
        applicant = applicant or actor
    elif actor.role in APPLICANT_ROLES:
        if applicant is not None and applicant.pk != actor.pk:
            raise PermissionDenied(_("An applicant applies for themselves only."))
        applicant = actor
        if channel == Channel.PARTNER:
            raise InvalidInput(
                _("Only a partner institution files through the partner channel."),
                details={"field": "channel"},
            )
    with transaction.atomic():
        return _create_application(
            actor=actor,
            applicant=applicant,
            matter=matter,
            form=form,
            channel=channel,
            idempotency_key=idempotency_key,
            registered_by=registered_by,
            event_action=EVENT_SUBMIT,
        )


def application_register_walk_in(
    *,
    actor: Any,
    matter: Matter | str,
    applicant_name: str,
    id_number: str = "",
    credit_code: str = "",
    form: dict[str, Any] | None = None,
    paper_materials: Sequence[int] = (),
    accept: bool = True,
    idempotency_key: str = "",
) -> Application:
    """A window officer registers an application for a walk-in applicant (一门办理).

    The applicant is found by resident ID number or credit code, or created. The officer is
    recorded as the registrar and as first responsible (首问负责). ``paper_materials`` are the
    catalog materials whose paper originals the officer checked at the window. With
    ``accept`` the application is accepted on the spot when nothing needed is missing — an
    instant matter (即办件) is then approved and concluded the same day; otherwise it waits
    as submitted, like an online one.

    Raises:
        PermissionDenied: the actor is not a window officer.
        InvalidInput: bad identity number, unknown material, the matter is not handled at a
            window.
        NotFound: no matter in use has this code.
    """
    require_may_register_walk_in(actor)
    with transaction.atomic():
        applicant = applicant_resolve(
            actor=actor, name=applicant_name, id_number=id_number, credit_code=credit_code
        )
        application = _create_application(
            actor=actor,
            applicant=applicant,
            matter=matter,
            form=form,
            channel=Channel.WINDOW,
            idempotency_key=idempotency_key,
            registered_by=actor,
            event_action=EVENT_REGISTER,
        )
        if getattr(application, "idempotent_replay", False):
            return application
        if paper_materials:
            _record_paper(application, actor=actor, material_ids=paper_materials)
        if accept and not sel.application_missing(application):
            accepted = application_accept(actor=actor, application=application)
            accepted.idempotent_replay = False  # type: ignore[attr-defined]
            return accepted
    return application


def _record_paper(application: Application, *, actor: Any, material_ids: Sequence[int]) -> None:
    materials = {m.pk: m for m in application.matter_version.materials.all()}
    for material_id in material_ids:
        material = materials.get(int(material_id))
        if material is None:
            raise InvalidInput(
                _("Material %(id)s is not a material of %(matter)s.")
                % {"id": material_id, "matter": application.matter_version.name},
                details={"field": "paper_materials"},
            )
        ApplicationMaterial.objects.create(
            application=application,
            material=material,
            kind=MaterialKind.PAPER,
            added_by=actor,
        )
    _event(
        application,
        actor=actor,
        action=EVENT_UPLOAD,
        data={"paper": [int(m) for m in material_ids]},
    )


# -- the transition engine -------------------------------------------------------------------


@dataclass
class _Step:
    """What one edge of a call did, for the event, the audit and the notice."""

    edge: Edge
    data: dict[str, Any]


Handler = Callable[[Application, Any, dt.date, dict[str, Any]], dict[str, Any]]


def _run(
    *,
    actor: Any | None,
    application: Application | uuid.UUID | str,
    action: Action,
    reason: str = "",
    params: dict[str, Any] | None = None,
) -> Application:
    """Lock, check the table and the capacity, apply each edge, record, tell; one transaction."""
    params = params or {}
    today = _today()
    with transaction.atomic():
        locked = _lock(actor, application)
        path = rules.walk(locked.kind, locked.status, action)
        first = path[0]
        if not rules.may_take(first, _capacities(actor, locked)):
            raise PermissionDenied(
                _("Only %(who)s may %(action)s this application.")
                % {"who": rules.who_may(first), "action": rules.ACTION_LABELS[first.action]},
                details={"action": first.action.value, "status": locked.status},
            )
        if first.reason_required:
            reason = rules.require_text(reason, _("A reason"))
        else:
            reason = (reason or "").strip()
        steps: list[_Step] = []
        for step_edge in path:
            before = locked.status
            data = HANDLERS[step_edge.action](locked, actor, today, {**params, "reason": reason})
            locked.status = step_edge.target.value
            _event(
                locked,
                actor=actor,
                action=step_edge.action.value,
                from_status=before,
                to_status=locked.status,
                reason=reason if step_edge is first else "",
                data=data,
            )
            steps.append(_Step(step_edge, data))
        locked.lock_version += 1
        # The number never changes after creation: no uniqueness query on every step.
        _full_clean(locked, validate_constraints=False, validate_unique=False)
        locked.save()
        _audit(
            locked,
            actor=actor,
            action=action.value,
            summary=_("Application %(number)s: %(steps)s")
            % {
                "number": locked.number,
                "steps": " → ".join(str(rules.STATUS_LABELS[s.edge.target]) for s in steps),
            },
            data={
                "from": path[0].source.value,
                "to": locked.status,
                "reason": reason,
                "steps": [{"action": s.edge.action.value, **s.data} for s in steps],
            },
        )
        subject, body = _in_platform_language(lambda: _notice(locked, steps, reason))
        _tell_applicant(locked, actor=actor, subject=subject, body=body)
    _sync(application, locked)
    return locked


def _notice(application: Application, steps: list[_Step], reason: str) -> tuple[str, str]:
    """The message to the applicant for one call: what happened, why, what comes next."""
    matter = application.matter_version.name
    lines: list[str] = []
    for step in steps:
        data = step.data
        label = rules.STATUS_LABELS[step.edge.target]
        if step.edge.action == Action.REQUEST_SUPPLEMENT:
            names = [m["name"] for m in data.get("materials", [])] + list(data.get("items", []))
            lines.append(_("Please supply, all at once: %(items)s.") % {"items": "; ".join(names)})
        elif step.edge.action in {Action.ACCEPT, Action.DEEM_ACCEPTED} and data.get("due_on"):
            lines.append(
                _("Accepted on %(day)s; the decision is due by %(due)s.")
                % {"day": data["accepted_on"], "due": data["due_on"]}
            )
        elif step.edge.action == Action.PAUSE:
            lines.append(
                _(
                    "A special procedure (%(kind)s) began on %(day)s; its time is not counted "
                    "in the time limit (Art. 45)."
                )
                % {"kind": data.get("kind_label", ""), "day": data.get("on", "")}
            )
        elif step.edge.action == Action.EXTEND:
            lines.append(
                _(
                    "The time limit was extended by %(days)s working days with the approval of "
                    "the head of the department; now due %(due)s."
                )
                % {"days": data.get("days"), "due": data.get("due_on", "")}
            )
        elif step.edge.action == Action.APPROVE and data.get("license"):
            lines.append(
                _("Your e-license %(identifier)s was issued.") % {"identifier": data["license"]}
            )
        else:
            lines.append(_("Your application is now: %(status)s.") % {"status": label})
    if reason:
        lines.append(_("Reason: %(reason)s") % {"reason": reason})
    subject = _("Application %(number)s (%(matter)s): %(status)s") % {
        "number": application.number,
        "matter": matter,
        "status": rules.STATUS_LABELS[steps[-1].edge.target],
    }
    return subject, "\n".join(lines)


# -- handlers: what each edge writes ---------------------------------------------------------


def _h_accept(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """受理 (Art. 32(1)(5)): every needed material present; the clocks start.

    After the Art. 32(4) window the application already counts as accepted on the day of
    receipt, so that day is the day of acceptance and the clocks count from it.
    """
    missing = sel.application_missing(app)
    if missing:
        raise Conflict(
            _(
                "Cannot accept: these needed materials are missing: %(names)s. Ask for them in "
                "one supplement notice, or refuse to accept."
            )
            % {"names": "; ".join(r.name for r in missing)},
            details={"missing": [r.material_id for r in missing]},
        )
    deemed = rules.supplement_too_late(_calendar(), app.received_on, today)
    return _accept_on(app, actor, app.received_on if deemed else today, deemed=deemed)


def _h_deem_accepted(
    app: Application, actor: Any, today: dt.date, p: dict[str, Any]
) -> dict[str, Any]:
    """Art. 32(4): not told within 5 working days → accepted on the day the materials arrived."""
    return _accept_on(app, actor, app.received_on, deemed=True)


def _accept_on(app: Application, actor: Any, on: dt.date, *, deemed: bool) -> dict[str, Any]:
    app.accepted_on = on
    _start_clocks(app, actor=actor, on=on)
    assert app.promised_clock is not None
    return {
        "accepted_on": on.isoformat(),
        "deemed": deemed,
        "due_on": app.promised_clock.due_on.isoformat(),
        "legal_due_on": app.legal_clock.due_on.isoformat() if app.legal_clock else None,
    }


def _h_reject(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """不予受理 (Art. 32): the reason is recorded and told to the applicant."""
    app.decision_reason = p["reason"]
    return {"on": today.isoformat()}


def _h_request_supplement(
    app: Application, actor: Any, today: dt.date, p: dict[str, Any]
) -> dict[str, Any]:
    """一次性告知 (Art. 32(1)(4)): one notice listing everything, within 5 working days."""
    if app.supplement_notice:
        raise Conflict(
            _(
                "The applicant was already told once, on %(day)s, everything to supply; a "
                "second notice is not allowed (一次性告知). Accept or refuse to accept."
            )
            % {"day": app.supplement_notice.get("requested_on", "")},
            details={"status": app.status},
        )
    calendar = _calendar()
    if rules.supplement_too_late(calendar, app.received_on, today):
        deadline = rules.supplement_deadline(calendar, app.received_on)
        raise Conflict(
            _(
                "Too late to ask for a supplement: the notice had to go out by %(deadline)s "
                "(5 working days after receipt on %(received)s). The application counts as "
                "accepted on %(received)s (Art. 32(4)); accept it."
            )
            % {"deadline": deadline.isoformat(), "received": app.received_on.isoformat()},
            details={"deadline": deadline.isoformat(), "received_on": app.received_on.isoformat()},
        )
    by_id = {m.pk: m for m in app.matter_version.materials.all()}
    requested_ids = p.get("materials")
    if requested_ids is None:
        chosen = [by_id[r.material_id] for r in sel.application_missing(app)]
    else:
        chosen = []
        for raw in requested_ids:
            try:
                material = by_id[int(raw)]
            except (KeyError, TypeError, ValueError):
                raise InvalidInput(
                    _("Material %(id)s is not a material of %(matter)s.")
                    % {"id": raw, "matter": app.matter_version.name},
                    details={"field": "materials"},
                ) from None
            chosen.append(material)
    items = [str(i).strip() for i in (p.get("items") or []) if str(i).strip()]
    if not chosen and not items:
        raise InvalidInput(
            _("A supplement notice lists everything to supply: name at least one material."),
            details={"field": "materials"},
        )
    notice = {
        "requested_on": today.isoformat(),
        "reason": p["reason"],
        "materials": [{"id": m.pk, "name": m.name} for m in chosen],
        "items": items,
    }
    app.supplement_notice = notice
    return notice


def _h_supplement(
    app: Application, actor: Any, today: dt.date, p: dict[str, Any]
) -> dict[str, Any]:
    """补正: everything asked for is there; the day of receipt becomes today (Art. 32(4))."""
    asked = {m["id"] for m in app.supplement_notice.get("materials", [])}
    still = [
        r
        for r in sel.application_requirements(app)
        if r.material_id in asked and not r.satisfied_by
    ]
    if still:
        raise InvalidInput(
            _("These materials asked for are still missing: %(names)s.")
            % {"names": "; ".join(r.name for r in still)},
            details={"missing": [r.material_id for r in still]},
        )
    previous = app.received_on
    app.received_on = today
    app.supplement_notice = {**app.supplement_notice, "supplemented_on": today.isoformat()}
    return {"received_on": today.isoformat(), "previously_received_on": previous.isoformat()}


def _each_clock(app: Application, func: Callable[[Clock], Clock]) -> list[Clock]:
    done = [func(c) for c in _open_clocks(app)]
    # Keep the instances the application holds current.
    for clock in done:
        if app.promised_clock_id == clock.pk:
            app.promised_clock = clock
        if app.legal_clock_id == clock.pk:
            app.legal_clock = clock
    return done


def _h_pause(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """Art. 45: a special procedure; both clocks pause from today (DOMAIN_RULES.md §2)."""
    from xiaoneng.clocks.services import clock_pause

    kind = str(p.get("kind") or "")
    if kind not in SPECIAL_PROCEDURES:
        raise InvalidInput(
            _("Unknown special procedure %(kind)r; expected one of: %(kinds)s (Art. 45).")
            % {"kind": kind, "kinds": ", ".join(SPECIAL_PROCEDURES)},
            details={"field": "kind"},
        )
    _each_clock(
        app, lambda c: clock_pause(actor=actor, clock=c, on=today, kind=kind, reason=p["reason"])
    )
    return {"on": today.isoformat(), "kind": kind, "kind_label": str(PauseKind(kind).label)}


def _h_resume(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """Art. 45 ends: counting resumes; the due dates move by the working days paused."""
    from xiaoneng.clocks.services import clock_resume

    _each_clock(app, lambda c: clock_resume(actor=actor, clock=c, on=today))
    return {"on": today.isoformat(), "due_on": _due(app)}


def _due(app: Application) -> str | None:
    return app.promised_clock.due_on.isoformat() if app.promised_clock else None


def _h_extend(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """Art. 42: the head extends by up to the version's allowance; the reason is told.

    Both clocks are extended. A promised clock that has already run out is left as it is
    (lateness is never forgiven) while the legal one is extended; if every clock has run out
    the extension is refused.
    """
    from xiaoneng.clocks.services import clock_extend

    try:
        days = int(p.get("days") or 0)
    except (TypeError, ValueError):
        days = 0
    allowance = app.matter_version.extension_days
    if days < 1 or days > allowance:
        raise InvalidInput(
            _("An extension is 1 to %(max)s working days for this matter, got %(days)s.")
            % {"max": allowance, "days": p.get("days")},
            details={"field": "days", "max": allowance},
        )
    extended: list[str] = []
    refused: dict[str, str] = {}
    last: Conflict | None = None
    for clock in _open_clocks(app):
        try:
            with transaction.atomic():
                new = clock_extend(actor=actor, clock=clock, days=days, reason=p["reason"])
        except Conflict as exc:
            refused[clock.kind] = exc.message
            last = exc
            continue
        extended.append(clock.kind)
        if app.promised_clock_id == new.pk:
            app.promised_clock = new
        if app.legal_clock_id == new.pk:
            app.legal_clock = new
    if not extended:
        assert last is not None
        raise last
    return {"days": days, "extended": extended, "refused": refused, "due_on": _due(app)}


def _issue_license(app: Application, actor: Any, today: dt.date) -> str:
    """The e-license of an approval (Art. 39); its identifier."""
    from xiaoneng.licenses.services import license_issue

    version = app.matter_version
    issued = license_issue(
        actor=actor,
        source=app,
        department=app.department,
        holder_name=app.applicant_name,
        holder_code=app.applicant_code or _identity_of(app.applicant),
        license_type_name=version.result_name or version.name,
        matter_code=app.matter.code,
        matter_name=version.name,
        result_name=version.result_name or version.name,
        issued_on=today,
        holder_user=app.applicant,
    )
    return str(issued.identifier)


def _h_approve(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """准予许可 (Art. 38(1)): the decision, and the e-license issued (Art. 39)."""
    app.decided_on = today
    app.decision = Decision.APPROVED
    app.decision_reason = p.get("reason", "")
    return {"on": today.isoformat(), "license": _issue_license(app, actor, today)}


def _h_deny(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """不予许可 (Art. 38(2)): the decision with its reasons."""
    app.decided_on = today
    app.decision = Decision.DENIED
    app.decision_reason = p["reason"]
    return {"on": today.isoformat()}


def _h_conclude(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """办结: the case closes and both clocks stop today (a late one keeps its red verdict)."""
    from xiaoneng.clocks.services import clock_stop

    app.concluded_on = today
    _each_clock(app, lambda c: clock_stop(actor=actor, clock=c, on=today))
    late = bool(app.promised_clock and app.promised_clock.warning == "red")
    return {"on": today.isoformat(), "late": late}


def _h_deliver(app: Application, actor: Any, today: dt.date, p: dict[str, Any]) -> dict[str, Any]:
    """送达 (Art. 44): pickup at the window, post, or the e-license alone."""
    method = str(p.get("method") or "")
    if method not in DeliveryMethod.values:
        raise InvalidInput(
            _("Unknown delivery method %(method)r; expected one of: %(methods)s.")
            % {"method": method, "methods": ", ".join(DeliveryMethod.values)},
            details={"field": "method"},
        )
    if method == DeliveryMethod.E_LICENSE and sel.application_license(app) is None:
        raise InvalidInput(
            _("This application has no e-license; deliver by pickup or post."),
            details={"field": "method"},
        )
    app.delivered_on = today
    app.delivery_method = method
    app.delivery_detail = str(p.get("detail") or "")[:200]
    return {"on": today.isoformat(), "method": method, "detail": app.delivery_detail}


HANDLERS: Mapping[Action, Handler] = {
    Action.ACCEPT: _h_accept,
    Action.DEEM_ACCEPTED: _h_deem_accepted,
    Action.REJECT: _h_reject,
    Action.REQUEST_SUPPLEMENT: _h_request_supplement,
    Action.SUPPLEMENT: _h_supplement,
    Action.PAUSE: _h_pause,
    Action.RESUME: _h_resume,
    Action.EXTEND: _h_extend,
    Action.APPROVE: _h_approve,
    Action.DENY: _h_deny,
    Action.CONCLUDE: _h_conclude,
    Action.DELIVER: _h_deliver,
}


# -- the status services ---------------------------------------------------------------------


def application_accept(*, actor: Any, application: Application) -> Application:
    """Accept (受理) a submitted application; the legal and promised clocks start today.

    Every needed material must be satisfied (uploaded, checked on paper, promised, attached
    or replaced). After the 5-working-day window of Art. 32(4) the application already counts
    as accepted on the day of receipt, so that day is recorded and the clocks start from it.
    An instant matter (即办件) is approved and concluded in the same call, an event for each
    step (DOMAIN_RULES.md §2).

    Raises:
        NotFound: the actor may not see the application.
        Conflict: not submitted now, or needed materials are missing.
        PermissionDenied: not a window officer or reviewer of the department.
    """
    return _run(actor=actor, application=application, action=Action.ACCEPT)


def application_reject(*, actor: Any, application: Application, reason: str) -> Application:
    """Refuse to accept (不予受理, Art. 32), with the reason told to the applicant.

    Raises:
        NotFound, Conflict, PermissionDenied: as :func:`application_accept`.
        InvalidInput: no reason.
    """
    return _run(actor=actor, application=application, action=Action.REJECT, reason=reason)


def application_request_supplement(
    *,
    actor: Any,
    application: Application,
    reason: str,
    materials: Sequence[int] | None = None,
    items: Sequence[str] = (),
) -> Application:
    """Tell the applicant, in one notice, everything to supply (补正, Art. 32(1)(4)).

    Only within 5 working days of receipt; after that the application counts as accepted on
    the day of receipt (Art. 32(4)) and this is refused. Only once (一次性告知).

    Args:
        materials: ids of the version's materials to supply; default every needed material
            still missing.
        items: other things to supply or correct, as text.

    Raises:
        Conflict: not submitted, too late, or the one notice already went out.
        InvalidInput: no reason, nothing listed, or a material of another matter.
        NotFound, PermissionDenied: as :func:`application_accept`.
    """
    return _run(
        actor=actor,
        application=application,
        action=Action.REQUEST_SUPPLEMENT,
        reason=reason,
        params={"materials": materials, "items": list(items)},
    )


def application_supplement(*, actor: Any, application: Application) -> Application:
    """The applicant declares the supplement complete; it waits for acceptance again.

    The day of receipt becomes today, so the 5-working-day window starts again (Art. 32(4)).

    Raises:
        InvalidInput: something asked for is still missing.
        Conflict: no supplement was asked for.
        NotFound, PermissionDenied: not the applicant's.
    """
    return _run(actor=actor, application=application, action=Action.SUPPLEMENT)


def application_pause(
    *, actor: Any, application: Application, kind: str, reason: str
) -> Application:
    """Pause both clocks for a special procedure (Art. 45: hearing, inspection, testing,
    quarantine, appraisal, expert review…); the reason says what and how long.

    Raises:
        InvalidInput: unknown kind or no reason.
        Conflict: not under review (or already paused).
        NotFound, PermissionDenied: not a reviewer or head of the department.
    """
    return _run(
        actor=actor,
        application=application,
        action=Action.PAUSE,
        reason=reason,
        params={"kind": kind},
    )


def application_resume(*, actor: Any, application: Application, reason: str = "") -> Application:
    """Resume both clocks after a special procedure; the due dates move by the working days
    it took (DOMAIN_RULES.md §2: a pause from P to R removes the working days in (P, R])."""
    return _run(actor=actor, application=application, action=Action.RESUME, reason=reason)


def application_extend(
    *, actor: Any, application: Application, days: int, reason: str
) -> Application:
    """Extend the time limit by ``days`` working days (Art. 42): the head only, with a reason
    told to the applicant, at most the version's allowance in total, before the limit runs out.

    Raises:
        PermissionDenied: not the head of the department.
        InvalidInput: no reason, or days outside 1..allowance.
        Conflict: not under review, allowance used up, or the limit already ran out.
    """
    return _run(
        actor=actor,
        application=application,
        action=Action.EXTEND,
        reason=reason,
        params={"days": days},
    )


def application_approve(*, actor: Any, application: Application, reason: str = "") -> Application:
    """Approve (准予许可, Art. 38(1)) and issue the e-license.

    Raises:
        Conflict: not under review — for example someone else decided first.
        NotFound, PermissionDenied: not a reviewer or head of the department.
    """
    return _run(actor=actor, application=application, action=Action.APPROVE, reason=reason)


def application_deny(*, actor: Any, application: Application, reason: str) -> Application:
    """Deny (不予许可, Art. 38(2)) with the reasons told to the applicant.

    Raises:
        InvalidInput: no reason.
        Conflict, NotFound, PermissionDenied: as :func:`application_approve`.
    """
    return _run(actor=actor, application=application, action=Action.DENY, reason=reason)


def application_conclude(*, actor: Any, application: Application) -> Application:
    """Conclude (办结) a decided application; both clocks stop today."""
    return _run(actor=actor, application=application, action=Action.CONCLUDE)


def application_deliver(
    *, actor: Any, application: Application, method: str, detail: str = ""
) -> Application:
    """Record delivery of the result (送达, Art. 44): ``pickup``, ``post`` or ``e_license``.

    Raises:
        InvalidInput: unknown method, or ``e_license`` without an e-license.
        Conflict: not concluded.
        NotFound, PermissionDenied: not a window officer or reviewer of the department.
    """
    return _run(
        actor=actor,
        application=application,
        action=Action.DELIVER,
        params={"method": method, "detail": detail},
    )


def applications_accept_overdue(*, today: dt.date | None = None) -> list[Application]:
    """Accept every application left without a decision past the Art. 32(4) window.

    An application still submitted after the 5th working day following receipt counts as
    accepted on the day the materials arrived: it is accepted (by the system, event
    ``deem-accepted``) with ``accepted_on`` = the day of receipt, and its clocks start then.
    Run daily (``xiaoneng applications accept-overdue``); each application in its own
    transaction, so one failure does not hold back the rest.

    Returns:
        The applications accepted.
    """
    today = today or _today()
    calendar = _calendar()
    # The 5th working day after R is at least 5 calendar days after R.
    candidates = Application.objects.filter(
        status=Status.SUBMITTED, received_on__lt=today - dt.timedelta(days=5)
    ).order_by("received_on", "number")
    accepted: list[Application] = []
    for candidate in candidates:
        if not rules.supplement_too_late(calendar, candidate.received_on, today):
            continue
        try:
            accepted.append(_run(actor=None, application=candidate.pk, action=Action.DEEM_ACCEPTED))
        except Conflict:  # decided meanwhile by an officer
            continue
    return accepted


# -- materials -------------------------------------------------------------------------------


def _material_of(application: Application, material: Material | int | None) -> Material | None:
    if material is None:
        return None
    material_id = material.pk if isinstance(material, Material) else int(material)
    found = next(
        (m for m in application.matter_version.materials.all() if m.pk == material_id), None
    )
    if found is None:
        raise InvalidInput(
            _("Material %(id)s is not a material of %(matter)s.")
            % {"id": material_id, "matter": application.matter_version.name},
            details={"field": "material"},
        )
    return found


def _check_material_side(actor: Any, locked: Application, *, what: str) -> None:
    """Materials change only before acceptance, by the applicant's side or the front desk."""
    capacities = sel.application_capacities(actor, locked)
    if not capacities & {Capacity.APPLICANT, Capacity.WINDOW, Capacity.REVIEWER}:
        raise PermissionDenied(
            _("Only the applicant or a window officer of the department may %(what)s.")
            % {"what": what}
        )
    if locked.status not in rules.OPEN_FOR_MATERIALS:
        raise Conflict(
            _("The application is %(status)s; materials can no longer be changed.")
            % {"status": rules.STATUS_LABELS[Status(locked.status)]},
            details={"status": locked.status},
        )


def application_upload_material(
    *,
    actor: Any,
    application: Application,
    file: IO[bytes],
    name: str,
    material: Material | int | None = None,
    size: int | None = None,
) -> ApplicationMaterial:
    """Store an uploaded material (申请材料) outside the web root, under a generated name.

    The type is sniffed from the content (PDF, JPEG, PNG, OFD) and the extension of ``name``
    must agree; the size is at most ``UPLOAD_MAX_BYTES`` (default 10 MiB). The file goes to
    ``MEDIA_ROOT/applications/<uuid>/<random>.<ext>``; the original name, type, size and
    SHA-256 are recorded. Allowed while the application is submitted or awaiting a supplement.

    Raises:
        InvalidInput: empty, too large, not an accepted type, a disguised file (content and
            extension disagree), or a material of another matter.
        Conflict: the application is past acceptance.
        NotFound, PermissionDenied: not the applicant's side or the front desk.
    """
    original = Path(str(name or "").replace("\\", "/")).name[:255] or "upload"
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    found_type = files.check_upload(file, name=original, size=size, max_bytes=upload_max_bytes())
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        locked = _lock(actor, application)
        _check_material_side(actor, locked, what=_("upload materials"))
        catalog_material = _material_of(locked, material)
        extension = found_type.extensions[0]
        stored_name = f"applications/{locked.pk}/{uuid.uuid4().hex}{extension}"
        from django.core.files import File

        saved_name = default_storage.save(stored_name, File(file, name=stored_name))
        try:
            row = ApplicationMaterial(
                application=locked,
                material=catalog_material,
                kind=MaterialKind.UPLOADED,
                original_name=original,
                content_type=found_type.content_type,
                size=size,
                sha256=digest.hexdigest(),
                added_by=actor,
            )
            row.file.name = saved_name
            _full_clean(row, exclude=["file"])
            row.save()
            _record_material_change(
                locked,
                actor=actor,
                action=EVENT_UPLOAD,
                data={
                    "material": catalog_material.pk if catalog_material else None,
                    "file": row.pk,
                    "name": original,
                    "type": found_type.name,
                    "size": size,
                    "sha256": row.sha256,
                },
            )
        except Exception:
            default_storage.delete(saved_name)
            raise
    return row


def _record_material_change(
    locked: Application, *, actor: Any, action: str, data: dict[str, Any]
) -> None:
    locked.lock_version += 1
    locked.save(update_fields=["lock_version", "updated_at"])
    _event(
        locked,
        actor=actor,
        action=action,
        from_status=locked.status,
        to_status=locked.status,
        data=data,
    )
    _audit(
        locked,
        actor=actor,
        action=action,
        summary=_("Application %(number)s: material %(what)s")
        % {"number": locked.number, "what": data.get("name") or data.get("material") or ""},
        data=data,
    )


def application_remove_material(
    *, actor: Any, application: Application, application_material: ApplicationMaterial | int
) -> None:
    """Remove an upload or a paper check the applicant's side or the window added by mistake,
    before acceptance. The file is deleted after commit. Automatic rows cannot be removed.

    Raises:
        NotFound: not a row of this application (or not visible).
        Conflict: past acceptance, or a row the system recorded.
    """
    row_id = (
        application_material.pk
        if isinstance(application_material, ApplicationMaterial)
        else int(application_material)
    )
    with transaction.atomic():
        locked = _lock(actor, application)
        _check_material_side(actor, locked, what=_("remove materials"))
        row = ApplicationMaterial.objects.filter(application=locked, pk=row_id).first()
        if row is None:
            raise NotFound(_("This application has no material %(id)s.") % {"id": row_id})
        if row.kind not in {MaterialKind.UPLOADED, MaterialKind.PAPER}:
            raise Conflict(
                _("Only uploads and paper checks can be removed; this one is %(kind)s.")
                % {"kind": row.get_kind_display()}
            )
        stored = row.file.name
        data = {"file": row.pk, "name": row.original_name, "material": row.material_id}
        row.delete()
        _record_material_change(locked, actor=actor, action=EVENT_REMOVE, data=data)
        if stored:
            transaction.on_commit(lambda: default_storage.delete(stored))


def standard_commitment_text(application: Application, material: Material) -> str:
    """The promise the department asks for: duty, content, liability (国办发〔2020〕42号)."""
    return _(
        "I, %(name)s, promise that the facts which %(material)s would prove are true, for my "
        "application %(number)s (%(matter)s). I know the conditions and my duty; if the "
        "promise is false, the case may be stopped, the decision revoked, and the false promise "
        "recorded in the credit files."
    ) % {
        "name": application.applicant_name,
        "material": material.name,
        "number": application.number,
        "matter": application.matter_version.name,
    }


def application_sign_commitment(
    *, actor: Any, application: Application, material: Material | int, text: str = ""
) -> Commitment:
    """Record the applicant's written promise replacing a certificate (告知承诺, §4).

    Only for a material the matter marks as replaced by commitment, on a matter that allows
    informed commitment, and never for an applicant excluded (serious bad credit or a past
    false promise, setting ``COMMITMENT_EXCLUDED_CREDIT_CODES``): they supply the certificate.
    The applicant signs online; a window officer may record a promise signed on paper at the
    window (the signer is still the applicant). ``text`` defaults to
    :func:`standard_commitment_text`.

    Raises:
        Conflict: excluded applicant, the matter or material does not allow it, already
            promised, or past acceptance.
        InvalidInput: a material of another matter.
        NotFound, PermissionDenied: not the applicant's side or the front desk.
    """
    with transaction.atomic():
        locked = _lock(actor, application)
        capacities = sel.application_capacities(actor, locked)
        if not capacities & {Capacity.APPLICANT, Capacity.WINDOW}:
            raise PermissionDenied(
                _("Only the applicant signs a commitment (or a window officer records one).")
            )
        if locked.status not in rules.OPEN_FOR_MATERIALS:
            raise Conflict(
                _("The application is %(status)s; materials can no longer be changed.")
                % {"status": rules.STATUS_LABELS[Status(locked.status)]},
                details={"status": locked.status},
            )
        catalog_material = _material_of(locked, material)
        assert catalog_material is not None
        version = locked.matter_version
        if not version.allows_commitment or catalog_material.replacement != Replacement.COMMITMENT:
            raise Conflict(
                _("%(material)s cannot be replaced by a commitment for %(matter)s.")
                % {"material": catalog_material.name, "matter": version.name},
                details={"material": catalog_material.pk},
            )
        code = (locked.applicant_code or _identity_of(locked.applicant)).upper()
        if code and code in commitment_excluded_codes():
            raise Conflict(
                _(
                    "Informed commitment is not open to this applicant (serious bad credit or a "
                    "past false promise, until credit repair); please supply %(material)s."
                )
                % {"material": catalog_material.name},
                details={"material": catalog_material.pk, "reason": "excluded"},
            )
        if Commitment.objects.filter(application=locked, material=catalog_material).exists():
            raise Conflict(
                _("A commitment for %(material)s is already signed.")
                % {"material": catalog_material.name}
            )
        body = (text or "").strip() or standard_commitment_text(locked, catalog_material)
        commitment = Commitment(
            application=locked,
            material=catalog_material,
            text=body,
            signed_at=timezone.now(),
            signer=locked.applicant,
            recorded_by=actor,
        )
        _full_clean(commitment)
        commitment.save()
        ApplicationMaterial.objects.create(
            application=locked,
            material=catalog_material,
            kind=MaterialKind.COMMITMENT,
            commitment=commitment,
            added_by=actor,
        )
        _record_material_change(
            locked,
            actor=actor,
            action=EVENT_COMMIT,
            data={"material": catalog_material.pk, "name": catalog_material.name},
        )
    return commitment


# -- first responsibility (首问负责) ----------------------------------------------------------


def application_take_responsibility(*, actor: Any, application: Application) -> Application:
    """The officer who takes an inquiry becomes first responsible (首问负责) until a hand-over.

    Raises:
        PermissionDenied: not staff of the department.
        Conflict: someone is already responsible (they hand over explicitly), or the
            application is closed.
    """
    with transaction.atomic():
        locked = _lock(actor, application)
        capacities = sel.application_capacities(actor, locked)
        if not capacities & {Capacity.WINDOW, Capacity.REVIEWER, Capacity.HEAD}:
            raise PermissionDenied(
                _("Only staff of the department take responsibility for an application.")
            )
        if locked.status in rules.FINAL_STATUSES:
            raise Conflict(
                _("The application is %(status)s; nobody needs to take it.")
                % {"status": rules.STATUS_LABELS[Status(locked.status)]}
            )
        if locked.first_responsible_id is not None:
            if locked.first_responsible_id == actor.pk:
                return locked
            raise Conflict(
                _("%(officer)s is already responsible for this application; they hand it over.")
                % {"officer": locked.first_responsible},
                details={"first_responsible": locked.first_responsible_id},
            )
        locked.first_responsible = actor
        locked.lock_version += 1
        locked.save(update_fields=["first_responsible", "lock_version", "updated_at"])
        _set_clock_officer(locked, actor=actor, officer=actor)
        _event(
            locked,
            actor=actor,
            action=EVENT_TAKE,
            from_status=locked.status,
            to_status=locked.status,
            data={"officer": actor.pk},
        )
        _audit(
            locked,
            actor=actor,
            action=EVENT_TAKE,
            summary=_("%(officer)s is first responsible for %(number)s")
            % {"officer": actor, "number": locked.number},
        )
    _sync(application, locked)
    return locked


def application_hand_over(
    *, actor: Any, application: Application, to_officer: Any, reason: str
) -> Application:
    """Hand first responsibility (首问负责) to another officer, with a reason; recorded.

    The responsible officer hands over, or the head of the department does for them. The new
    officer must be staff of the application's department.

    Raises:
        PermissionDenied: neither the responsible officer nor the head.
        InvalidInput: no reason, or the new officer is not staff of the department.
        Conflict: nobody is responsible yet (take it first).
    """
    reason = rules.require_text(reason, _("A reason for the hand-over"))
    with transaction.atomic():
        locked = _lock(actor, application)
        capacities = sel.application_capacities(actor, locked)
        if locked.first_responsible_id is None:
            raise Conflict(_("Nobody is responsible for this application yet; take it first."))
        if locked.first_responsible_id != actor.pk and Capacity.HEAD not in capacities:
            raise PermissionDenied(
                _("Only the responsible officer or the head of the department hands over.")
            )
        if (
            to_officer is None
            or getattr(to_officer, "role", None) not in STAFF_ROLES
            or to_officer.department_id != locked.department_id
            or not to_officer.is_active
        ):
            raise InvalidInput(
                _("Hand over to an active officer of %(department)s.")
                % {"department": locked.department},
                details={"field": "to_officer"},
            )
        previous = locked.first_responsible_id
        locked.first_responsible = to_officer
        locked.lock_version += 1
        locked.save(update_fields=["first_responsible", "lock_version", "updated_at"])
        _set_clock_officer(locked, actor=actor, officer=to_officer)
        _event(
            locked,
            actor=actor,
            action=EVENT_HAND_OVER,
            from_status=locked.status,
            to_status=locked.status,
            reason=reason,
            data={"from_officer": previous, "to_officer": to_officer.pk},
        )
        _audit(
            locked,
            actor=actor,
            action=EVENT_HAND_OVER,
            summary=_("%(number)s handed over to %(officer)s")
            % {"number": locked.number, "officer": to_officer},
            data={"from_officer": previous, "to_officer": to_officer.pk, "reason": reason},
        )
    _sync(application, locked)
    return locked


# -- rating (好差评) --------------------------------------------------------------------------


def application_rate(
    *, actor: Any, application: Application, level: int, text: str = "", channel: str = "online"
) -> Any:
    """The applicant rates a concluded application (好差评, DOMAIN_RULES.md §8): five levels.

    A bad review (levels 1–2) opens a rectification on its own clock (the ratings room).

    Raises:
        PermissionDenied: not the applicant.
        Conflict: not concluded yet.
        InvalidInput: level outside 1..5 (from the ratings room).
    """
    from xiaoneng.ratings.services import rating_submit

    with transaction.atomic():
        locked = _lock(actor, application)
        if actor.pk != locked.applicant_id:
            raise PermissionDenied(_("Only the applicant rates an application."))
        if locked.status not in rules.RATEABLE_STATUSES:
            raise Conflict(
                _("The application is %(status)s; it can be rated once concluded.")
                % {"status": rules.STATUS_LABELS[Status(locked.status)]},
                details={"status": locked.status},
            )
        rating = rating_submit(
            actor=actor,
            item=locked,
            department=locked.department,
            level=level,
            text=text,
            channel=channel,
        )
        _event(
            locked,
            actor=actor,
            action=EVENT_RATE,
            from_status=locked.status,
            to_status=locked.status,
            data={"level": level, "rating": getattr(rating, "pk", None)},
        )
    return rating
