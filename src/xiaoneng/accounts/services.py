"""Writes of departments, users, API tokens and sign-in attempts.

Each write owns its transaction and appends its audit event (``accounts.<entity>_<verb>``).
Identity numbers are checked by :mod:`xiaoneng.accounts.rules` (DOMAIN_RULES.md §10); they never
appear in audit summaries or data in full.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts import rules
from xiaoneng.accounts.errors import InvalidCredentials, LoginThrottled
from xiaoneng.accounts.models import (
    ApiToken,
    Department,
    DepartmentLevel,
    LoginChannel,
    LoginFailure,
    Role,
    User,
)
from xiaoneng.core.errors import Conflict, InvalidInput, PermissionDenied
from xiaoneng.core.services import audit_record

# Roles a window officer may open accounts for: walk-in applicants (一门办理, issue 3 §5).
WINDOW_REGISTERABLE_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE})
# How often the last use of a token is written: at most once a minute, not on every request.
TOKEN_TOUCH_INTERVAL = dt.timedelta(seconds=60)
# Failed sign-ins older than this are pruned; far longer than any lockout window.
LOGIN_FAILURE_RETENTION = dt.timedelta(days=1)


@transaction.atomic
def department_upsert(
    *,
    actor: Any | None,
    code: str,
    name: str,
    level: str = DepartmentLevel.CITY,
    parent: Department | None = None,
    short_name: str = "",
    credit_code: str = "",
    is_service_unit: bool = False,
) -> Department:
    """Create a department or update the one with this code."""
    department, created = Department.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "level": level,
            "parent": parent,
            "short_name": short_name,
            "credit_code": credit_code,
            "is_service_unit": is_service_unit,
        },
    )
    if not created:
        department.name = name
        department.level = level
        department.parent = parent
        department.short_name = short_name
        department.credit_code = credit_code
        department.is_service_unit = is_service_unit
    department.full_clean()
    department.save()
    audit_record(
        actor=actor,
        action="accounts.department_create" if created else "accounts.department_update",
        target=department,
        summary=f"{code} {name}",
    )
    return department


# --- Users ----------------------------------------------------------------------------------


def _full_clean(user: User) -> None:
    """``full_clean`` with Django's errors turned into the platform's :class:`InvalidInput`."""
    try:
        user.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        messages = [m for field_messages in errors.values() for m in field_messages]
        raise InvalidInput(" ".join(messages), details={"errors": errors}) from None


def _check_may_register(actor: User | None, role: str) -> None:
    if actor is None or actor.is_platform_admin:
        return
    if actor.role == Role.WINDOW and role in WINDOW_REGISTERABLE_ROLES:
        return
    raise PermissionDenied(
        _(
            "Only administrators open accounts for this role; window officers may register "
            "applicants (persons and enterprises)."
        )
    )


@transaction.atomic
def user_register(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str,
    id_number: str = "",
    credit_code: str = "",
    phone: str = "",
    email: str = "",
    department: Department | None = None,
    enforce_password_policy: bool = True,
) -> User:
    """Open an account, checking its identity number, role and department.

    A citizen needs a valid resident ID number, an enterprise a valid unified social credit code
    (a partner institution may have one), staff roles (window, reviewer, head) a department
    (DOMAIN_RULES.md §10). The numbers are stored normalised. Accounts with the admin role are
    also Django staff and superusers, so they can use the admin site.

    Args:
        actor: who opens the account; ``None`` for the system (commands, the demo). Window
            officers may register applicants only; other roles need an administrator.
        enforce_password_policy: check the password against ``AUTH_PASSWORD_VALIDATORS``;
            only the demo city turns this off (its published password is ``demo``).

    Raises:
        InvalidInput: a number, the password or another field breaks a rule; the message says
            which and how (``details`` names the field).
        PermissionDenied: the actor may not open an account with this role.
        Conflict: another account took the user name or ID number at the same moment.
    """
    _check_may_register(actor, role)
    # Checked here first for the precise message and details; stored normalised.
    id_number = rules.validate_resident_id(id_number) if id_number.strip() else ""
    credit_code = rules.validate_credit_code(credit_code) if credit_code.strip() else ""
    phone = rules.validate_mobile(phone) if phone.strip() else ""
    user = User(
        username=username.strip(),
        role=role,
        display_name=display_name.strip(),
        id_number=id_number,
        credit_code=credit_code,
        phone=phone,
        email=email.strip(),
        department=department,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if enforce_password_policy:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(
                " ".join(exc.messages), details={"errors": {"password": exc.messages}}
            ) from None
    user.set_password(password)
    _full_clean(user)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict(
            _("Another account was opened with this user name or ID number at the same time.")
        ) from None
    audit_record(
        actor=actor,
        action="accounts.user_register",
        target=user,
        summary=f"{user.username} ({user.role})",
        data={
            "role": user.role,
            "department": department.code if department is not None else None,
        },
    )
    return user


@transaction.atomic
def user_update_contact(
    *,
    actor: User | None,
    user: User,
    phone: str | None = None,
    email: str | None = None,
) -> User:
    """Change an account's mobile number and/or email; ``None`` leaves a field as it is.

    The account holder and administrators may do this. The audit event names the fields that
    changed, not their values (personal data, DOMAIN_RULES.md §10).

    Raises:
        InvalidInput: the mobile number or email is not valid; the message says why.
        PermissionDenied: the actor is neither the account holder nor an administrator.
    """
    if actor is not None and actor.pk != user.pk and not actor.is_platform_admin:
        raise PermissionDenied(
            _("Only the account holder or an administrator may change contact details.")
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    changed: list[str] = []
    if phone is not None:
        new_phone = rules.validate_mobile(phone) if phone.strip() else ""
        if new_phone != locked.phone:
            locked.phone = new_phone
            changed.append("phone")
    if email is not None and email.strip() != locked.email:
        locked.email = email.strip()
        changed.append("email")
    if not changed:
        return locked
    _full_clean(locked)
    locked.save(update_fields=changed)
    audit_record(
        actor=actor,
        action="accounts.user_update_contact",
        target=locked,
        summary=f"{locked.username}: {', '.join(changed)}",
        data={"changed": changed},
    )
    return locked


@transaction.atomic
def identity_access_record(*, viewer: User, user: User, fields: list[str]) -> None:
    """Log that someone other than the holder was shown personal data in full.

    DOMAIN_RULES.md §10: access to personal data is logged. The event names the fields shown,
    never their values.
    """
    audit_record(
        actor=viewer,
        action="accounts.identity_view",
        target=user,
        summary=f"{viewer.username} → {user.username}: {', '.join(fields)}",
        data={"fields": fields},
    )


# --- API tokens -----------------------------------------------------------------------------


def api_token_hours() -> float:
    """Lifetime of a new API token in hours: ``settings.API_TOKEN_HOURS``, default 24."""
    return float(getattr(settings, "API_TOKEN_HOURS", 24))


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued: the stored row and the raw token, which is shown only this once."""

    token: ApiToken
    raw: str


@transaction.atomic
def api_token_issue(
    *, actor: User | None, user: User, name: str = "", hours: float | None = None
) -> IssuedToken:
    """Issue a bearer token for ``user``; only its SHA-256 digest is stored.

    Args:
        actor: who asks for it (the user themself when signing in through the API).
        hours: lifetime; defaults to :func:`api_token_hours`.
    """
    raw = rules.TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name.strip()[:100],
        key_hash=rules.token_hash(raw),
        prefix=raw[:11],
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours if hours is not None else api_token_hours()),
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=actor,
        action="accounts.api_token_issue",
        target=token,
        summary=f"{user.username} {token.prefix}…",
        data={"expires_at": token.expires_at.isoformat()},
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token so it no longer authenticates; revoking twice changes nothing.

    Raises:
        PermissionDenied: the actor is neither the token's holder nor an administrator.
    """
    if actor is not None and actor.pk != token.user_id and not actor.is_platform_admin:
        raise PermissionDenied(_("Only the token's holder or an administrator may revoke it."))
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="accounts.api_token_revoke",
        target=locked,
        summary=f"{locked.user.username} {locked.prefix}…",
    )
    return locked


def api_token_touch(*, token: ApiToken, now: dt.datetime) -> None:
    """Note that a token was used; written at most once a minute (bookkeeping, not audited)."""
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- Sign-in and its throttling ---------------------------------------------------------------


@transaction.atomic
def login_failure_record(*, username: str, ip: str | None, channel: str) -> dt.datetime | None:
    """Record a failed sign-in; return the end of the lockout it starts, if it starts one.

    The failure goes to the database so that every server process counts it. The failure that
    starts a lockout is audited (``accounts.login_lockout``). Failures older than a day are
    pruned here, so the table stays small without a scheduled job.
    """
    from xiaoneng.accounts.selectors import login_lockout

    now = timezone.now()
    key = rules.login_throttle_key(username)
    LoginFailure.objects.filter(at__lt=now - LOGIN_FAILURE_RETENTION).delete()
    LoginFailure.objects.create(username=key, ip=ip, at=now, channel=channel)
    until = login_lockout(username=key, ip=ip, now=now)
    if until is not None:
        audit_record(
            actor=None,
            action="accounts.login_lockout",
            target=User.objects.filter(username__iexact=key).first(),
            summary=f"{key} {ip or ''} until {until:%Y-%m-%d %H:%M:%S}",
            data={"username": key, "ip": ip, "until": until.isoformat(), "channel": channel},
        )
    return until


@transaction.atomic
def login_failures_clear(*, username: str) -> int:
    """Forget the failures of a user name after a successful sign-in; return how many.

    Failures counted by address are kept: one good password must not reset an address that is
    trying many accounts.
    """
    deleted, _by_model = LoginFailure.objects.filter(
        username=rules.login_throttle_key(username)
    ).delete()
    return deleted


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, for throttling.

    ``REMOTE_ADDR`` unless ``settings.LOGIN_CLIENT_IP_HEADER`` names the ``META`` key that a
    trusted reverse proxy fills (e.g. ``"HTTP_X_REAL_IP"``); default ``None``. Behind a proxy
    without it, every client shares the proxy's address.
    """
    if request is None:
        return None
    header = getattr(settings, "LOGIN_CLIENT_IP_HEADER", None)
    raw = request.META.get(header) if header else None
    raw = (raw or request.META.get("REMOTE_ADDR") or "").split(",")[0].strip()
    try:
        validate_ipv46_address(raw)
    except ValidationError:
        return None
    return raw


def user_authenticate(
    *, request: HttpRequest | None, username: str, password: str, channel: str = LoginChannel.WEB
) -> User:
    """Check a user name and password, with throttling of repeated failures.

    Refused before the password is even checked while the user name or the client's address
    is locked out (see :func:`xiaoneng.accounts.selectors.login_lockout`); a failure is
    recorded; a success clears the user name's failures. Used by the web sign-in form and by
    the token endpoint alike, so both count towards the same limits.

    Raises:
        LoginThrottled: locked out; ``retry_after`` says for how many seconds.
        InvalidCredentials: no active account with this user name and password (the message
            does not say which was wrong).
    """
    from xiaoneng.accounts.selectors import login_lockout

    ip = client_ip(request)
    now = timezone.now()
    until = login_lockout(username=username, ip=ip, now=now)
    if until is not None:
        raise LoginThrottled((until - now).total_seconds())
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        login_failure_record(username=username, ip=ip, channel=channel)
        raise InvalidCredentials()
    login_failures_clear(username=username)
    return user
