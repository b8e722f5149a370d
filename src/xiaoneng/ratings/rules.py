"""Pure rules of service rating (好差评, DOMAIN_RULES.md §8): levels, channels, state machines.

No database here, so the rules are tested directly.

* Five levels, 5 = 非常满意 (very satisfied) … 1 = 非常不满意 (very dissatisfied); the last two
  are bad reviews (差评).
* Four channels: on site 一次一评, online 一事一评, public 综合点评, government 监督查评.
* A bad review opens a rectification (整改): return visit (回访), then measures (整改措施).
* An appeal (申诉) against a mistaken or malicious review is decided by the efficiency office;
  an upheld appeal takes the review out of the figures and cancels its rectification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import Conflict, InvalidInput

# -- levels ----------------------------------------------------------------------------------


class RatingLevel(IntEnum):
    """The five levels of GB/T 39734-2020, best first in value."""

    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意


LEVEL_CODES: Mapping[str, RatingLevel] = {
    "very_satisfied": RatingLevel.VERY_SATISFIED,
    "satisfied": RatingLevel.SATISFIED,
    "basically_satisfied": RatingLevel.BASICALLY_SATISFIED,
    "dissatisfied": RatingLevel.DISSATISFIED,
    "very_dissatisfied": RatingLevel.VERY_DISSATISFIED,
}
CODE_OF_LEVEL: Mapping[RatingLevel, str] = {level: code for code, level in LEVEL_CODES.items()}

# The Chinese names of the levels as citizens see them on every rating form; accepted as
# input too, so a window terminal may send what it shows.
LEVEL_NAMES_ZH: Mapping[str, RatingLevel] = {
    "非常满意": RatingLevel.VERY_SATISFIED,
    "满意": RatingLevel.SATISFIED,
    "基本满意": RatingLevel.BASICALLY_SATISFIED,
    "不满意": RatingLevel.DISSATISFIED,
    "非常不满意": RatingLevel.VERY_DISSATISFIED,
}

LEVEL_LABELS: Mapping[RatingLevel, Promise] = {
    RatingLevel.VERY_SATISFIED: gettext_lazy("very satisfied"),
    RatingLevel.SATISFIED: gettext_lazy("satisfied"),
    RatingLevel.BASICALLY_SATISFIED: gettext_lazy("basically satisfied"),
    RatingLevel.DISSATISFIED: gettext_lazy("dissatisfied"),
    RatingLevel.VERY_DISSATISFIED: gettext_lazy("very dissatisfied"),
}

# DOMAIN_RULES.md §8: 不满意 and 非常不满意 are bad reviews (差评).
BAD_LEVEL_MAX = RatingLevel.DISSATISFIED

# Longest rating text accepted; rating forms of the provincial platforms allow a few hundred
# characters, so this leaves room without letting a page of text into every list.
TEXT_MAX_CHARS = 2000


def parse_level(value: int | str) -> RatingLevel:
    """The level meant by ``value``: 1–5, ``"1"``–``"5"``, a code or the Chinese name.

    Raises:
        InvalidInput: anything else; the message lists what is accepted.
    """
    if isinstance(value, bool):  # bool is an int; True is not "1 = very dissatisfied"
        value = str(value)
    if isinstance(value, int):
        if 1 <= value <= 5:
            return RatingLevel(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit() and 1 <= int(text) <= 5:
            return RatingLevel(int(text))
        if text.lower() in LEVEL_CODES:
            return LEVEL_CODES[text.lower()]
        if text in LEVEL_NAMES_ZH:
            return LEVEL_NAMES_ZH[text]
    raise InvalidInput(
        _(
            "A rating level is 1 to 5 (5 = very satisfied, 1 = very dissatisfied) or one of "
            "%(codes)s; got %(value)r."
        )
        % {"codes": ", ".join(LEVEL_CODES), "value": value},
        details={"level": str(value)},
    )


def is_bad(level: int) -> bool:
    """A bad review (差评) is 不满意 or 非常不满意: level 2 or 1 (DOMAIN_RULES.md §8)."""
    return int(level) <= BAD_LEVEL_MAX


# -- channels --------------------------------------------------------------------------------


class RatingChannel(StrEnum):
    """Where the rating was given (DOMAIN_RULES.md §8)."""

    ON_SITE = "on_site"  # 一次一评: at the window, on the rating device
    ONLINE = "online"  # 一事一评: online, after the matter is concluded
    PUBLIC = "public"  # 综合点评: public comment on a department or hall
    GOVERNMENT = "government"  # 监督查评: the government's own supervision


def parse_channel(value: str) -> RatingChannel:
    """The channel named by ``value``.

    Raises:
        InvalidInput: not one of on_site, online, public, government.
    """
    try:
        return RatingChannel(str(value).strip())
    except ValueError:
        raise InvalidInput(
            _("A rating channel is one of %(known)s; got %(value)r.")
            % {"known": ", ".join(c.value for c in RatingChannel), "value": value},
            details={"channel": str(value)},
        ) from None


def check_text(text: str) -> str:
    """The rating text, trimmed; at most :data:`TEXT_MAX_CHARS` characters.

    Raises:
        InvalidInput: the text is longer.
    """
    cleaned = (text or "").strip()
    if len(cleaned) > TEXT_MAX_CHARS:
        raise InvalidInput(
            _("A rating text is at most %(max)s characters; got %(n)s.")
            % {"max": TEXT_MAX_CHARS, "n": len(cleaned)},
            details={"field": "text"},
        )
    return cleaned


# -- rectification ---------------------------------------------------------------------------


class RectificationState(StrEnum):
    """Where the rectification of a bad review is."""

    OPEN = "open"  # 待回访
    VISITED = "visited"  # 已回访，整改中
    COMPLETED = "completed"  # 已整改
    CANCELLED = "cancelled"  # 已撤销 (the review was found mistaken or malicious on appeal)


class RectificationAction(StrEnum):
    """What may be done to a rectification."""

    RETURN_VISIT = "return_visit"
    COMPLETE = "complete"
    CANCEL = "cancel"


RECTIFICATION_STATE_LABELS: Mapping[RectificationState, Promise] = {
    RectificationState.OPEN: gettext_lazy("awaiting return visit"),
    RectificationState.VISITED: gettext_lazy("visited, being rectified"),
    RectificationState.COMPLETED: gettext_lazy("rectified"),
    RectificationState.CANCELLED: gettext_lazy("cancelled on appeal"),
}

RECTIFICATION_ACTION_LABELS: Mapping[RectificationAction, Promise] = {
    RectificationAction.RETURN_VISIT: gettext_lazy("record a return visit"),
    RectificationAction.COMPLETE: gettext_lazy("complete the rectification"),
    RectificationAction.CANCEL: gettext_lazy("cancel"),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed edge of a state machine and the rule that asks for it."""

    to: str
    basis: str


# The rectification's state machine as data (STYLE.md habit 4).
RECTIFICATION_TRANSITIONS: Mapping[RectificationState, Mapping[RectificationAction, Transition]] = {
    RectificationState.OPEN: {
        RectificationAction.RETURN_VISIT: Transition(
            RectificationState.VISITED, "§8: every real-name bad review gets a return visit"
        ),
        RectificationAction.CANCEL: Transition(
            RectificationState.CANCELLED, "§8: appeal upheld (mistaken or malicious review)"
        ),
    },
    RectificationState.VISITED: {
        # Another visit is recorded when the first one did not reach the rater or did not
        # settle what went wrong.
        RectificationAction.RETURN_VISIT: Transition(
            RectificationState.VISITED, "§8: return visit, again"
        ),
        # Measures come after hearing the rater: a rectification without a return visit
        # would miss the 100 % return-visit target.
        RectificationAction.COMPLETE: Transition(
            RectificationState.COMPLETED, "§8: rectification within the local limit"
        ),
        RectificationAction.CANCEL: Transition(
            RectificationState.CANCELLED, "§8: appeal upheld (mistaken or malicious review)"
        ),
    },
    RectificationState.COMPLETED: {},
    RectificationState.CANCELLED: {},
}


def rectification_allowed_actions(state: RectificationState | str) -> list[RectificationAction]:
    """The actions allowed in ``state``, in a stable order."""
    return list(RECTIFICATION_TRANSITIONS[RectificationState(state)])


def rectification_next_state(
    state: RectificationState | str, action: RectificationAction | str
) -> RectificationState:
    """The state ``action`` leads to from ``state``.

    Raises:
        Conflict: the action is not allowed in that state; the message names both and what
            is allowed now.
    """
    current = RectificationState(state)
    wanted = RectificationAction(action)
    edge = RECTIFICATION_TRANSITIONS[current].get(wanted)
    if edge is None:
        allowed = ", ".join(
            str(RECTIFICATION_ACTION_LABELS[a]) for a in RECTIFICATION_TRANSITIONS[current]
        ) or _("nothing")
        raise Conflict(
            _("The rectification is %(state)s, so you cannot %(action)s. Allowed now: %(allowed)s.")
            % {
                "state": RECTIFICATION_STATE_LABELS[current],
                "action": RECTIFICATION_ACTION_LABELS[wanted],
                "allowed": allowed,
            },
            details={"state": current.value, "action": wanted.value},
        )
    return RectificationState(edge.to)


# -- appeals ---------------------------------------------------------------------------------


class AppealState(StrEnum):
    """Where a rating is on the appeal path (the rating's pointer to its appeal)."""

    NONE = "none"  # 未申诉
    PENDING = "pending"  # 申诉中
    UPHELD = "upheld"  # 申诉成立: the rating is excluded from the figures
    REJECTED = "rejected"  # 申诉不成立


class AppealAction(StrEnum):
    """What may be done on the appeal path."""

    FILE = "file"
    UPHOLD = "uphold"
    REJECT = "reject"


APPEAL_STATE_LABELS: Mapping[AppealState, Promise] = {
    AppealState.NONE: gettext_lazy("not appealed"),
    AppealState.PENDING: gettext_lazy("appeal pending"),
    AppealState.UPHELD: gettext_lazy("appeal upheld"),
    AppealState.REJECTED: gettext_lazy("appeal rejected"),
}

APPEAL_ACTION_LABELS: Mapping[AppealAction, Promise] = {
    AppealAction.FILE: gettext_lazy("file an appeal"),
    AppealAction.UPHOLD: gettext_lazy("uphold the appeal"),
    AppealAction.REJECT: gettext_lazy("reject the appeal"),
}

# One appeal per rating: a decided appeal is final on this platform (a further complaint goes
# outside it, to the supervising authority).
APPEAL_TRANSITIONS: Mapping[AppealState, Mapping[AppealAction, Transition]] = {
    AppealState.NONE: {
        AppealAction.FILE: Transition(AppealState.PENDING, "§8: appeal path"),
    },
    AppealState.PENDING: {
        AppealAction.UPHOLD: Transition(AppealState.UPHELD, "§8: mistaken or malicious review"),
        AppealAction.REJECT: Transition(AppealState.REJECTED, "§8: the review stands"),
    },
    AppealState.UPHELD: {},
    AppealState.REJECTED: {},
}


def appeal_next_state(state: AppealState | str, action: AppealAction | str) -> AppealState:
    """The appeal state ``action`` leads to from ``state``.

    Raises:
        Conflict: the action is not allowed in that state.
    """
    current = AppealState(state)
    wanted = AppealAction(action)
    edge = APPEAL_TRANSITIONS[current].get(wanted)
    if edge is None:
        allowed = ", ".join(str(APPEAL_ACTION_LABELS[a]) for a in APPEAL_TRANSITIONS[current]) or _(
            "nothing"
        )
        raise Conflict(
            _("The rating is %(state)s, so you cannot %(action)s. Allowed now: %(allowed)s.")
            % {
                "state": APPEAL_STATE_LABELS[current],
                "action": APPEAL_ACTION_LABELS[wanted],
                "allowed": allowed,
            },
            details={"state": current.value, "action": wanted.value},
        )
    return AppealState(edge.to)


# -- figures ---------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide (no figure, not 0 %)."""
    if whole <= 0:
        return None
    return part / whole


def satisfaction_rate(counts: Mapping[int, int]) -> float | None:
    """Share of ratings that are not bad reviews (满意率: levels 3–5 over all levels)."""
    total = sum(counts.values())
    good = sum(n for level, n in counts.items() if not is_bad(level))
    return rate(good, total)
