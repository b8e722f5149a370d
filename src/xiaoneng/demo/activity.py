"""The demo city's recent season of applications, replayed through the rooms' services.

The plan (:mod:`xiaoneng.demo.activity_plan`) says what happens on which day. This module
replays it: for every day of the season it moves the process clock to that day at 10:00
(Asia/Shanghai) with ``time-machine``, runs the platform's daily jobs as the scheduler would
(Art. 32(4) deemed acceptance, the clock warning scan), then takes that day's steps through
the applications and ratings services, as the officers and applicants of the plan. The
services take "today" from the process clock and refuse days in the future, so history is
written the only way it can be: on its day. Every row therefore has its events, clocks,
notices and audit trail exactly as if people had done the work (docs/demo-city.md).

Only the ``xiaoneng demo`` process travels in time; the server never does.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.applications import services as app_services
from xiaoneng.applications.models import Application
from xiaoneng.applications.rules import AUTOMATIC_REPLACEMENTS, Status
from xiaoneng.catalog.models import Material, Matter, MatterStatus
from xiaoneng.core.errors import InvalidInput
from xiaoneng.demo.activity_plan import (
    ACTIVITY_DEPARTMENTS,
    ACTOR_OF,
    APPLICATIONS_PER_SCALE,
    SEASON_DAYS,
    MatterFacts,
    Op,
    PlannedApplicant,
    PlannedCase,
    SeasonPlan,
    Step,
    plan_season,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_OPENS = dt.time(10, 0)  # the hour each simulated day starts at
STEP_SECONDS = 47  # the clock moves on this much between two steps of a day…
DAY_SECONDS = 7 * 3600  # …unless the day is busy: then its steps share seven hours
WARNINGS_SCAN = "xiaoneng.supervision.services.warnings"

Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


# -- small real files for uploads ------------------------------------------------------------


def tiny_pdf() -> bytes:
    """A valid one-page PDF (blank A4) with a correct cross-reference table."""
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png() -> bytes:
    """A valid 1×1 grey PNG image (signature, IHDR, IDAT, IEND, each with its CRC)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc0")  # filter byte 0, one light-grey pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# -- the catalog as the plan sees it ---------------------------------------------------------


@dataclass
class _MatterRows:
    matter: Matter
    uploads: list[Material]  # supplied by the applicant (file online, paper at the window)
    commitments: list[Material]  # replaced by a signed informed commitment


def _matters(*, on: dt.date) -> dict[str, tuple[MatterFacts, _MatterRows]]:
    """The matters of the season's departments whose version in force today has been in
    force since the season began, with what an applicant must supply for each."""
    found: dict[str, tuple[MatterFacts, _MatterRows]] = {}
    queryset = (
        Matter.objects.filter(
            status=MatterStatus.ACTIVE,
            current_version__department__code__in=ACTIVITY_DEPARTMENTS,
            current_version__effective_from__lte=on,
        )
        .select_related("current_version", "current_version__department")
        .prefetch_related("current_version__materials")
        .order_by("code")
    )
    for matter in queryset:
        version = matter.current_version
        assert version is not None
        uploads: list[Material] = []
        commitments: list[Material] = []
        for material in sorted(version.materials.all(), key=lambda m: (m.order, m.pk)):
            if material.necessity != "required" or material.replacement in AUTOMATIC_REPLACEMENTS:
                continue
            if material.replacement == "commitment" and version.allows_commitment:
                commitments.append(material)
            else:
                uploads.append(material)
        objects = version.service_objects if isinstance(version.service_objects, list) else []
        forms = version.handling_forms if isinstance(version.handling_forms, list) else []
        facts = MatterFacts(
            code=matter.code,
            name=version.name,
            department_code=version.department.code,
            kind=version.kind,
            promised_limit_days=version.promised_limit_days,
            legal_limit_days=version.legal_limit_days,
            extension_days=version.extension_days,
            online=version.online,
            window="window" in forms or version.in_hall,
            for_persons="natural_person" in objects,
            for_enterprises=bool(objects) and objects != ["natural_person"],
            uploads=len(uploads),
            commitments=len(commitments),
        )
        found[matter.code] = (facts, _MatterRows(matter, uploads, commitments))
    return found


# -- the daily jobs --------------------------------------------------------------------------


def warnings_scan_or_refresh(*, today: dt.date) -> None:
    """Move the stored clock warnings forward to ``today`` and record the changes.

    Calls the supervision room's ``warnings_scan`` (which keeps the warnings ledger) when the
    room has it, and otherwise the clocks room's ``clocks_refresh_warnings``, which the
    scheduler ran before the ledger existed.
    """
    if importlib.util.find_spec(WARNINGS_SCAN) is not None:
        scan = getattr(importlib.import_module(WARNINGS_SCAN), "warnings_scan", None)
        if scan is not None:
            scan(today=today)
            return
    from xiaoneng.clocks.services import clocks_refresh_warnings

    clocks_refresh_warnings(today=today)


def _daily_jobs(day: dt.date) -> None:
    """What the scheduler (``SCHEDULED_JOBS``) does every day, for ``day``."""
    app_services.applications_accept_overdue(today=day)
    warnings_scan_or_refresh(today=day)


# -- the replay ------------------------------------------------------------------------------


def _at(day: dt.date, when: dt.time = OFFICE_OPENS) -> dt.datetime:
    return dt.datetime.combine(day, when, tzinfo=SHANGHAI)


@dataclass
class _Replay:
    plan: SeasonPlan
    matters: dict[str, _MatterRows]
    staff: dict[tuple[str, str], User] = field(default_factory=dict)
    accounts: dict[str, User] = field(default_factory=dict)
    applicants: dict[str, PlannedApplicant] = field(default_factory=dict)
    cases: dict[int, Application] = field(default_factory=dict)
    withheld: dict[int, list[Material]] = field(default_factory=dict)
    ratings: dict[int, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    pdf: bytes = field(default_factory=tiny_pdf)
    png: bytes = field(default_factory=tiny_png)

    # -- people

    def register_people(self) -> int:
        """The season's officers and online applicants, registered the day before it
        begins; the bureau's `window`, `reviewer` and `head` already exist."""
        from xiaoneng.accounts.services import user_register
        from xiaoneng.demo.services import DEMO_PASSWORD

        departments = {d.code: d for d in Department.objects.filter(code__in=ACTIVITY_DEPARTMENTS)}
        existing = {u.username: u for u in User.objects.filter(username__in=self._usernames())}
        created = 0
        role_names = {"window": "窗口人员", "reviewer": "审批人员", "head": "负责人"}
        with time_machine.travel(_at(self.plan.start - dt.timedelta(days=1)), tick=False):
            for s in self.plan.staff:
                user = existing.get(s.username)
                if user is None:
                    department = departments[s.department_code]
                    user = user_register(
                        actor=None,
                        username=s.username,
                        password=DEMO_PASSWORD,
                        role=s.role,
                        display_name=f"{department.short_name}{role_names[s.role]}（演示）",
                        department=department,
                        enforce_password_policy=False,
                    )
                    created += 1
                self.staff[(s.department_code, s.role)] = user
            for a in self.plan.applicants:
                self.applicants[a.key] = a
                if not a.username:
                    continue
                user = existing.get(a.username)
                if user is None:
                    user = user_register(
                        actor=None,
                        username=a.username,
                        password=DEMO_PASSWORD,
                        role=Role.CITIZEN if a.person else Role.ENTERPRISE,
                        display_name=a.name,
                        id_number=a.number if a.person else "",
                        credit_code="" if a.person else a.number,
                        enforce_password_policy=False,
                    )
                    created += 1
                self.accounts[a.key] = user
        return created

    def _usernames(self) -> list[str]:
        return [s.username for s in self.plan.staff] + [
            a.username for a in self.plan.applicants if a.username
        ]

    # -- days

    def run(self, progress: Progress) -> None:
        by_day = self.plan.steps_by_day()
        days = (self.plan.today - self.plan.start).days
        for i in range(days):
            day = self.plan.start + dt.timedelta(days=i)
            steps = by_day.get(day, [])
            gap = dt.timedelta(seconds=min(STEP_SECONDS, DAY_SECONDS // (len(steps) + 1)))
            with time_machine.travel(_at(day), tick=False) as traveller:
                _daily_jobs(day)
                for case, step in steps:
                    traveller.shift(gap)
                    self.take(case, step)
            progress("activity", i + 1, days)

    # -- steps

    def _upload(self, actor: User, application: Application, material: Material) -> None:
        picture = any(w in material.name for w in ("照片", "图"))
        content, extension = (self.png, "png") if picture else (self.pdf, "pdf")
        row = app_services.application_upload_material(
            actor=actor,
            application=application,
            file=io.BytesIO(content),
            name=f"{material.name}.{extension}",
            material=material,
            size=len(content),
        )
        self.files.append(row.file.name)

    def take(self, case: PlannedCase, step: Step) -> None:
        """Take one step of the plan through the service that does it."""
        rows = self.matters[case.matter_code]
        p = step.params
        # The department's officer in the step's role; None for the applicant and the system.
        officer = self.staff.get((case.department_code, ACTOR_OF[step.op]))
        app = self.cases.get(case.number)
        if step.op is Op.SUBMIT:
            applicant = self.accounts[case.applicant]
            app = app_services.application_submit(
                actor=applicant, matter=rows.matter, form=p.get("form"), channel="online"
            )
            keep = len(rows.uploads) - int(p.get("withhold", 0))
            self.withheld[case.number] = rows.uploads[keep:]
            for material in rows.uploads[:keep]:
                self._upload(applicant, app, material)
            for material in rows.commitments:
                app_services.application_sign_commitment(
                    actor=applicant, application=app, material=material
                )
            self.cases[case.number] = app
            return
        if step.op is Op.WALK_IN:
            who = self.applicants[case.applicant]
            app = app_services.application_register_walk_in(
                actor=officer,
                matter=rows.matter,
                applicant_name=who.name,
                id_number=who.number if who.person else "",
                credit_code="" if who.person else who.number,
                form=p.get("form"),
                paper_materials=[m.pk for m in rows.uploads],
                accept=not rows.commitments,
            )
            if rows.commitments:
                # The applicant signs the promise on paper; the officer records it, then
                # accepts (告知承诺, DOMAIN_RULES.md §4).
                for material in rows.commitments:
                    app_services.application_sign_commitment(
                        actor=officer, application=app, material=material
                    )
                app = app_services.application_accept(actor=officer, application=app)
            self.cases[case.number] = app
            return
        assert app is not None, f"case {case.number}: {step.op} before the application exists"
        if step.op is Op.ACCEPT:
            app_services.application_accept(actor=officer, application=app)
        elif step.op is Op.REQUEST_SUPPLEMENT:
            app_services.application_request_supplement(
                actor=officer, application=app, reason=p["reason"]
            )
        elif step.op is Op.SUPPLEMENT:
            applicant = self.accounts[case.applicant]
            for material in self.withheld.get(case.number, []):
                self._upload(applicant, app, material)
            app_services.application_supplement(actor=applicant, application=app)
        elif step.op is Op.REJECT:
            app_services.application_reject(actor=officer, application=app, reason=p["reason"])
        elif step.op is Op.DEEMED:
            app.refresh_from_db()
            if app.status != Status.ACCEPTED:
                raise RuntimeError(
                    f"case {case.number}: expected the Art. 32(4) scan to have accepted "
                    f"{app.number} by {step.day}, but it is {app.status}"
                )
        elif step.op is Op.PAUSE:
            app_services.application_pause(
                actor=officer, application=app, kind=p["kind"], reason=p["reason"]
            )
        elif step.op is Op.RESUME:
            app_services.application_resume(actor=officer, application=app, reason=p["reason"])
        elif step.op is Op.EXTEND:
            app_services.application_extend(
                actor=officer, application=app, days=p["days"], reason=p["reason"]
            )
        elif step.op is Op.APPROVE:
            app_services.application_approve(actor=officer, application=app)
        elif step.op is Op.DENY:
            app_services.application_deny(actor=officer, application=app, reason=p["reason"])
        elif step.op is Op.CONCLUDE:
            app_services.application_conclude(actor=officer, application=app)
        elif step.op is Op.DELIVER:
            app_services.application_deliver(actor=officer, application=app, method=p["method"])
        elif step.op is Op.RATE:
            self.ratings[case.number] = app_services.application_rate(
                actor=app.applicant,
                application=app,
                level=p["level"],
                text=p["text"],
                channel=p["channel"],
            )
        elif step.op is Op.VISIT:
            from xiaoneng.ratings.services import rectification_record_return_visit

            rectification_record_return_visit(
                actor=officer,
                rectification=self.ratings[case.number].rectification,
                outcome=p["outcome"],
                satisfied=p["satisfied"],
            )
        elif step.op is Op.COMPLETE:
            from xiaoneng.ratings.services import rectification_complete

            rectification_complete(
                actor=officer,
                rectification=self.ratings[case.number].rectification,
                measures=p["measures"],
            )
        else:  # pragma: no cover - every Op is handled above
            raise AssertionError(f"unknown step {step.op}")


# -- the public function ---------------------------------------------------------------------


def demo_build_activity(
    *,
    seed: int,
    today: dt.date | None = None,
    scale: int = 1,
    progress: Progress = _no_progress,
    applications: int | None = None,
    days: int = SEASON_DAYS,
) -> dict[str, int]:
    """Replay a season of applications into the demo city, through the services.

    Needs the demo city's departments, accounts and catalog (:func:`demo_build` makes them
    first). For each of the ``days`` days before ``today`` the process clock is moved to that
    day at 10:00 (Asia/Shanghai), the scheduler's daily jobs run for it, and the plan's steps
    of the day are taken by its officers and applicants. At the end the warning scan runs for
    ``today``, so the stored clock warnings (yellow, red) are current. One transaction: a
    failure leaves nothing behind (uploaded files included).

    Args:
        seed: the same seed and arguments always give the same season.
        today: the day after the season (default: today); never in the future.
        scale: multiplies the number of applications (:data:`APPLICATIONS_PER_SCALE` each).
        progress: called as ``progress("activity", day, days)`` after each day.
        applications: the number of applications, instead of the one ``scale`` gives
            (tests use a small season).
        days: the length of the season in calendar days.

    Returns:
        The season's figures, counted from the rows (:func:`season_figures`).

    Raises:
        InvalidInput: ``today`` in the future, or a scale below 1.
        CalendarNotCovered: the holiday table does not cover the season.
    """
    from xiaoneng.calendars.selectors import workday_calendar

    real_today = timezone.localdate()
    today = today or real_today
    if today > real_today:
        raise InvalidInput(
            f"The season ends before today; expected a day up to {real_today}, got {today}."
        )
    if scale < 1:
        raise InvalidInput(f"The scale is 1 or more, got {scale}.")
    start = today - dt.timedelta(days=days)
    calendar = workday_calendar()
    workdays = [
        start + dt.timedelta(days=i)
        for i in range(days + 1)
        if calendar.is_workday(start + dt.timedelta(days=i))
    ]
    found = _matters(on=start)
    plan = plan_season(
        seed=seed,
        today=today,
        workdays=workdays,
        matters=[facts for facts, _rows in found.values()],
        applications=applications if applications is not None else APPLICATIONS_PER_SCALE * scale,
        days=days,
    )
    replay = _Replay(plan=plan, matters={code: rows for code, (_facts, rows) in found.items()})
    try:
        with transaction.atomic():
            people = replay.register_people()
            replay.run(progress)
            # The scheduler's jobs for today too, so what is late or warned is stored.
            if today < real_today:
                with time_machine.travel(_at(today), tick=False):
                    _daily_jobs(today)
            else:
                _daily_jobs(today)
    except BaseException:
        # The rows roll back; the uploaded files are not in the transaction.
        for name in replay.files:
            default_storage.delete(name)
        raise
    figures = season_figures()
    figures["accounts_registered"] = people
    return figures


def season_figures() -> dict[str, int]:
    """What the season holds, counted from the rows (applications, clocks, ratings)."""
    from xiaoneng.clocks.models import StateChoice, WarningChoice
    from xiaoneng.licenses.models import License
    from xiaoneng.ratings.models import Rating, Rectification, RectificationStateChoice

    concluded = [Status.CONCLUDED, Status.DELIVERED]
    open_ = [
        Status.SUBMITTED,
        Status.SUPPLEMENT_REQUESTED,
        Status.ACCEPTED,
        Status.PAUSED,
        Status.APPROVED,
        Status.DENIED,
    ]
    apps = Application.objects.all()
    running = apps.filter(
        status__in=open_, promised_clock__state__in=[StateChoice.RUNNING, StateChoice.PAUSED]
    )
    return {
        "applications": apps.count(),
        "concluded": apps.filter(status__in=concluded).count(),
        "concluded_late": apps.filter(
            status__in=concluded, promised_clock__warning=WarningChoice.RED
        ).count(),
        "instant": apps.filter(kind="instant", status__in=concluded).count(),
        "denied": apps.filter(decision="denied").count(),
        "not_accepted": apps.filter(status=Status.NOT_ACCEPTED).count(),
        "deemed_accepted": apps.filter(events__action="deem-accepted").distinct().count(),
        "supplement_notices": apps.filter(supplement_notice__has_key="requested_on").count(),
        "special_procedures": apps.filter(promised_clock__pauses__isnull=False).distinct().count(),
        "extended": apps.filter(promised_clock__extension_days__gt=0).count(),
        "open": apps.filter(status__in=open_).count(),
        "open_yellow": running.filter(promised_clock__warning=WarningChoice.YELLOW).count(),
        "open_red": running.filter(promised_clock__warning=WarningChoice.RED).count(),
        "licenses": License.objects.count(),
        "ratings": Rating.objects.count(),
        "bad_reviews": Rating.objects.filter(is_bad=True).count(),
        "rectifications_completed": Rectification.objects.filter(
            state=RectificationStateChoice.COMPLETED
        ).count(),
        "rectifications_open": Rectification.objects.filter(
            state__in=[RectificationStateChoice.OPEN, RectificationStateChoice.VISITED]
        ).count(),
    }
