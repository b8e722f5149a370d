"""Pages of the applications room: the applicant's portal and the staff workbench.

Views only parse input, find the application through the one access function
(:func:`~xiaoneng.applications.selectors.application_for_user`, which answers "not found" for
anything the user may not see) and call one service. Errors from the services come back to
the page as a message in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.accounts.models import STAFF_ROLES, Role, User
from xiaoneng.applications import rules, selectors, services
from xiaoneng.applications.models import Application, DeliveryMethod, MaterialKind
from xiaoneng.catalog.models import Matter, MatterStatus
from xiaoneng.clocks.models import PauseKind
from xiaoneng.core.errors import NotFound, XiaonengError

APPLICANT_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE, Role.PARTNER})
WARNING_CHOICES = ("none", "yellow", "red")


def _application_or_404(request: HttpRequest, pk: Any) -> Application:
    try:
        return selectors.application_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _back(pk: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("applications:detail", kwargs={"pk": pk}))


# -- applicant portal ----------------------------------------------------------------------


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """Apply online for a matter: a short form, then the application page to add materials."""
    if getattr(request.user, "role", None) not in APPLICANT_ROLES:
        raise DjangoPermissionDenied(_("Only applicants apply online; staff use the workbench."))
    matter = (
        Matter.objects.filter(code=code, status=MatterStatus.ACTIVE)
        .select_related("current_version__department")
        .first()
    )
    if matter is None or matter.current_version is None:
        raise Http404(_("No matter has the code %(code)s.") % {"code": code})
    version = matter.current_version
    values = {
        "contact_phone": request.POST.get("contact_phone", "").strip(),
        "address": request.POST.get("address", "").strip(),
        "purpose": request.POST.get("purpose", "").strip(),
    }
    if request.method == "POST":
        try:
            application = services.application_submit(
                actor=request.user,
                matter=matter,
                form={k: v for k, v in values.items() if v},
                idempotency_key=request.POST.get("idempotency_key", "")[:64],
            )
        except XiaonengError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Application %(number)s submitted. Add the materials still missing below.")
                % {"number": application.number},
            )
            return _back(application.pk)
    import uuid

    return render(
        request,
        "applications/apply.html",
        {
            "matter": matter,
            "version": version,
            "values": values,
            "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        },
    )


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    """The applicant's own applications, newest first."""
    queryset = selectors.applications_visible_to(request.user)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/my_list.html",
        {"page_obj": page, "summaries": selectors.application_summaries(page.object_list)},
    )


# -- the application page, shared by applicants and staff ----------------------------------


@login_required
def detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """One application: status, clocks, materials, history, result and the actions allowed now."""
    try:
        data = selectors.application_detail(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    application = data.application
    staff = []
    if "hand-over" in data.allowed_actions:
        staff = list(
            User.objects.filter(
                department_id=application.department_id, role__in=STAFF_ROLES, is_active=True
            )
            .exclude(pk=request.user.pk or 0)
            .order_by("username")
        )
    rating = None
    if application.status in (rules.Status.CONCLUDED, rules.Status.DELIVERED):
        from xiaoneng.ratings.selectors import rating_of_item

        rating = rating_of_item(item=application, rater=application.applicant)
    can_revoke_license = False
    if data.license and data.license.get("status", "valid") == "valid":
        from xiaoneng.licenses.selectors import can_revoke, license_by_identifier

        issued = license_by_identifier(data.license["identifier"])
        can_revoke_license = issued is not None and can_revoke(request.user, issued)
    version_materials = data.extras.get("version_materials", {})
    labels = dict(MaterialKind.choices)
    requirement_rows = [
        (r, version_materials.get(r.material_id), [labels.get(k, k) for k in r.satisfied_by])
        for r in data.requirements
    ]
    return render(
        request,
        "applications/detail.html",
        {
            "d": data,
            "requirement_rows": requirement_rows,
            "can_revoke_license": can_revoke_license,
            "application": application,
            "status_label": rules.STATUS_LABELS.get(rules.Status(application.status), ""),
            "actions": [(a, _action_label(a)) for a in data.allowed_actions if a != "supplement"],
            "can_supplement": "supplement" in data.allowed_actions,
            "is_applicant": rules.Capacity.APPLICANT in data.capacities,
            "pause_kinds": [(k.value, k.label) for k in PauseKind if k != PauseKind.SUPPLEMENT],
            "delivery_methods": DeliveryMethod.choices,
            "staff": staff,
            "rating": rating,
            "levels": [
                (5, _("very satisfied")),
                (4, _("satisfied")),
                (3, _("fairly satisfied")),
                (2, _("dissatisfied")),
                (1, _("very dissatisfied")),
            ],
        },
    )


def _action_label(action: str) -> str:
    if action == "take-responsibility":
        return _("take responsibility (首问负责)")
    if action == "hand-over":
        return _("hand over")
    try:
        return str(rules.ACTION_LABELS[rules.Action(action)])
    except (KeyError, ValueError):
        return action


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


def _int(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "").strip()
    try:
        return int(raw)
    except ValueError:
        from xiaoneng.core.errors import InvalidInput

        raise InvalidInput(
            _("Expected a whole number for %(field)s, got %(value)r.")
            % {"field": name, "value": raw}
        ) from None


def _whole_numbers(values: list[str]) -> list[int]:
    """The values that are ids (ASCII digits that fit a 64-bit column); the rest are ignored.

    ``str.isdigit`` alone is not enough: ``"²".isdigit()`` is true and ``int("²")`` fails.
    """
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]


def _hand_over(request: HttpRequest, application: Application) -> Application:
    officer = User.objects.filter(
        pk=_int(request, "to_officer") if request.POST.get("to_officer") else 0
    ).first()
    if officer is None:
        from xiaoneng.core.errors import InvalidInput

        raise InvalidInput(_("Choose the officer who takes over."))
    return services.application_hand_over(
        actor=request.user, application=application, to_officer=officer, reason=_reason(request)
    )


# Each action's service, with the inputs its form sends.
ACTIONS: dict[str, Callable[[HttpRequest, Application], Any]] = {
    "accept": lambda r, a: services.application_accept(actor=r.user, application=a),
    "reject": lambda r, a: services.application_reject(
        actor=r.user, application=a, reason=_reason(r)
    ),
    "request-supplement": lambda r, a: services.application_request_supplement(
        actor=r.user,
        application=a,
        reason=_reason(r),
        materials=_whole_numbers(r.POST.getlist("materials")),
        items=[x.strip() for x in r.POST.get("items", "").splitlines() if x.strip()],
    ),
    "supplement": lambda r, a: services.application_supplement(actor=r.user, application=a),
    "pause": lambda r, a: services.application_pause(
        actor=r.user, application=a, kind=r.POST.get("kind", ""), reason=_reason(r)
    ),
    "resume": lambda r, a: services.application_resume(
        actor=r.user, application=a, reason=_reason(r)
    ),
    "extend": lambda r, a: services.application_extend(
        actor=r.user, application=a, days=_int(r, "days"), reason=_reason(r)
    ),
    "approve": lambda r, a: services.application_approve(
        actor=r.user, application=a, reason=_reason(r)
    ),
    "deny": lambda r, a: services.application_deny(actor=r.user, application=a, reason=_reason(r)),
    "conclude": lambda r, a: services.application_conclude(actor=r.user, application=a),
    "deliver": lambda r, a: services.application_deliver(
        actor=r.user,
        application=a,
        method=r.POST.get("method", ""),
        detail=r.POST.get("detail", "").strip(),
    ),
    "take-responsibility": lambda r, a: services.application_take_responsibility(
        actor=r.user, application=a
    ),
    "hand-over": _hand_over,
}


@require_POST
@login_required
def act(request: HttpRequest, pk: Any, action: str) -> HttpResponse:
    """Take one action on an application; the service decides whether it is allowed now."""
    application = _application_or_404(request, pk)
    perform = ACTIONS.get(action)
    if perform is None:
        raise Http404(_("There is no action %(action)s.") % {"action": action})
    try:
        perform(request, application)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": _action_label(action)})
    return _back(application.pk)


@require_POST
@login_required
def upload(request: HttpRequest, pk: Any) -> HttpResponse:
    """Upload a file for one material; type and size are checked from the content."""
    application = _application_or_404(request, pk)
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, _("Choose a file to upload."))
        return _back(application.pk)
    try:
        services.application_upload_material(
            actor=request.user,
            application=application,
            file=file,
            name=file.name or "upload",
            material=_int(request, "material") if request.POST.get("material") else None,
            size=file.size,
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("File %(name)s received.") % {"name": file.name})
    return _back(application.pk)


@require_POST
@login_required
def commit(request: HttpRequest, pk: Any) -> HttpResponse:
    """Sign the written promise that replaces a material (告知承诺)."""
    application = _application_or_404(request, pk)
    try:
        services.application_sign_commitment(
            actor=request.user,
            application=application,
            material=_int(request, "material"),
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your written promise is recorded."))
    return _back(application.pk)


@require_POST
@login_required
def rate(request: HttpRequest, pk: Any) -> HttpResponse:
    """Rate the service after conclusion (好差评)."""
    application = _application_or_404(request, pk)
    try:
        services.application_rate(
            actor=request.user,
            application=application,
            level=_int(request, "level"),
            text=request.POST.get("text", "").strip(),
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return _back(application.pk)


# -- staff workbench -----------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in STAFF_ROLES:
        raise DjangoPermissionDenied(_("The workbench is for window officers and reviewers."))


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """The department's queue, most urgent first, with warning colours and filters."""
    _staff_only(request)
    status = request.GET.get("status") or None
    warning = request.GET.get("warning") or None
    q = request.GET.get("q", "").strip() or None
    queryset = selectors.applications_visible_to(request.user, status=status, warning=warning, q=q)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/workbench.html",
        {
            "page_obj": page,
            "summaries": selectors.application_summaries(page.object_list),
            "statuses": [(s.value, rules.STATUS_LABELS[s]) for s in rules.Status],
            "warnings": WARNING_CHOICES,
            "values": {"status": status or "", "warning": warning or "", "q": q or ""},
        },
    )


@login_required
def walk_in(request: HttpRequest) -> HttpResponse:
    """A window officer registers an application for a walk-in applicant (一门办理)."""
    _staff_only(request)
    source = request.POST if request.method == "POST" else request.GET
    values = {
        k: source.get(k, "").strip()
        for k in ("matter", "applicant_name", "id_number", "credit_code", "contact_phone")
    }
    # The officer names the matter first; its materials then appear as a checklist of what
    # the applicant handed over on paper.
    matter = (
        Matter.objects.filter(code=values["matter"], status=MatterStatus.ACTIVE)
        .select_related("current_version")
        .first()
        if values["matter"]
        else None
    )
    materials = (
        list(matter.current_version.materials.all()) if matter and matter.current_version else []
    )
    if request.method == "POST" and request.POST.get("step") == "register":
        promised = _whole_numbers(request.POST.getlist("commitments"))
        accept = request.POST.get("accept") == "on"
        try:
            # A promise signed on paper at the window is recorded before acceptance, so the
            # application is complete when the officer accepts it on the spot.
            with transaction.atomic():
                application = services.application_register_walk_in(
                    actor=request.user,
                    matter=values["matter"],
                    applicant_name=values["applicant_name"],
                    id_number=values["id_number"],
                    credit_code=values["credit_code"],
                    form={"contact_phone": values["contact_phone"]}
                    if values["contact_phone"]
                    else {},
                    paper_materials=_whole_numbers(request.POST.getlist("paper_materials")),
                    accept=accept and not promised,
                    idempotency_key=request.POST.get("idempotency_key", "")[:64],
                )
                if promised and not getattr(application, "idempotent_replay", False):
                    for material_id in promised:
                        services.application_sign_commitment(
                            actor=request.user, application=application, material=material_id
                        )
                    if accept and not selectors.application_missing(application):
                        application = services.application_accept(
                            actor=request.user, application=application
                        )
        except XiaonengError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Application %(number)s registered.") % {"number": application.number}
            )
            return _back(application.pk)
    import uuid

    return render(
        request,
        "applications/walk_in.html",
        {
            "values": values,
            "matter": matter,
            "materials": materials,
            "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        },
    )
