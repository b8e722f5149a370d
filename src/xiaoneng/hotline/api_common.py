"""What the hotline's API modules share: input validation and codes turned into rows.

Every hotline endpoint names categories and departments by their codes; an unknown code is
a 400 naming the field, in the one error shape (``core.api``), whichever endpoint it is.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import InvalidInput
from xiaoneng.hotline.models import TicketCategory


def valid(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    """The validated data of ``data``; DRF's ValidationError (a 400) when it is not valid."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def category_by_code(code: str | None) -> TicketCategory | None:
    """The category with ``code``; ``None`` for an empty code.

    Raises:
        InvalidInput: no category has the code.
    """
    if not code:
        return None
    category = TicketCategory.objects.filter(code=code).first()
    if category is None:
        raise InvalidInput(
            _("category: no category with code %(code)s.") % {"code": code},
            details={"field": "category", "value": code},
        )
    return category


def department_by_code(code: str | None, *, field: str = "department") -> Department | None:
    """The department with ``code``; ``None`` for an empty code.

    Raises:
        InvalidInput: no department has the code (the message names ``field``).
    """
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise InvalidInput(
            _("%(field)s: no department with code %(code)s.") % {"field": field, "code": code},
            details={"field": field, "value": code},
        )
    return department
