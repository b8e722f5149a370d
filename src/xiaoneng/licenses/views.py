"""Public verification page, the result PDF download, and revocation by staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from xiaoneng.core.errors import PermissionDenied, XiaonengError
from xiaoneng.core.services import audit_record
from xiaoneng.licenses import selectors


def _wants_json(request: HttpRequest) -> bool:
    if request.GET.get("format") == "json":
        return True
    if request.GET.get("format") == "html":
        return False
    accept = request.headers.get("Accept", "")
    # A browser sends text/html first; an API client asking for JSON gets JSON.
    return "application/json" in accept and "text/html" not in accept


@require_GET
@vary_on_headers("Accept")
def verify(request: HttpRequest, identifier: str) -> HttpResponse:
    """Anyone may verify an e-license: valid, revoked, expired, forged or unknown.

    The same URL answers JSON (``Accept: application/json`` or ``?format=json``). Personal data
    is only ever shown masked.
    """
    result = selectors.license_verify(identifier=identifier)
    data = selectors.license_public_data(result)
    if _wants_json(request):
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return render(request, "licenses/verify.html", {"result": result, "data": data})


@require_GET
def download_pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    """The result PDF, for the holder and for staff of the issuing department (and the office).

    Anyone else gets the same 404 as for a license that does not exist.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    license = selectors.license_by_identifier(identifier)
    if license is None or not selectors.can_download(request.user, license):
        raise Http404("No such e-license.")
    from xiaoneng.licenses.services import license_pdf

    content = license_pdf(license)
    # The PDF shows the holder's name: record who took it (DOMAIN_RULES.md §10).
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="licenses.license_download",
            target=license,
            summary=license.identifier,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{license.identifier}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, identifier: str) -> HttpResponse:
    """Revoke an e-license with a reason: staff of the issuing department, or the office.

    Anyone else gets the same 404 as for a license that does not exist; the page they came
    from shows the result.
    """
    license = selectors.license_by_identifier(identifier)
    if license is None or not (
        selectors.can_revoke(request.user, license) or selectors.can_download(request.user, license)
    ):
        raise Http404("No such e-license.")
    from xiaoneng.licenses.services import license_revoke

    try:
        if not selectors.can_revoke(request.user, license):
            raise PermissionDenied(_("Only the issuing department's reviewers and heads revoke."))
        license_revoke(
            actor=request.user, license=license, reason=request.POST.get("reason", "").strip()
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("E-license %(id)s revoked.") % {"id": identifier})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("licenses:verify", kwargs={"identifier": identifier})
    return HttpResponseRedirect(back)
