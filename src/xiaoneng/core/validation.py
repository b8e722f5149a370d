"""Model validation without needless queries.

``Model.full_clean()`` checks that every foreign key points at an existing row, one query per
key. A service that assigned the related object itself (loaded or just saved) already knows
the row exists, so those checks cost queries on the hot path and prove nothing; keys given
only as an id are still checked.
"""

from __future__ import annotations

from django.db import models


def loaded_relations(obj: models.Model) -> list[str]:
    """Names of the many-to-one fields of ``obj`` whose related object is held in memory."""
    return [
        field.name
        for field in obj._meta.concrete_fields
        if field.many_to_one and field.is_cached(obj)  # type: ignore[attr-defined]
    ]


def full_clean_held(obj: models.Model, **kwargs: object) -> None:
    """``obj.full_clean(**kwargs)``, skipping the existence check of relations held in memory."""
    exclude = set(kwargs.pop("exclude", None) or ())  # type: ignore[call-overload]
    exclude.update(loaded_relations(obj))
    obj.full_clean(exclude=sorted(exclude), **kwargs)  # type: ignore[arg-type]
