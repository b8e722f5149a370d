"""The citizen's pages: the web form (`/hotline/`) and the lookup (`/hotline/lookup/`).

Public, signed in or not (DOMAIN_RULES.md §7: one number, every channel open to everyone). The
form files a ticket through ``services.tickets.ticket_submit_web`` and shows its number and
query code (查询码); number and code together look it up. Failed lookups are counted per
client and refused after :data:`LOOKUP_MAX_FAILURES` in :data:`LOOKUP_WINDOW_SECONDS`, so the
six-digit code cannot be found by trying them all.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xiaoneng.core.errors import XiaonengError
from xiaoneng.hotline.forms import MAX_ATTACHMENTS, SubmitForm
from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views import common, labels, public

SESSION_SUBMITTED = "hotline_submitted"
LOOKUP_MAX_FAILURES = 10
LOOKUP_WINDOW_SECONDS = 600
SUBMIT_WINDOW_SECONDS = 3600
DEFAULT_SUBMITS_PER_HOUR = 20


def submits_per_hour() -> int:
    """Web requests one address may file per hour: setting ``HOTLINE_WEB_SUBMITS_PER_HOUR``."""
    return int(getattr(settings, "HOTLINE_WEB_SUBMITS_PER_HOUR", DEFAULT_SUBMITS_PER_HOUR))


def _submit_key(request: HttpRequest) -> str:
    return f"hotline-submit:ip:{request.META.get('REMOTE_ADDR', '')}"


def _count_submission(request: HttpRequest) -> int:
    """Count one filed request of this address in the hour window; the new count."""
    key = _submit_key(request)
    if cache.add(key, 1, SUBMIT_WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, SUBMIT_WINDOW_SECONDS)
        return 1


# -- the web form ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The citizen's form: a request with type, category, place, contact and up to 5 files."""
    form = SubmitForm(request.POST or None)
    status = 200
    if request.method == "POST" and cache.get(_submit_key(request), 0) >= submits_per_hour():
        # The form is open to everyone, signed in or not: a flood from one address is cut
        # off here, before anything is written, with what was typed kept on the page.
        form.is_valid()
        form.add_error(
            None,
            _(
                "Too many requests filed from here: %(max)s in an hour. Please call 12345 or "
                "try again later."
            )
            % {"max": submits_per_hour()},
        )
        return render(
            request,
            "hotline/submit.html",
            {"form": form, "max_attachments": MAX_ATTACHMENTS},
            status=429,
        )
    if request.method == "POST":
        files = request.FILES.getlist("attachments")
        if len(files) > MAX_ATTACHMENTS:
            form.add_error(
                None,
                _("At most %(max)s files may be attached; got %(count)s.")
                % {"max": MAX_ATTACHMENTS, "count": len(files)},
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_submit_web(
                    reporter=request.user if request.user.is_authenticated else None,
                    ticket_type=data["ticket_type"],
                    description=data["description"],
                    category=data["category"],
                    address=data["address"],
                    district=data["district"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    attachments=files,
                )
            except XiaonengError as exc:
                form.add_error(None, exc.message)
            else:
                _count_submission(request)
                # Shown on the next page, which a reload does not resubmit (POST-redirect-GET).
                request.session[SESSION_SUBMITTED] = ticket.pk
                return HttpResponseRedirect(reverse("hotline:submitted"))
        status = 400
    elif request.user.is_authenticated:
        form.initial["reporter_name"] = getattr(request.user, "display_name", "") or ""
        form.initial["reporter_phone"] = getattr(request.user, "phone", "") or ""
    return render(
        request,
        "hotline/submit.html",
        {"form": form, "max_attachments": MAX_ATTACHMENTS},
        status=status,
    )


def submitted(request: HttpRequest) -> HttpResponse:
    """The ticket just filed from this browser: its number and query code, how to look it up."""
    pk = request.session.get(SESSION_SUBMITTED)
    ticket = Ticket.objects.filter(pk=pk).first() if pk else None
    if ticket is None:
        return HttpResponseRedirect(reverse("hotline:submit"))
    return render(
        request,
        "hotline/submitted.html",
        {"ticket": ticket, "type_label": labels.label(labels.TYPE_LABELS, ticket.ticket_type)},
    )


# -- the lookup ------------------------------------------------------------------------------


def _client_keys(request: HttpRequest) -> list[str]:
    # Per address and per session: a new session does not reset the address's count, and
    # clients behind one address (a NAT) that keep their session are told apart no better.
    keys = [f"hotline-lookup-fail:ip:{request.META.get('REMOTE_ADDR', '')}"]
    if request.session.session_key:
        keys.append(f"hotline-lookup-fail:s:{request.session.session_key}")
    return keys


def lookup_failures(request: HttpRequest) -> int:
    """Failed lookups of this client in the current window (the higher of address, session)."""
    return max((cache.get(key, 0) for key in _client_keys(request)), default=0)


def _count_failure(request: HttpRequest) -> None:
    if not request.session.session_key:
        request.session.save()
    for key in _client_keys(request):
        # The window starts at the first failure and is not extended by later ones.
        if not cache.add(key, 1, LOOKUP_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, LOOKUP_WINDOW_SECONDS)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Look a ticket up by number and query code; a signed-in reporter also sees theirs."""
    values = {
        "number": request.POST.get("number", request.GET.get("number", "")).strip(),
        "code": request.POST.get("code", "").strip(),
    }
    found: public.PublicView | None = None
    status = 200
    mine = list(public.tickets_of_reporter(request.user)[:50])
    if request.method == "POST":
        if lookup_failures(request) >= LOOKUP_MAX_FAILURES:
            messages.error(
                request,
                _(
                    "Too many failed lookups from here: %(max)s in %(minutes)s minutes. "
                    "Please try again later."
                )
                % {"max": LOOKUP_MAX_FAILURES, "minutes": LOOKUP_WINDOW_SECONDS // 60},
            )
            status = 429
        else:
            ticket = public.ticket_by_lookup(values["number"], values["code"])
            if ticket is None:
                _count_failure(request)
                # The same words for an unknown number and a wrong code: no enumeration.
                messages.error(
                    request,
                    _(
                        "No ticket matches this number and query code. Check both: the "
                        "number starts with GD, the code has six digits."
                    ),
                )
                status = 404
            else:
                found = public.public_view(ticket)
    elif re.fullmatch(r"[0-9]{1,18}", request.GET.get("mine", "")):
        # ASCII digits only: "²".isdigit() is true, and int("²") fails.
        own = {t.pk: t for t in mine}.get(int(request.GET["mine"]))
        if own is not None:
            found = public.public_view(own)
    return render(
        request,
        "hotline/lookup.html",
        {
            "values": values,
            "found": found,
            "mine": common.ticket_rows(mine),
            **_label_context(found),
        },
        status=status,
    )


def _label_context(found: public.PublicView | None) -> dict[str, Any]:
    if found is None:
        return {}
    ticket = found.ticket
    return {
        "status_label": labels.label(labels.STATUS_LABELS, ticket.status),
        "type_label": labels.label(labels.TYPE_LABELS, ticket.ticket_type),
        "parts": common.ticket_rows(found.parts),
    }
