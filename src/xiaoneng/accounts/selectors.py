"""Reads of departments, users, sign-in failures and API tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from xiaoneng.accounts import rules
from xiaoneng.accounts.models import ApiToken, Department, LoginFailure, Role, User
from xiaoneng.accounts.services import identity_access_record
from xiaoneng.core.masking import mask_id_number, mask_phone


def department_list() -> QuerySet[Department]:
    """All departments, parents joined, in code order."""
    return Department.objects.select_related("parent").order_by("code")


def department_descendant_ids(root: Department) -> set[int]:
    """Ids of a department and every department below it (one query per level)."""
    ids = {root.pk}
    frontier = [root.pk]
    while frontier:
        frontier = list(
            Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


# --- Personal data on screens (DOMAIN_RULES.md §10) -----------------------------------------

# Roles that need applicants' identity numbers and phones in full: the window officer checks
# them against the applicant's documents; administrators maintain accounts.
FULL_PERSONAL_DATA_ROLES = frozenset({Role.WINDOW, Role.ADMIN})


def viewer_sees_personal_data(viewer: Any, user: User) -> bool:
    """Whether ``viewer`` is shown ``user``'s identity number and phone in full.

    The holder always is; so are window officers and administrators (including superusers).
    Everyone else, and anonymous visitors, see them masked (DOMAIN_RULES.md §10).
    """
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.pk == user.pk:
        return True
    return viewer.role in FULL_PERSONAL_DATA_ROLES or bool(viewer.is_superuser)


def _shown(user: User, *, viewer: Any, field: str, value: str, mask: Any) -> str:
    if not value:
        return ""
    if not viewer_sees_personal_data(viewer, user):
        return str(mask(value))
    if viewer.pk != user.pk:
        # Shown in full to someone else: access to personal data is logged (§10).
        identity_access_record(viewer=viewer, user=user, fields=[field])
    return value


def user_display_identity(user: User, *, viewer: Any) -> str:
    """The account's resident ID number or credit code as ``viewer`` may see it.

    In full for the holder, window officers and administrators, masked (first 6 and last 4
    characters) for everyone else; ``""`` if the account has neither. Showing it in full to
    someone other than the holder appends an ``accounts.identity_view`` audit event
    (DOMAIN_RULES.md §10).
    """
    field = "id_number" if user.id_number else "credit_code"
    return _shown(user, viewer=viewer, field=field, value=user.identity_number, mask=mask_id_number)


def user_display_phone(user: User, *, viewer: Any) -> str:
    """The account's mobile number as ``viewer`` may see it; same rule and logging as
    :func:`user_display_identity` (masked: first 3 and last 4 digits)."""
    return _shown(user, viewer=viewer, field="phone", value=user.phone, mask=mask_phone)


# --- Sign-in throttling ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginThrottlePolicy:
    """Limits on failed sign-ins, from settings (defaults: 5 in 15 minutes → 15 minutes)."""

    limit: int
    ip_limit: int
    window: dt.timedelta
    lockout: dt.timedelta


def login_throttle_policy() -> LoginThrottlePolicy:
    """The policy from ``LOGIN_FAILURE_LIMIT`` (5), ``LOGIN_FAILURE_IP_LIMIT`` (5),
    ``LOGIN_FAILURE_WINDOW_MINUTES`` (15) and ``LOGIN_LOCKOUT_MINUTES`` (15)."""
    limit = int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))
    return LoginThrottlePolicy(
        limit=limit,
        ip_limit=int(getattr(settings, "LOGIN_FAILURE_IP_LIMIT", limit)),
        window=dt.timedelta(minutes=float(getattr(settings, "LOGIN_FAILURE_WINDOW_MINUTES", 15))),
        lockout=dt.timedelta(minutes=float(getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15))),
    )


def login_lockout(*, username: str, ip: str | None, now: dt.datetime) -> dt.datetime | None:
    """When the lockout of this user name or address ends, or ``None`` if neither is locked.

    Read from the database, so every server process (each gunicorn worker) agrees. The rule is
    :func:`xiaoneng.accounts.rules.lockout_until`, applied to the user name's failures and to
    the address's failures separately; the later end wins.
    """
    policy = login_throttle_policy()
    since = now - policy.window - policy.lockout
    recent = LoginFailure.objects.filter(at__gte=since, at__lte=now)
    ends: list[dt.datetime] = []
    key = rules.login_throttle_key(username)
    for times, limit in (
        (recent.filter(username=key).values_list("at", flat=True), policy.limit),
        (
            recent.filter(ip=ip).values_list("at", flat=True) if ip else [],
            policy.ip_limit,
        ),
    ):
        until = rules.lockout_until(
            times, now=now, limit=limit, window=policy.window, lockout=policy.lockout
        )
        if until is not None:
            ends.append(until)
    return max(ends) if ends else None


# --- API tokens -------------------------------------------------------------------------------


def api_token_for_key(raw: str) -> ApiToken | None:
    """The token row for a raw bearer token (looked up by its SHA-256), holder joined."""
    return (
        ApiToken.objects.select_related("user", "user__department")
        .filter(key_hash=rules.token_hash(raw))
        .first()
    )


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
