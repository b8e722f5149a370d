"""The demo city's 12345 hotline: its tables, its operators and a season of tickets.

Two parts (docs/demo-city.md, "The hotline"; DOMAIN_RULES.md §7 for the loop):

* **Tables** (always, also with ``--no-activity``): the hotline centre department (code =
  setting ``HOTLINE_CENTRE_DEPARTMENT_CODE``) with the operators ``operator`` and
  ``operator2`` (its window officers), the departments the old numbers need, one handling
  officer ``window<NNN>`` per handling department, the category tree, the 17 old department
  numbers merged into 12345 (claim S19), the knowledge-base articles and the routing rules,
  all from :mod:`xiaoneng.demo.hotline_data` (synthetic, typical, not verified).
* **History** (with the season of activity): about 2,400 tickets per unit of scale over the
  90 days before the build, laid out as plain data by :func:`plan_tickets` (pure, tested with
  hypothesis), then written by one of two writers that give the same rows:

  - ``"services"`` replays every step through ``xiaoneng.hotline.services.tickets`` with the
    process clock moved to the step's moment (``time-machine``), as ``activity.py`` does;
  - ``"bulk"`` (the default, used by ``xiaoneng demo``) writes the same rows — tickets,
    events, clocks, the in-site notices and the audit trail — with bulk inserts, computing
    the clocks with the clock rules the services use (:func:`xiaoneng.clocks.rules.snapshot`).
    A test writes one plan both ways and compares every row, so the bulk rows are what the
    services would have written. It exists because the services take about 20 ms for a
    dispatched ticket's life on SQLite (some 90 queries), which for the season would add
    about 45 s to ``xiaoneng demo``; the bulk writer takes a few seconds.

  The warning scan runs for today at the end, so the open tickets' clocks are yellow or red
  as they should be and the warnings ledger records them.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.masking import mask_text
from xiaoneng.core.models import AuditEvent
from xiaoneng.core.services import audit_record
from xiaoneng.demo import hotline_data as data
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import (
    Article,
    HotlineNumber,
    Open311Key,
    RoutingRule,
    Ticket,
    TicketCategory,
    TicketDaySequence,
    TicketEvent,
)
from xiaoneng.hotline.services.knowledge import article_create
from xiaoneng.hotline.services.routing import dispatch_model_train, routing_rule_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEASON_DAYS = 90
TICKETS_PER_SCALE = 2400  # the season's tickets per unit of scale
TO_DISPATCH_TODAY = 10  # registered today, waiting for an operator to dispatch them
STUCK_RED = 2  # accepted long ago and not replied: red today
STUCK_YELLOW = 2  # accepted and near their due day: yellow today
APPROVAL_BUREAU = "130100001"  # its officers are `window`, `reviewer`, `head`
OPEN311_OPERATOR = "operator"  # created the demo app's Open311 key, so registers its requests
CITY_CODE = "130100"
HANDLER_ROLE = Role.WINDOW

Progress = Callable[[str, int, int], None]
Writer = Literal["bulk", "services"]

A = rules.TicketAction
ST = rules.TicketStatus


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def handler_username(department_code: str) -> str:
    """The demo officer who handles a department's tickets: ``window`` + last three digits.

    The season of applications names its officers the same way (``window002`` …), so the
    hotline reuses them; the Administrative Approval Bureau's officer is plain ``window``.
    """
    return "window" if department_code == APPROVAL_BUREAU else f"window{department_code[-3:]}"


def handling_departments() -> list[str]:
    """Codes of every department a demo ticket may be dispatched to, in a stable order."""
    codes = {leaf.department for leaf in data.LEAVES}
    codes |= {leaf.wrong for leaf in data.LEAVES if leaf.wrong}
    codes |= {code for _n, _name, code, _c in data.OLD_NUMBERS}
    codes |= {rule[4] for rule in data.ROUTING_RULES}
    codes |= {code for code, _name in data.DISTRICTS}
    return sorted(codes)


# -- the plan (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing that happens to a ticket: who, when, what.

    ``action`` is a :class:`~xiaoneng.hotline.rules.TicketAction` value; for a return visit
    it is the action the visit's level leads to (satisfied, reopen, close dissatisfied),
    ``level`` the level. ``actor`` is a username, ``""`` for a citizen on the web form.
    """

    at: dt.datetime
    action: str
    actor: str
    department: str = ""
    text: str = ""
    level: int = 0


@dataclass(frozen=True)
class PlannedTicket:
    """A ticket of the season as plain data; ``steps[0]`` registers it."""

    key: int
    channel: str
    ticket_type: str
    description: str
    steps: tuple[Step, ...]
    category: str = ""
    hotline_number: str = ""
    urgency: str = rules.Urgency.ORDINARY.value
    district: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    reporter_name: str = ""
    reporter_phone: str = ""


@dataclass
class _Round:
    """Limits and the calendar the plan needs, without a database."""

    workdays: Sequence[dt.date]  # sorted working days covering the season and today
    limits: Mapping[tuple[str, str], int]  # (type, urgency) → working days
    max_reopens: int
    now: dt.datetime
    _set: frozenset[dt.date] = field(default=frozenset(), init=False)

    def __post_init__(self) -> None:
        self._set = frozenset(self.workdays)

    def is_workday(self, day: dt.date) -> bool:
        return day in self._set

    def nth_workday_after(self, day: dt.date, n: int) -> dt.date | None:
        """The n-th working day after ``day`` (``day`` itself for n = 0); None past the list."""
        if n == 0:
            return day
        at = bisect.bisect_right(self.workdays, day) + n - 1
        return self.workdays[at] if at < len(self.workdays) else None


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def _office_after(moment: dt.datetime, cal: _Round, rng: random.Random) -> dt.datetime:
    """A moment in a department's office hours (working days, 08:30–17:30) after ``moment``."""
    day = _local_day(moment)
    local = moment.astimezone(SHANGHAI)
    if cal.is_workday(day) and local.time() < dt.time(16, 0):
        earliest = max(local, _at(day, 8, 30))
        return earliest + dt.timedelta(minutes=rng.randint(15, 150))
    following = cal.nth_workday_after(day, 1) or day + dt.timedelta(days=1)
    return _at(following, 8, 30) + dt.timedelta(minutes=rng.randint(0, 300))


def _office_on(day: dt.date, after: dt.datetime, cal: _Round, rng: random.Random) -> dt.datetime:
    """A moment in office hours on ``day`` after ``after``; the next working day if too late."""
    start = max(after.astimezone(SHANGHAI), _at(day, 8, 30))
    if _local_day(start) == day and start.time() < dt.time(17, 0):
        return start + dt.timedelta(minutes=rng.randint(10, 40))
    return _office_after(after, cal, rng)


def _operator_after(moment: dt.datetime, rng: random.Random, low: int, high: int) -> dt.datetime:
    """A moment ``low``–``high`` minutes later, inside the centre's busy hours (08:00–21:30)."""
    later = (moment + dt.timedelta(minutes=rng.randint(low, high))).astimezone(SHANGHAI)
    if later.time() > dt.time(21, 30):
        later = _at(later.date() + dt.timedelta(days=1), 8) + dt.timedelta(
            minutes=rng.randint(0, 60)
        )
    elif later.time() < dt.time(8, 0):
        later = _at(later.date(), 8) + dt.timedelta(minutes=rng.randint(0, 60))
    return later


def _fill(text: str, rng: random.Random, district: str) -> str:
    roads = rng.sample(data.SLOTS["road"], 2)
    values = {name: rng.choice(options) for name, options in data.SLOTS.items()}
    values.update(road=roads[0], road2=roads[1], district=district)
    return text.format(**values)


def _level(rng: random.Random, second_round: bool) -> int:
    # A realistic mix of return visits: most satisfied, a few dissatisfied (回访满意度).
    weights = (8, 12, 20, 30, 30) if second_round else (4, 5, 9, 26, 56)
    return rng.choices((1, 2, 3, 4, 5), weights=weights)[0]


@dataclass
class _Planner:
    rng: random.Random
    cal: _Round
    leaves: dict[str, data.Leaf] = field(default_factory=dict)
    numbers: dict[str, list[str]] = field(default_factory=dict)  # category → old numbers
    district_codes: dict[str, str] = field(default_factory=dict)
    articles: dict[str, str] = field(default_factory=dict)  # category → a direct answer

    def __post_init__(self) -> None:
        self.leaves = {leaf.code: leaf for leaf in data.LEAVES}
        for number, _name, _dept, category in data.OLD_NUMBERS:
            self.numbers.setdefault(category, []).append(number)
        self.district_codes = {name: code for code, name in data.DISTRICTS}
        for category, _dept, title, _kw, body in data.ARTICLES:
            self.articles.setdefault(category, f"已按知识库《{title}》答复：{body}")

    # -- the parts of a ticket

    def _reporter(self) -> tuple[str, str]:
        if self.rng.random() < 0.25:
            return "", ""  # anonymous
        name = self.rng.choice(data.SURNAMES) + self.rng.choice(("先生", "女士"))
        # Visibly synthetic: every demo phone is 1380000xxxx.
        return name, f"1380000{self.rng.randrange(10_000):04d}"

    def _place(self) -> tuple[str, str]:
        names = [name for _code, name in data.DISTRICTS]
        district = self.rng.choices(names, weights=data.DISTRICT_WEIGHTS)[0]
        if self.rng.random() < 0.5:
            address = f"{district}{self.rng.choice(data.SLOTS['road'])}{self.rng.randint(1, 300)}号"
        else:
            address = f"{district}{self.rng.choice(data.SLOTS['place'])}"
        return district, address

    def _handler(self, leaf: data.Leaf, district: str) -> str:
        if leaf.district_share and self.rng.random() < leaf.district_share:
            return self.district_codes[district]
        return leaf.department

    def _operator(self) -> str:
        return self.rng.choices(("operator", "operator2"), weights=(55, 45))[0]

    def _limit(self, ticket_type: str, urgency: str) -> int:
        return self.cal.limits[(ticket_type, urgency)]

    # -- a ticket

    def ticket(self, key: int, registered: dt.datetime) -> PlannedTicket:
        rng = self.rng
        if rng.random() < 0.03:
            return self._not_accepted(key, registered)
        leaf = rng.choices(data.LEAVES, weights=[_popularity(lf) for lf in data.LEAVES])[0]
        ticket_type, template = rng.choice(leaf.templates)
        district, address = self._place()
        description = _fill(template, rng, district)
        category, number = leaf.code, ""
        channel = rng.choices(("phone", "web", "app"), weights=(60, 20, 20))[0]
        if leaf.code in self.numbers and rng.random() < 0.25:
            channel, number = rules.Channel.OLD_NUMBER.value, rng.choice(self.numbers[leaf.code])
        elif ticket_type == rules.TicketType.HELP and rng.random() < 0.3:
            channel = rules.Channel.OPEN311.value
        if channel in ("web", "app") and rng.random() < 0.08:
            # The citizen picked the category; some pick a neighbouring one (误选分类).
            siblings = [code for code in self.leaves if code[:2] == leaf.code[:2]]
            category = rng.choice(siblings)
        urgency = rules.Urgency.ORDINARY.value
        # Only an operator taking the request marks it urgent: the web form and Open311 have
        # no urgency.
        by_operator = channel not in (rules.Channel.WEB, rules.Channel.OPEN311)
        if ticket_type == rules.TicketType.HELP and by_operator and rng.random() < 0.1:
            urgency = rules.Urgency.URGENT.value
        name, phone = self._reporter()
        latitude = longitude = None
        if channel == rules.Channel.OPEN311:
            latitude = Decimal("38.042800") + Decimal(rng.randint(-40_000, 40_000)) / 10**6
            longitude = Decimal("114.514900") + Decimal(rng.randint(-50_000, 50_000)) / 10**6
        operator = self._operator()
        registrar = {"web": "", "open311": OPEN311_OPERATOR}.get(channel, operator)
        register = Step(registered, A.REGISTER.value, registrar)
        steps = [register, *self._life(leaf, ticket_type, urgency, district, registered, operator)]
        return PlannedTicket(
            key=key,
            channel=channel,
            ticket_type=ticket_type,
            description=description,
            steps=tuple(steps),
            category=category,
            hotline_number=number,
            urgency=urgency,
            # An Open311 request has an address or a position, no district field.
            district="" if channel == rules.Channel.OPEN311 else district,
            address=address,
            latitude=latitude,
            longitude=longitude,
            reporter_name=name,
            reporter_phone=phone,
        )

    def _not_accepted(self, key: int, registered: dt.datetime) -> PlannedTicket:
        reason, text = self.rng.choice(data.NOT_ACCEPTED)
        operator = self._operator()
        name, phone = self._reporter()
        closing = _operator_after(registered, self.rng, 2, 6)
        return PlannedTicket(
            key=key,
            channel=rules.Channel.PHONE.value,
            ticket_type=rules.TicketType.COMPLAINT.value,
            description=text,
            steps=(
                Step(registered, A.REGISTER.value, operator),
                Step(closing, A.CLOSE_NOT_ACCEPTED.value, operator, text=reason),
            ),
            reporter_name=name,
            reporter_phone=phone,
        )

    def _life(
        self,
        leaf: data.Leaf,
        ticket_type: str,
        urgency: str,
        district: str,
        registered: dt.datetime,
        operator: str,
    ) -> Iterator[Step]:
        rng = self.rng
        direct = 0.8 if ticket_type == rules.TicketType.CONSULTATION else 0.04
        if rng.random() < direct:
            answer = self.articles.get(leaf.code) or f"已当场答复：{leaf.fixes[0]}。"
            yield Step(
                _operator_after(registered, rng, 3, 9),
                A.ANSWER_DIRECTLY.value,
                operator,
                text=answer,
            )
            return
        department = self._handler(leaf, district)
        moment = _operator_after(registered, rng, 5, 60)
        if leaf.wrong and rng.random() < 0.08:
            # Dispatched to the wrong department first; it sends the ticket back (退单).
            yield Step(moment, A.DISPATCH.value, operator, department=leaf.wrong)
            moment = _office_after(moment, self.cal, rng)
            reason = rng.choice(data.RETURN_REASONS)
            yield Step(moment, A.RETURN.value, handler_username(leaf.wrong), text=reason)
            moment = _operator_after(moment, rng, 10, 90)
        yield Step(moment, A.DISPATCH.value, operator, department=department)
        handler = handler_username(department)
        accepted = _office_after(moment, self.cal, rng)
        yield Step(accepted, A.ACCEPT.value, handler)
        limit = self._limit(ticket_type, urgency)
        reopens = 0
        start, after = _local_day(moment), accepted
        while True:
            reply_at = self._reply_moment(start, after, limit)
            fix = rng.choice(leaf.fixes)
            yield Step(reply_at, A.REPLY.value, handler, text=f"经核实，{fix}，已电话告知来电人。")
            visit_at = _operator_after(reply_at, rng, 120, 1800)
            level = _level(rng, second_round=reopens > 0)
            if level >= 3:
                yield Step(visit_at, A.VISIT_SATISFIED.value, self._operator(), level=level)
                return
            note = rng.choice(data.DISSATISFIED_NOTES)
            if reopens >= self.cal.max_reopens:
                action = A.VISIT_CLOSE_DISSATISFIED.value
                yield Step(visit_at, action, self._operator(), text=note, level=level)
                return
            yield Step(visit_at, A.VISIT_REOPEN.value, self._operator(), text=note, level=level)
            reopens += 1
            start, after = _local_day(visit_at), visit_at

    def _reply_moment(self, start: dt.date, after: dt.datetime, limit: int) -> dt.datetime:
        """When the department replies: most within the limit, about one in ten late."""
        rng = self.rng
        if rng.random() < 0.1:
            used = limit + rng.randint(1, 3)
        else:
            used = min(limit, int(rng.triangular(0, limit, limit * 0.3)) + (limit > 2))
        day = self.cal.nth_workday_after(start, used)
        after_day = _local_day(after)
        if day is None:
            # Beyond the known days: the reply lies in the future and will be cut off.
            return self.cal.now + dt.timedelta(days=used + 1)
        if day < after_day:
            day = after_day
        return _office_on(day, after, self.cal, rng)

    def stuck(self, key: int, *, days_ago: int) -> PlannedTicket:
        """A complaint dispatched ``days_ago`` working days ago, accepted, not replied."""
        rng = self.rng
        leaf = self.leaves[rng.choice(("0101", "0303", "0501", "0201"))]
        templates = [t for kind, t in leaf.templates if kind == rules.TicketType.COMPLAINT]
        district, address = self._place()
        past = [d for d in self.cal.workdays if d < _local_day(self.cal.now)]
        day = past[-days_ago]
        registered = _at(day, 9) + dt.timedelta(minutes=rng.randint(0, 120))
        operator = self._operator()
        department = leaf.department
        dispatched = _operator_after(registered, rng, 5, 30)
        name, phone = self._reporter()
        return PlannedTicket(
            key=key,
            channel=rules.Channel.PHONE.value,
            ticket_type=rules.TicketType.COMPLAINT.value,
            description=_fill(rng.choice(templates), rng, district),
            category=leaf.code,
            district=district,
            address=address,
            reporter_name=name,
            reporter_phone=phone,
            steps=(
                Step(registered, A.REGISTER.value, operator),
                Step(dispatched, A.DISPATCH.value, operator, department=department),
                Step(
                    _office_after(dispatched, self.cal, rng),
                    A.ACCEPT.value,
                    handler_username(department),
                ),
            ),
        )

    def waiting(self, key: int, registered: dt.datetime) -> PlannedTicket:
        """A ticket registered today that waits for dispatch (the operators' queue)."""
        planned = self.ticket(key, registered)
        while planned.ticket_type == rules.TicketType.CONSULTATION or (
            planned.steps[1:2] and planned.steps[1].action == A.CLOSE_NOT_ACCEPTED
        ):
            planned = self.ticket(key, registered)
        return dataclasses.replace(planned, steps=planned.steps[:1])


_HOT = {"0101": 3, "0501": 3, "0601": 2.5, "0201": 2.5, "0303": 2, "1102": 2, "0304": 2}


def _popularity(leaf: data.Leaf) -> float:
    return float(_HOT.get(leaf.code, 1))


def _truncate(ticket: PlannedTicket, now: dt.datetime) -> PlannedTicket:
    """Keep only the steps before ``now``: what has not happened yet is open work today."""
    kept: list[Step] = []
    for step in ticket.steps:
        if step.at >= now:
            break
        kept.append(step)
    if len(kept) == len(ticket.steps):
        return ticket
    return dataclasses.replace(ticket, steps=tuple(kept))


def plan_tickets(
    *,
    seed: int,
    now: dt.datetime,
    workdays: Sequence[dt.date],
    limits: Mapping[tuple[str, str], int],
    tickets: int,
    days: int = SEASON_DAYS,
    max_reopens: int = 1,
) -> list[PlannedTicket]:
    """Lay out the season's tickets as plain data (no database); the same input, the same plan.

    ``tickets`` are registered over the ``days`` days before ``now``'s day (fewer at weekends,
    most between 08:00 and 21:00), each taking its steps through the loop of
    DOMAIN_RULES.md §7 as the rules table allows: not accepted (§7) about 3 %; answered
    directly (直办) most consultations; the rest dispatched, some first to the wrong department
    and sent back (退单), accepted, replied within the limit or, about one in ten, late, and
    visited back, a dissatisfied visit reopening the ticket while ``max_reopens`` allows.
    Steps at or after ``now`` are cut off, so the last days' tickets are open today. Besides,
    :data:`TO_DISPATCH_TODAY` tickets registered today wait for dispatch, and
    :data:`STUCK_RED` / :data:`STUCK_YELLOW` accepted complaints are past or near their due
    day.

    Args:
        seed: the random seed.
        now: the moment the season ends (aware); no step is at or after it.
        workdays: the working days from before the season to ``now``'s day, sorted.
        limits: handling limits in working days by (type, urgency).
        tickets: how many tickets the season holds (the extras of today come on top).
        days: the season's length in calendar days.
        max_reopens: how often a dissatisfied visit may reopen a ticket.

    Returns:
        The tickets, ordered by their registration moment.
    """
    if tickets < 0:
        raise InvalidInput(
            _("The number of tickets is 0 or more, got %(value)s.") % {"value": tickets}
        )
    rng = random.Random(f"hotline-{seed}")  # noqa: S311 - synthetic data
    cal = _Round(workdays=sorted(workdays), limits=limits, max_reopens=max_reopens, now=now)
    planner = _Planner(rng=rng, cal=cal)
    today = _local_day(now)
    season = [today - dt.timedelta(days=days - i) for i in range(days)]
    weights = [1.0 if cal.is_workday(day) else 0.6 for day in season]
    hours = list(range(8, 22))
    hour_weights = [3, 6, 7, 6, 4, 5, 6, 6, 5, 4, 4, 3, 2, 1]
    planned: list[PlannedTicket] = []
    for key in range(tickets):
        day = rng.choices(season, weights=weights)[0]
        moment = _at(day, rng.choices(hours, weights=hour_weights)[0], rng.randint(0, 59))
        planned.append(_truncate(planner.ticket(key, moment), now))
    key = tickets
    for i in range(STUCK_RED + STUCK_YELLOW):
        limit = limits[(rules.TicketType.COMPLAINT.value, rules.Urgency.ORDINARY.value)]
        days_ago = limit + 3 + i if i < STUCK_RED else limit - 1
        if days_ago <= len([d for d in cal.workdays if d < today]):
            planned.append(_truncate(planner.stuck(key, days_ago=days_ago), now))
            key += 1
    for i in range(TO_DISPATCH_TODAY):
        moment = now - dt.timedelta(minutes=7 + 13 * i + rng.randint(0, 6))
        planned.append(planner.waiting(key, moment))
        key += 1
    planned.sort(key=lambda t: (t.steps[0].at, t.key))
    return planned


def plan_is_valid(ticket: PlannedTicket, *, max_reopens: int = 1) -> list[str]:
    """What is wrong with a planned ticket's steps against ``rules.TRANSITIONS`` (empty: fine).

    Checks that the first step registers, every later step is allowed in the status the
    previous ones left (:func:`xiaoneng.hotline.rules.next_status`), moments never go back,
    a dispatch names a department and a visit a level 1–5 that fits its action.
    """
    problems: list[str] = []
    if not ticket.steps or ticket.steps[0].action != A.REGISTER:
        return ["the first step does not register the ticket"]
    status, reopens = ST.REGISTERED, 0
    previous = ticket.steps[0].at
    for step in ticket.steps[1:]:
        if step.at < previous:
            problems.append(f"{step.action} at {step.at} is before the step before it")
        previous = step.at
        try:
            status = rules.next_status(
                status, step.action, reopen_count=reopens, max_reopens=max_reopens
            )
        except Exception as exc:  # reported, not raised: this is a check
            problems.append(f"{step.action} not allowed: {exc}")
            break
        if step.action == A.VISIT_REOPEN:
            reopens += 1
        if step.action == A.DISPATCH and not step.department:
            problems.append("a dispatch without a department")
        if step.action.startswith("visit_"):
            dissatisfied = step.level <= 2
            if not 1 <= step.level <= 5 or dissatisfied != (step.action != A.VISIT_SATISFIED):
                problems.append(f"{step.action} with level {step.level}")
    return problems


# -- the tables ------------------------------------------------------------------------------


@dataclass
class _People:
    users: dict[str, User]
    created: int


def _build_departments() -> dict[str, Department]:
    from xiaoneng.accounts.services import department_upsert
    from xiaoneng.hotline.services.tickets import centre_code

    city = Department.objects.filter(code=CITY_CODE).first()
    made = {
        centre_code(): department_upsert(
            actor=None,
            code=centre_code(),
            name=data.CENTRE_NAME,
            short_name=data.CENTRE_SHORT_NAME,
            parent=city,
        )
    }
    for code, name, short_name, unit in data.EXTRA_DEPARTMENTS:
        made[code] = department_upsert(
            actor=None,
            code=code,
            name=name,
            short_name=short_name,
            parent=city,
            is_service_unit=unit,
        )
    return made


def _build_people() -> _People:
    """The operators and one handling officer per handling department; existing ones reused."""
    from xiaoneng.accounts.services import user_register
    from xiaoneng.demo.services import DEMO_PASSWORD
    from xiaoneng.hotline.services.tickets import centre_code

    departments = {
        d.code: d
        for d in Department.objects.filter(code__in=[*handling_departments(), centre_code()])
    }
    wanted: list[tuple[str, str, Department]] = [
        (username, display, departments[centre_code()]) for username, display in data.OPERATORS
    ]
    for code in handling_departments():
        department = departments[code]
        label = department.short_name or department.name
        wanted.append((handler_username(code), f"{label}窗口人员（演示）", department))
    existing = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
    users: dict[str, User] = {}
    created = 0
    for username, display, department in wanted:
        user = existing.get(username)
        if user is None:
            user = user_register(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=HANDLER_ROLE,
                display_name=display,
                department=department,
                # The demo's password is published in the README.
                enforce_password_policy=False,
            )
            created += 1
        users[username] = user
    return _People(users=users, created=created)


def _build_categories() -> dict[str, TicketCategory]:
    # No service writes the category tree yet (it is configuration, edited in the admin); the
    # rows are validated and the whole tree is recorded in one audit event.
    made: dict[str, TicketCategory] = {}
    for code, name in data.TOP_CATEGORIES:
        made[code] = _saved(TicketCategory(code=code, name=name))
    for leaf in data.LEAVES:
        made[leaf.code] = _saved(
            TicketCategory(code=leaf.code, name=leaf.name, parent=made[leaf.code[:2]])
        )
    audit_record(
        actor=None,
        action="demo.hotline_categories",
        summary=f"demo hotline category tree: {len(made)} categories",
        data={"codes": sorted(made)},
    )
    return made


def _saved(row: Any) -> Any:
    row.full_clean()
    row.save()
    return row


def _build_numbers(categories: Mapping[str, TicketCategory]) -> list[HotlineNumber]:
    departments = {d.code: d for d in Department.objects.all()}
    made = [
        _saved(
            HotlineNumber(
                number=number,
                name=name,
                department=departments[code],
                default_category=categories[category],
            )
        )
        for number, name, code, category in data.OLD_NUMBERS
    ]
    audit_record(
        actor=None,
        action="demo.hotline_numbers",
        summary=f"demo: {len(made)} old department hotlines merged into 12345 (S19)",
        data={"numbers": [n.number for n in made]},
    )
    return made


def _build_articles(categories: Mapping[str, TicketCategory], author: User) -> int:
    departments = {d.code: d for d in Department.objects.all()}
    for category, code, title, keywords, body in data.ARTICLES:
        article_create(
            actor=author,
            title=title,
            body=body,
            category=categories[category],
            keywords=keywords,
            department=departments[code],
        )
    return len(data.ARTICLES)


def _build_rules(categories: Mapping[str, TicketCategory], author: User) -> int:
    departments = {d.code: d for d in Department.objects.all()}
    # In the order of the table: the first rule that matches wins (issue 5 §3).
    for name, category, keywords, district, code in data.ROUTING_RULES:
        routing_rule_create(
            actor=author,
            name=name,
            category=categories[category] if category else None,
            keywords=keywords,
            district=district,
            department=departments[code],
        )
    return len(data.ROUTING_RULES)


def build_tables() -> dict[str, Any]:
    """The hotline's departments, people and tables (see the module docstring)."""
    _build_departments()
    people = _build_people()
    categories = _build_categories()
    numbers = _build_numbers(categories)
    operator = people.users[data.OPERATORS[0][0]]
    articles = _build_articles(categories, operator)
    routing = _build_rules(categories, operator)
    return {
        "departments_added": 1 + len(data.EXTRA_DEPARTMENTS),
        "accounts_registered": people.created,
        "categories": len(categories),
        "old_numbers": len(numbers),
        "articles": articles,
        "routing_rules": routing,
    }


# -- writing the plan ------------------------------------------------------------------------


@dataclass
class _World:
    """The rows the writers look up, loaded once."""

    users: dict[str, User]
    departments: dict[str, Department]
    categories: dict[str, TicketCategory]
    numbers: dict[str, HotlineNumber]
    open311_key: Open311Key

    @classmethod
    def load(cls) -> _World:
        users = {u.username: u for u in User.objects.filter(role__in=[HANDLER_ROLE])}
        return cls(
            users=users,
            departments={d.code: d for d in Department.objects.all()},
            categories={c.code: c for c in TicketCategory.objects.all()},
            numbers={n.number: n for n in HotlineNumber.objects.all()},
            open311_key=open311_client_key(users[OPEN311_OPERATOR]),
        )

    def user(self, username: str) -> User | None:
        if not username:
            return None
        if username not in self.users:
            self.users[username] = User.objects.get(username=username)
        return self.users[username]


def open311_client_key(operator: User) -> Open311Key:
    """The demo's Open311 client (a citizen app), whose key ``operator`` created.

    Made once, through ``open311_key_create``; the key itself is thrown away (only its digest
    is stored), so it stands for an app that filed requests in the past and nobody can post
    with it. ``xiaoneng open311-key`` makes a usable one.
    """
    from xiaoneng.hotline.services.tickets import open311_key_create

    key = Open311Key.objects.filter(name=data.OPEN311_CLIENT).first()
    if key is None:
        key, _raw = open311_key_create(actor=operator, name=data.OPEN311_CLIENT)
    return key


def write_with_services(plan: Sequence[PlannedTicket], progress: Progress = _no_progress) -> None:
    """Replay the plan through the ticket services, each step at its moment (time-machine).

    Steps of all tickets are taken in the order of their moments, so ticket numbers follow
    registration order as they would in real use.
    """
    from xiaoneng.hotline.services import tickets as services

    world = _World.load()
    rows: dict[int, Ticket] = {}
    steps = sorted(
        (
            (step.at, ticket.key, i, ticket, step)
            for ticket in plan
            for i, step in enumerate(ticket.steps)
        ),
        key=lambda item: item[:3],
    )
    for done, (at, key, _i, planned, step) in enumerate(steps, start=1):
        actor = world.user(step.actor)
        with time_machine.travel(at, tick=False):
            if step.action == A.REGISTER:
                values = _register_values(planned, world)
                if planned.channel == rules.Channel.OPEN311:
                    rows[key] = services.ticket_register_open311(
                        key=world.open311_key,
                        category=values["category"],
                        description=planned.description,
                        address=planned.address,
                        latitude=planned.latitude,
                        longitude=planned.longitude,
                        reporter_name=planned.reporter_name,
                        reporter_phone=planned.reporter_phone,
                    )
                elif planned.channel == rules.Channel.WEB:
                    rows[key] = services.ticket_submit_web(
                        reporter=None,
                        ticket_type=planned.ticket_type,
                        description=planned.description,
                        category=values["category"],
                        address=planned.address,
                        district=planned.district,
                        reporter_name=planned.reporter_name,
                        reporter_phone=planned.reporter_phone,
                    )
                else:
                    rows[key] = services.ticket_register(actor=actor, **values)
                continue
            ticket = rows[key]
            if step.action == A.CLOSE_NOT_ACCEPTED:
                services.ticket_close_not_accepted(actor=actor, ticket=ticket, reason=step.text)
            elif step.action == A.ANSWER_DIRECTLY:
                services.ticket_answer_directly(actor=actor, ticket=ticket, answer=step.text)
            elif step.action == A.DISPATCH:
                services.ticket_dispatch(
                    actor=actor, ticket=ticket, department=world.departments[step.department]
                )
            elif step.action == A.ACCEPT:
                services.ticket_accept(actor=actor, ticket=ticket)
            elif step.action == A.RETURN:
                services.ticket_return(actor=actor, ticket=ticket, reason=step.text)
            elif step.action == A.REPLY:
                services.ticket_reply(actor=actor, ticket=ticket, reply=step.text)
            else:
                services.ticket_return_visit(
                    actor=actor, ticket=ticket, level=step.level, note=step.text
                )
        if done % 200 == 0 or done == len(steps):
            progress("hotline", done, len(steps))


def _register_values(planned: PlannedTicket, world: _World) -> dict[str, Any]:
    return {
        "channel": planned.channel,
        "ticket_type": planned.ticket_type,
        "description": planned.description,
        "urgency": planned.urgency,
        "category": world.categories[planned.category] if planned.category else None,
        "hotline_number": world.numbers[planned.hotline_number] if planned.hotline_number else None,
        "address": planned.address,
        "district": planned.district,
        "latitude": planned.latitude,
        "longitude": planned.longitude,
        "reporter_name": planned.reporter_name,
        "reporter_phone": planned.reporter_phone,
    }


class _Bulk:
    """Rows as the ticket services write them, collected and inserted in a few statements.

    Mirrors ``xiaoneng.hotline.services.tickets`` (``_register``, ``_move``, the clock
    start/stop/officer services and ``notify``) step by step; ``tests/demo/
    test_hotline.py`` writes one plan both ways and compares every row.
    """

    def __init__(self, world: _World) -> None:
        from xiaoneng.calendars.selectors import workday_calendar
        from xiaoneng.clocks.models import Clock
        from xiaoneng.clocks.services import policy_for
        from xiaoneng.hotline.services.tickets import CLOCK_KIND, STAFF_ROLES, max_reopens

        self.world = world
        self.calendar = workday_calendar()
        self.kind = CLOCK_KIND
        self.policy = policy_for(CLOCK_KIND)
        self.max_reopens = max_reopens()
        self.ticket_type = ContentType.objects.get_for_model(Ticket)
        self.clock_type = ContentType.objects.get_for_model(Clock)
        self.staff: dict[int, list[User]] = defaultdict(list)
        for person in User.objects.filter(
            department__isnull=False, role__in=list(STAFF_ROLES), is_active=True
        ).order_by("pk"):
            self.staff[person.department_id].append(person)  # type: ignore[index]
        self.limits: dict[tuple[str, str], int] = {}

    def limit(self, ticket_type: str, urgency: str) -> int:
        from xiaoneng.hotline.services.tickets import limit_days_for

        key = (ticket_type, urgency)
        if key not in self.limits:
            self.limits[key] = limit_days_for(ticket_type, urgency)
        return self.limits[key]

    # -- the writer

    def write(self, plan: Sequence[PlannedTicket], progress: Progress) -> None:
        from xiaoneng.clocks.models import Clock
        from xiaoneng.notifications.models import Message

        ordered = sorted(plan, key=lambda t: (t.steps[0].at, t.key))
        tickets = self._tickets(ordered)
        # Each ticket's steps are walked first, so the tickets are inserted in their final
        # state; the rows that name ids (clock and message links, events, audit rows) are
        # completed once the ids exist.
        lives = [_Life(self, row, planned) for row, planned in zip(tickets, ordered, strict=True)]
        for life in lives:
            life.run_until_ids()
        Ticket.objects.bulk_create(tickets, batch_size=500)
        progress("hotline", 1, 4)
        clocks = [clock for life in lives for clock in life.clocks]
        messages = [message for life in lives for message in life.messages]
        for life in lives:
            for row in (*life.clocks, *life.messages):
                row.object_id = str(life.ticket.pk)
        stamps = [clock.updated_at for clock in clocks]
        Clock.objects.bulk_create(clocks, batch_size=500)
        _restore_updated_at(clocks, stamps)
        Message.objects.bulk_create(messages, batch_size=500)
        progress("hotline", 2, 4)
        events: list[TicketEvent] = []
        audits: list[AuditEvent] = []
        for life in lives:
            life.finish()
            events.extend(life.events)
            audits.extend(life.audits)
        TicketEvent.objects.bulk_create(events, batch_size=1000)
        progress("hotline", 3, 4)
        AuditEvent.objects.bulk_create(audits, batch_size=1000)
        progress("hotline", 4, 4)

    def _tickets(self, ordered: Sequence[PlannedTicket]) -> list[Ticket]:
        # Query codes only need to look random; the services draw them from ``secrets``.
        rng = random.Random(len(ordered))  # noqa: S311 - synthetic data
        days: dict[dt.date, int] = defaultdict(int)
        rows: list[Ticket] = []
        world = self.world
        for planned in ordered:
            at = planned.steps[0].at
            day = _local_day(at)
            days[day] += 1
            values = _register_values(planned, world)
            category = values["category"]
            if category is None and values["hotline_number"] is not None:
                category = values["hotline_number"].default_category
            row = Ticket(
                channel=planned.channel,
                hotline_number=values["hotline_number"],
                ticket_type=planned.ticket_type,
                category=category,
                urgency=planned.urgency,
                address=planned.address.strip(),
                district=planned.district.strip(),
                latitude=planned.latitude,
                longitude=planned.longitude,
                reporter_name=planned.reporter_name.strip(),
                reporter_phone=planned.reporter_phone.strip(),
                description=planned.description.strip(),
                query_code=f"{rng.randrange(10**6):06d}",
                created_at=at,
            )
            rows.append(row)
        # Numbers continue each day's sequence row (GD<day><sequence>), as ``_next_number``.
        last = {s.day: s.last for s in TicketDaySequence.objects.filter(day__in=list(days))}
        counters = dict(last)
        for row in rows:
            day = _local_day(row.created_at)
            counters[day] = counters.get(day, 0) + 1
            row.number = f"GD{day:%Y%m%d}{counters[day]:05d}"
        for day, value in counters.items():
            TicketDaySequence.objects.update_or_create(day=day, defaults={"last": value})
        return rows


@dataclass
class _ClockState:
    row: Any  # clocks.models.Clock, unsaved until the bulk insert


class _Life:
    """One ticket's steps turned into rows, in two passes around the bulk insert of ids."""

    def __init__(self, bulk: _Bulk, ticket: Ticket, planned: PlannedTicket) -> None:
        self.bulk = bulk
        self.ticket = ticket
        self.planned = planned
        self.clocks: list[Any] = []
        self.messages: list[Any] = []
        self.events: list[TicketEvent] = []
        self.audits: list[AuditEvent] = []
        # Deferred audit rows: callables run once clock and message ids exist.
        self._pending: list[Callable[[], None]] = []

    # -- helpers

    def _audit(
        self,
        *,
        at: dt.datetime,
        actor: User | None,
        action: str,
        target_type: ContentType,
        target_id: Callable[[], str],
        summary: Callable[[], str],
        data: Callable[[], dict[str, Any]],
    ) -> None:
        def make() -> None:
            self.audits.append(
                AuditEvent(
                    at=at,
                    actor_id=actor.pk if actor is not None else None,
                    action=action,
                    target_type=target_type,
                    target_id=target_id(),
                    summary=mask_text(summary())[:500],
                    data=data(),
                )
            )

        self._pending.append(make)

    def _ticket_id(self) -> str:
        return str(self.ticket.pk)

    def _move(
        self,
        *,
        at: dt.datetime,
        actor: User | None,
        action: rules.TicketAction,
        reason: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        from xiaoneng.hotline.services.tickets import max_reopens

        ticket = self.ticket
        before = ticket.status
        after = rules.next_status(
            before, action, reopen_count=ticket.reopen_count, max_reopens=max_reopens()
        )
        ticket.status = after.value
        if after == ST.CLOSED:
            ticket.closed_at = at
        extra = data or {}
        masked = mask_text(reason)

        def event() -> None:
            self.events.append(
                TicketEvent(
                    ticket=ticket,
                    actor=actor,
                    at=at,
                    action=action.value,
                    from_status=before,
                    to_status=after.value,
                    reason=masked,
                    data=extra,
                )
            )

        self._pending.append(event)
        self._audit(
            at=at,
            actor=actor,
            action=f"hotline.ticket_{action.value}",
            target_type=self.bulk.ticket_type,
            target_id=self._ticket_id,
            summary=lambda: (
                _("Ticket %(number)s: %(before)s → %(after)s")
                % {"number": ticket.number, "before": before or "-", "after": after.value}
            ),
            data=lambda: {"from": before, "to": after.value, "reason": masked, **extra},
        )

    def _clock_start(self, at: dt.datetime, actor: User | None) -> _ClockState:
        from xiaoneng.clocks.models import Clock, StateChoice

        ticket = self.ticket
        day = _local_day(at)
        limit = self.bulk.limit(ticket.ticket_type, ticket.urgency)
        clock = Clock(
            content_type=self.bulk.ticket_type,
            object_id="",  # the ticket's id, once it is inserted
            department=ticket.department,
            kind=self.bulk.kind,
            label=ticket.number,
            officer=ticket.officer,
            limit_days=limit,
            extension_allowance_days=0,
            started_on=day,
            state=StateChoice.RUNNING,
            created_at=at,
            updated_at=at,
        )
        self._derive(clock, today=day)
        self.clocks.append(clock)
        state = _ClockState(clock)
        after = _derived(clock)
        self._audit(
            at=at,
            actor=actor,
            action="clocks.clock_start",
            target_type=self.bulk.clock_type,
            target_id=lambda: str(clock.pk),
            summary=lambda: (
                _("Clock %(label)s started on %(on)s: %(n)s working days, due %(due)s")
                % {"label": clock, "on": day.isoformat(), "n": limit, "due": after["due_on"]}
            ),
            data=lambda: {
                "from": "",
                "to": StateChoice.RUNNING.value,
                "before": {},
                "after": after,
                "kind": clock.kind,
                "item": {"type": clock.content_type_id, "id": str(ticket.pk)},
                "limit_days": limit,
                "started_on": day.isoformat(),
            },
        )
        return state

    def _derive(self, clock: Any, *, today: dt.date) -> None:
        from xiaoneng.clocks.rules import snapshot

        snap = snapshot(
            self.bulk.calendar,
            started_on=clock.started_on,
            limit_days=clock.limit_days,
            stopped_on=clock.stopped_on,
            today=today,
            policy=self.bulk.policy,
        )
        clock.due_on = snap.due_on
        clock.due_provisional = snap.due_provisional
        clock.yellow_on = snap.yellow_on
        clock.warning = snap.warning.value
        clock.used_days = snap.used_days if clock.stopped_on is not None else None

    def _clock_stop(self, state: _ClockState, at: dt.datetime, actor: User | None) -> None:
        from xiaoneng.clocks.models import StateChoice, WarningChoice

        clock = state.row
        day = _local_day(at)
        before = _derived(clock)
        before_state = clock.state
        clock.state = StateChoice.STOPPED.value
        clock.stopped_on = day
        clock.updated_at = at
        self._derive(clock, today=day)
        after = _derived(clock)
        self._audit(
            at=at,
            actor=actor,
            action="clocks.clock_stop",
            target_type=self.bulk.clock_type,
            target_id=lambda: str(clock.pk),
            summary=lambda: (
                _("Clock %(label)s stopped on %(on)s (due %(due)s)")
                % {"label": clock, "on": day.isoformat(), "due": after["due_on"]}
            ),
            data=lambda: {
                "from": before_state,
                "to": StateChoice.STOPPED.value,
                "before": before,
                "after": after,
                "kind": clock.kind,
                "item": {"type": clock.content_type_id, "id": str(self.ticket.pk)},
                "on": day.isoformat(),
                "late": after["warning"] == WarningChoice.RED,
            },
        )

    def _clock_officer(self, state: _ClockState, at: dt.datetime, officer: User) -> None:
        clock = state.row
        before_id = clock.officer_id
        if before_id == officer.pk:
            return
        clock.officer = officer
        clock.updated_at = at
        self._audit(
            at=at,
            actor=officer,
            action="clocks.clock_set_officer",
            target_type=self.bulk.clock_type,
            target_id=lambda: str(clock.pk),
            summary=lambda: _("Clock %(label)s: responsible officer changed") % {"label": clock},
            data=lambda: {"from": before_id, "to": officer.pk},
        )

    def _notify(
        self, *, at: dt.datetime, actor: User | None, recipient: User, subject: str, body: str
    ) -> None:
        from xiaoneng.notifications.models import Message

        message = Message(
            recipient=recipient,
            channel="in_site",
            subject=subject,
            body=body,
            content_type=self.bulk.ticket_type,
            object_id="",  # the ticket's id, once it is inserted
            created_at=at,
            state="sent",
            sent_at=at,
        )
        self.messages.append(message)
        self._audit(
            at=at,
            actor=actor,
            action="notifications.notify",
            target_type=self.bulk.ticket_type,
            target_id=self._ticket_id,
            summary=lambda: (
                _("Message to user %(user)s: %(subject)s")
                % {"user": recipient.pk, "subject": subject}
            ),
            data=lambda: {
                "recipient": recipient.pk,
                "messages": [message.pk],
                "channels": ["in_site"],
            },
        )

    # -- the steps

    def run_until_ids(self) -> None:
        """Walk the steps: compute every row; those needing ids are finished later."""
        world = self.bulk.world
        ticket = self.ticket
        clock: _ClockState | None = None
        for step in self.planned.steps:
            at = step.at
            actor = world.user(step.actor)
            if step.action == A.REGISTER:
                self._register(at, actor)
            elif step.action == A.CLOSE_NOT_ACCEPTED:
                redirect = _(rules.redirect_for(step.text))
                ticket.not_accepted_reason = step.text
                ticket.reply = redirect
                self._move(
                    at=at,
                    actor=actor,
                    action=A.CLOSE_NOT_ACCEPTED,
                    reason=step.text,
                    data={"redirect": redirect},
                )
            elif step.action == A.ANSWER_DIRECTLY:
                ticket.reply = step.text.strip()
                self._move(at=at, actor=actor, action=A.ANSWER_DIRECTLY)
            elif step.action == A.DISPATCH:
                department = world.departments[step.department]
                ticket.department = department
                ticket.dispatcher = actor
                ticket.officer = None
                self._move(
                    at=at, actor=actor, action=A.DISPATCH, data={"department": department.pk}
                )
                clock = self._clock_start(at, actor)
                due = clock.row.due_on.isoformat()
                for person in self.bulk.staff.get(department.pk, []):
                    self._notify(
                        at=at,
                        actor=actor,
                        recipient=person,
                        subject=_("New hotline ticket %(number)s") % {"number": ticket.number},
                        body=_("Ticket %(number)s was dispatched to your department; due %(due)s.")
                        % {"number": ticket.number, "due": due},
                    )
            elif step.action == A.ACCEPT:
                assert actor is not None and clock is not None
                ticket.officer = actor
                self._move(at=at, actor=actor, action=A.ACCEPT)
                self._clock_officer(clock, at, actor)
            elif step.action == A.RETURN:
                assert clock is not None
                text = step.text.strip()
                handling = ticket.department
                self._move(
                    at=at,
                    actor=actor,
                    action=A.RETURN,
                    reason=text,
                    data={"department": handling.pk if handling else None},
                )
                self._clock_stop(clock, at, actor)
                clock = None
                ticket.department = None
                ticket.officer = None
                if ticket.dispatcher is not None:
                    self._notify(
                        at=at,
                        actor=actor,
                        recipient=ticket.dispatcher,
                        subject=_("Ticket %(number)s sent back") % {"number": ticket.number},
                        body=mask_text(text),
                    )
            elif step.action == A.REPLY:
                assert clock is not None
                ticket.reply = step.text.strip()
                self._move(at=at, actor=actor, action=A.REPLY)
                self._clock_stop(clock, at, actor)
                clock = None
            else:
                ticket.satisfaction = step.level
                action = rules.TicketAction(step.action)
                self._move(
                    at=at,
                    actor=actor,
                    action=action,
                    reason=step.text,
                    data={"satisfaction": step.level},
                )
                if action == A.VISIT_REOPEN:
                    ticket.reopen_count += 1
                    clock = self._clock_start(at, actor)

    def _register(self, at: dt.datetime, actor: User | None) -> None:
        ticket = self.ticket
        # Open311 requests name the client's key in the event and the audit row.
        extra: dict[str, Any] = {}
        if ticket.channel == rules.Channel.OPEN311:
            extra = {"open311_key": self.bulk.world.open311_key.pk}

        def event() -> None:
            self.events.append(
                TicketEvent(
                    ticket=ticket,
                    actor=actor,
                    at=at,
                    action=A.REGISTER.value,
                    from_status="",
                    to_status=ST.REGISTERED.value,
                    data=extra,
                )
            )

        self._pending.append(event)
        self._audit(
            at=at,
            actor=actor,
            action="hotline.ticket_register",
            target_type=self.bulk.ticket_type,
            target_id=self._ticket_id,
            summary=lambda: _("Ticket %(number)s registered") % {"number": ticket.number},
            data=lambda: {
                "channel": ticket.channel,
                "type": ticket.ticket_type,
                "urgency": ticket.urgency,
                **extra,
            },
        )

    def finish(self) -> None:
        """Once the clock and message ids exist: make the events and audit rows."""
        for make in self._pending:
            make()


def _restore_updated_at(clocks: Sequence[Any], stamps: Sequence[dt.datetime]) -> None:
    """Put back each clock's ``updated_at``: the moment of its last change, as the services
    leave it; ``bulk_create`` stamped the real time on this ``auto_now`` field.

    One parameterised statement run for every row (``executemany``): ``bulk_update`` builds
    a ``CASE`` expression per row, which takes seconds for a season's clocks.
    """
    from django.db import connection

    from xiaoneng.clocks.models import Clock

    table = connection.ops.quote_name(Clock._meta.db_table)
    column = connection.ops.quote_name(Clock._meta.get_field("updated_at").column)
    rows = [
        (connection.ops.adapt_datetimefield_value(stamp), clock.pk)
        for clock, stamp in zip(clocks, stamps, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608 - quoted names
            rows,
        )
    for clock, stamp in zip(clocks, stamps, strict=True):
        clock.updated_at = stamp


def _derived(clock: Any) -> dict[str, Any]:
    return {
        "due_on": clock.due_on.isoformat() if clock.due_on else None,
        "due_provisional": clock.due_provisional,
        "yellow_on": clock.yellow_on.isoformat() if clock.yellow_on else None,
        "warning": clock.warning,
        "used_days": clock.used_days,
    }


def write_in_bulk(plan: Sequence[PlannedTicket], progress: Progress = _no_progress) -> None:
    """Write the plan with bulk inserts: the rows the services would write (see ``_Bulk``)."""
    _Bulk(_World.load()).write(plan, progress)


# -- the public function ---------------------------------------------------------------------


def demo_build_hotline(
    *,
    seed: int = 2019,
    scale: int = 1,
    progress: Progress = _no_progress,
    activity: bool = True,
) -> dict[str, Any]:
    """Build the demo city's hotline: its tables always, its season of tickets with ``activity``.

    Needs the demo city's departments (:func:`xiaoneng.demo.services.demo_build` calls it
    last, in its transaction). With ``activity`` the people and tables are made the day
    before the season starts (the process clock is moved there), so every ticket's actors
    exist when it is registered; then :func:`demo_build_hotline_season` writes the tickets.

    Returns:
        What was built, counted from the rows (:func:`hotline_figures`), with the number of
        departments added and accounts registered.

    Raises:
        InvalidInput: a scale below 1.
        CalendarNotCovered: the holiday table does not cover the season.
    """
    if scale < 1:
        raise InvalidInput(_("The scale is 1 or more, got %(value)s.") % {"value": scale})
    with transaction.atomic():
        if not activity:
            return {**build_tables(), **hotline_figures()}
        start = timezone.localdate() - dt.timedelta(days=SEASON_DAYS)
        with time_machine.travel(_at(start - dt.timedelta(days=1), 9), tick=False):
            tables = build_tables()
            open311_client_key(User.objects.get(username=OPEN311_OPERATOR))
        season = demo_build_hotline_season(seed=seed, scale=scale, progress=progress)
        # The operators' dispatch suggestions come with probabilities from the first page on:
        # the classifier is trained on the season's closed tickets, as `xiaoneng hotline
        # train` would train it (run that again to retrain).
        model = dispatch_model_train(actor=None, seed=seed)
        progress("hotline dispatch model", 1, 1)
    return {
        **tables,
        **season,
        "dispatch_model_accuracy": round(model.accuracy, 4),
        "dispatch_model_top3_accuracy": round(model.top3_accuracy, 4),
    }


def demo_build_hotline_season(
    *,
    seed: int = 2019,
    scale: int = 1,
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
    tickets: int | None = None,
    days: int = SEASON_DAYS,
    writer: Writer = "bulk",
) -> dict[str, Any]:
    """Write a season of tickets into a city that has the hotline's tables (:func:`build_tables`).

    The plan (:func:`plan_tickets`) is written by ``writer``, then the warning scan runs for
    today, so the open tickets' clocks are yellow or red as they should be and the warnings
    ledger records them. One transaction.

    Args:
        seed: the same seed and arguments always give the same season.
        scale: multiplies the season's tickets (:data:`TICKETS_PER_SCALE` each).
        progress: called as ``progress("hotline", done, total)``.
        now: the end of the season (default: now); never in the future.
        tickets: the number of tickets instead of the one ``scale`` gives (tests).
        days: the season's length in calendar days.
        writer: ``"bulk"`` (fast, the default) or ``"services"`` (every step through the
            ticket services); both write the same rows.

    Returns:
        The hotline's figures, counted from the rows (:func:`hotline_figures`).

    Raises:
        InvalidInput: ``now`` in the future, a scale below 1 or an unknown writer.
        CalendarNotCovered: the holiday table does not cover the season.
    """
    from xiaoneng.calendars.selectors import workday_calendar
    from xiaoneng.demo.activity import warnings_scan_or_refresh
    from xiaoneng.hotline.services.tickets import limit_days_for, max_reopens

    real_now = timezone.now()
    now = now or real_now
    if now > real_now:
        raise InvalidInput(
            _("The season ends before now; expected a moment up to %(now)s, got %(value)s.")
            % {"now": real_now.isoformat(), "value": now.isoformat()}
        )
    if scale < 1:
        raise InvalidInput(_("The scale is 1 or more, got %(value)s.") % {"value": scale})
    if writer not in ("bulk", "services"):
        raise InvalidInput(_("The writer is bulk or services, got %(value)r.") % {"value": writer})
    today = _local_day(now)
    calendar = workday_calendar()
    first = today - dt.timedelta(days=days + 7)
    workdays = [
        first + dt.timedelta(days=i)
        for i in range((today - first).days + 1)
        if calendar.is_workday(first + dt.timedelta(days=i))
    ]
    limits = {
        (t.value, u.value): limit_days_for(t.value, u.value)
        for t in rules.TicketType
        for u in rules.Urgency
    }
    plan = plan_tickets(
        seed=seed,
        now=now,
        workdays=workdays,
        limits=limits,
        tickets=tickets if tickets is not None else TICKETS_PER_SCALE * scale,
        days=days,
        max_reopens=max_reopens(),
    )
    with transaction.atomic():
        if writer == "services":
            write_with_services(plan, progress)
        else:
            write_in_bulk(plan, progress)
        # The scheduler's scan for today (the process clock moved there for a past season).
        if now < real_now - dt.timedelta(seconds=1):
            with time_machine.travel(now, tick=False):
                warnings_scan_or_refresh(today=today)
        else:
            warnings_scan_or_refresh(today=today)
    return hotline_figures()


def hotline_figures() -> dict[str, Any]:
    """What the demo hotline holds, counted from the rows (tables, tickets, open clocks).

    The KPIs are not among them: ``hotline_kpis`` takes seconds over a season on SQLite, and
    the dashboard and ``GET /api/v1/hotline/kpis/`` compute them anyway.
    """
    from django.db.models import Count, Q

    from xiaoneng.clocks.models import Clock, StateChoice, WarningChoice
    from xiaoneng.hotline.services.tickets import CLOCK_KIND

    tickets = Ticket.objects.all()
    counts = tickets.aggregate(
        tickets=Count("pk"),
        closed=Count("pk", filter=Q(status=ST.CLOSED)),
        to_dispatch=Count("pk", filter=Q(status=ST.REGISTERED)),
        in_departments=Count("pk", filter=Q(status__in=[ST.DISPATCHED, ST.ACCEPTED])),
        to_visit=Count("pk", filter=Q(status=ST.REPLIED)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
    )
    open_clocks = Clock.objects.filter(kind=CLOCK_KIND).exclude(state=StateChoice.STOPPED)
    figures: dict[str, Any] = {
        "categories": TicketCategory.objects.count(),
        "old_numbers": HotlineNumber.objects.count(),
        "articles": Article.objects.count(),
        "routing_rules": RoutingRule.objects.count(),
        **counts,
        "answered_directly": TicketEvent.objects.filter(action=A.ANSWER_DIRECTLY).count(),
        "not_accepted": TicketEvent.objects.filter(action=A.CLOSE_NOT_ACCEPTED).count(),
        "sent_back": TicketEvent.objects.filter(action=A.RETURN).count(),
        "open_yellow": open_clocks.filter(warning=WarningChoice.YELLOW).count(),
        "open_red": open_clocks.filter(warning=WarningChoice.RED).count(),
    }
    return figures
