"""Validation skips the existence query only for relations the caller holds in memory."""

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.accounts.models import Department
from xiaoneng.core.validation import full_clean_held, loaded_relations

pytestmark = pytest.mark.django_db


def test_a_held_parent_is_not_queried_again(django_assert_num_queries):
    """A parent assigned as an object is trusted: only the uniqueness check queries."""
    city = Department.objects.create(code="C1", name="市政府")
    child = Department(code="C2", name="某局", parent=city)
    assert loaded_relations(child) == ["parent"]
    with django_assert_num_queries(1):  # the unique code, not the parent
        full_clean_held(child)


def test_a_parent_given_by_id_is_still_checked():
    """A parent given only by id must exist: a dangling id is refused."""
    child = Department(code="C3", name="某局", parent_id=987654)
    assert loaded_relations(child) == []
    with pytest.raises(ValidationError) as exc:
        full_clean_held(child)
    assert "parent" in exc.value.message_dict
