"""Opening accounts and changing contact details: validated, permission-checked, audited."""

from __future__ import annotations

import pytest
from django.utils import translation

from xiaoneng.accounts.models import Role, User
from xiaoneng.accounts.services import user_register, user_update_contact
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.core.selectors import audit_events_for

from .factories import (
    PASSWORD,
    citizen,
    credit_code,
    department,
    enterprise,
    resident_id,
    staff,
    user_of_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def register(**kwargs) -> User:  # type: ignore[no-untyped-def]
    kwargs.setdefault("actor", None)
    kwargs.setdefault("username", "zhang")
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("role", Role.CITIZEN)
    kwargs.setdefault("display_name", "张三")
    return user_register(**kwargs)


def test_a_citizen_is_registered_with_a_normalised_id_number():
    """The number is stored upper-cased and trimmed; the password is hashed."""
    user = register(id_number=" 11010519491231002x ", phone="+86 139 0000 1234")
    assert user.id_number == "11010519491231002X"
    assert user.phone == "13900001234"
    assert user.check_password(PASSWORD) and user.password != PASSWORD


def test_registration_is_audited_without_the_number():
    """One accounts.user_register event; the summary and data carry no identity number."""
    user = register(id_number=resident_id())
    event = audit_events_for(user).get()
    assert event.action == "accounts.user_register"
    assert "130102" not in event.summary and "130102" not in str(event.data)
    assert event.data == {"role": "citizen", "department": None}


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("1301021990010112", "A resident ID number must have 18 characters; got 16."),
        (
            "13010219900101123Y",
            "A resident ID number is 17 digits followed by a digit or X; character 18 is “Y”.",
        ),
        (
            "130102199013011234",
            "The birth date in the resident ID number, 1990-13-01, does not exist.",
        ),
        (
            "130102209901011238",
            "The birth date in the resident ID number, 2099-01-01, is in the future.",
        ),
        (
            "130102199001011238",
            "The check character of the resident ID number is wrong: expected 7, got 8.",
        ),
    ],
)
def test_a_bad_resident_id_is_refused_with_what_is_wrong(id_number: str, message: str):
    """The service refuses the number with the rule's exact message and opens no account."""
    with pytest.raises(InvalidInput) as exc:
        register(id_number=id_number)
    assert exc.value.message == message
    assert exc.value.details["field"] == "id_number"
    assert not User.objects.filter(username="zhang").exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91130100MA0XN0001", "A unified social credit code must have 18 characters; got 17."),
        (
            "91130100MA0XN0001Z",
            "A unified social credit code has 8 digits, then 10 digits or capital letters "
            "other than I, O, S, V and Z; character 18 is “Z”.",
        ),
        (
            "91130100MA0XN00018",
            "The check character of the unified social credit code is wrong: expected 7, got 8.",
        ),
    ],
)
def test_a_bad_credit_code_is_refused_with_what_is_wrong(code: str, message: str):
    """An enterprise with a mistyped credit code is refused with the rule's exact message."""
    with pytest.raises(InvalidInput) as exc:
        register(role=Role.ENTERPRISE, credit_code=code)
    assert exc.value.message == message
    assert exc.value.details["field"] == "credit_code"


def test_a_bad_credit_code_reads_in_chinese_for_chinese_users():
    """The same refusal in zh-Hans."""
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as exc:
        register(role=Role.ENTERPRISE, credit_code="91130100MA0XN00018")
    assert exc.value.message == "统一社会信用代码的校验码不正确：应为 7，实为 8。"


def test_a_citizen_needs_a_resident_id():
    """No number, no citizen account."""
    with pytest.raises(InvalidInput) as exc:
        register()
    assert exc.value.message == "An applicant who is a natural person needs a resident ID number."
    assert exc.value.details["errors"] == {
        "id_number": ["An applicant who is a natural person needs a resident ID number."]
    }


def test_an_enterprise_needs_a_credit_code():
    """No code, no enterprise account."""
    with pytest.raises(InvalidInput, match="needs a unified social credit code"):
        register(role=Role.ENTERPRISE)


def test_only_citizens_carry_a_resident_id_and_only_enterprises_and_partners_a_code():
    """A resident ID on an enterprise, or a credit code on a citizen, is refused."""
    with pytest.raises(InvalidInput, match="kept only for applicants who are natural persons"):
        register(role=Role.ENTERPRISE, credit_code=credit_code(), id_number=resident_id())
    with pytest.raises(InvalidInput, match="kept only for enterprises and partner institutions"):
        register(id_number=resident_id(), credit_code=credit_code())
    bank = register(username="bank", role=Role.PARTNER, credit_code=credit_code("MA0XN0002"))
    assert bank.credit_code == "91130100MA0XN0002A"
    assert register(username="bank2", role=Role.PARTNER).credit_code == ""


@pytest.mark.parametrize("role", [Role.WINDOW, Role.REVIEWER, Role.HEAD])
def test_staff_need_a_department(role: str):
    """Window officers, reviewers and heads without a department are refused."""
    with pytest.raises(InvalidInput) as exc:
        register(role=role)
    assert exc.value.message == "Window officers, reviewers and department heads need a department."
    assert register(role=role, department=department()).department.code == "130100001"


def test_a_resident_id_belongs_to_one_account():
    """A second account with the same number is refused; empty numbers never clash."""
    number = resident_id()
    register(id_number=number)
    with pytest.raises(InvalidInput) as exc:
        register(username="other", id_number=number)
    assert exc.value.message == "Another account already has this resident ID number."
    user_of_role(Role.OFFICE, "office1")
    user_of_role(Role.OFFICE, "office2")


def test_several_accounts_may_act_for_one_enterprise():
    """The credit code is not unique: an enterprise may have several operators."""
    code = credit_code()
    enterprise("op1", credit_code=code)
    assert enterprise("op2", credit_code=code).credit_code == code


def test_the_password_policy_applies():
    """A short, common password is refused with Django's validators' messages."""
    with pytest.raises(InvalidInput) as exc:
        register(id_number=resident_id(), password="demo")
    assert "too short" in exc.value.message
    assert "password" in exc.value.details["errors"]


def test_a_taken_username_is_refused():
    """User names are unique."""
    citizen("li")
    with pytest.raises(InvalidInput, match="already exists"):
        citizen("li")


def test_admin_accounts_can_use_the_admin_site():
    """The admin role makes a Django staff superuser; other roles do not."""
    admin = user_of_role(Role.ADMIN, "root")
    assert admin.is_staff and admin.is_superuser
    office = user_of_role(Role.OFFICE, "office")
    assert not office.is_staff and not office.is_superuser


def test_window_officers_register_applicants_only():
    """One window: an officer opens accounts for walk-in applicants, not for staff."""
    officer = staff(Role.WINDOW)
    walk_in = register(actor=officer, id_number=resident_id())
    assert audit_events_for(walk_in).get().actor == officer
    with pytest.raises(PermissionDenied):
        register(actor=officer, username="x", role=Role.REVIEWER, department=department())


def test_applicants_cannot_open_accounts():
    """A citizen may not open an account for someone else."""
    with pytest.raises(PermissionDenied):
        register(actor=citizen(), username="friend", id_number=resident_id(sequence=7))


def test_admins_open_any_account():
    """An administrator opens staff accounts."""
    admin = user_of_role(Role.ADMIN, "root")
    head = register(actor=admin, username="h", role=Role.HEAD, department=department())
    assert head.role == Role.HEAD


def test_holder_changes_contact_details_and_the_event_names_fields_only():
    """The new phone is stored normalised; the audit event lists the fields, not the values."""
    user = citizen()
    updated = user_update_contact(actor=user, user=user, phone="139-0000-5678", email="z@e.cn")
    assert (updated.phone, updated.email) == ("13900005678", "z@e.cn")
    event = AuditEvent.objects.get(action="accounts.user_update_contact")
    assert event.data == {"changed": ["phone", "email"]}
    assert "5678" not in event.summary


def test_a_bad_phone_is_refused_and_nothing_changes():
    """A ten-digit phone is refused with its length."""
    user = citizen(phone="13900001234")
    with pytest.raises(InvalidInput, match="must have 11 digits; got 10"):
        user_update_contact(actor=user, user=user, phone="1390000123")
    user.refresh_from_db()
    assert user.phone == "13900001234"


def test_an_unchanged_contact_writes_nothing():
    """Setting the same phone again appends no event."""
    user = citizen(phone="13900001234")
    user_update_contact(actor=user, user=user, phone="13900001234")
    assert not AuditEvent.objects.filter(action="accounts.user_update_contact").exists()


def test_others_cannot_change_someone_s_contact():
    """A reviewer may not change an applicant's phone; an administrator may."""
    user = citizen()
    with pytest.raises(PermissionDenied):
        user_update_contact(actor=staff(), user=user, phone="13900001234")
    admin = user_of_role(Role.ADMIN, "root")
    assert user_update_contact(actor=admin, user=user, email="").email == ""
    assert user_update_contact(actor=admin, user=user, phone="13900001234").phone


def test_createsuperuser_makes_a_valid_admin_account():
    """`xiaoneng createsuperuser` gives the admin role, so the account passes its own checks."""
    from django.core.management import call_command

    call_command(
        "createsuperuser", username="root", email="root@example.cn", interactive=False, verbosity=0
    )
    root = User.objects.get(username="root")
    assert root.role == Role.ADMIN
    root.full_clean()
