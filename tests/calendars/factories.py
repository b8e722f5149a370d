"""Factories for the calendar tests."""

import factory

from xiaoneng.accounts.models import Role, User


class AdminFactory(factory.django.DjangoModelFactory):
    """An administrator who may change the holiday table in the admin."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"calendar-admin-{n}")
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
    password = factory.django.Password("calendar-admin-password")
