"""The inbox page (/inbox/): a signed-in person's in-site messages, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.core.errors import NotFound
from xiaoneng.notifications import selectors, services

PAGE_SIZE = 20


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The caller's in-site messages, unread ones marked, with a form to mark each read."""
    page = Paginator(selectors.message_inbox(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {"page_obj": page, "unread": selectors.message_unread_count(user=request.user)},
    )


@login_required
@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read and go back to the inbox page it was on."""
    try:
        message = selectors.message_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    services.message_mark_read(actor=request.user, message=message)
    page = request.POST.get("page", "")
    return redirect(f"/inbox/?page={page}" if page.isdigit() else "/inbox/")
