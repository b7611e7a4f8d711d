"""The business verbs, called directly."""

import pytest

from marketplace.accounts import services
from marketplace.accounts.models import AgencyKind, Role
from marketplace.extensions import db
from tests.factories import PASSWORD


def test_authenticate_raises_typed_errors(make):
    user = make.user(email="lan@example.vn")
    inactive = make.user(active=False)
    assert services.authenticate(" LAN@Example.vn", PASSWORD, "10.0.0.1") == user
    with pytest.raises(services.InvalidCredentials):
        services.authenticate("lan@example.vn", "wrong-password", "10.0.0.1")
    with pytest.raises(services.InvalidCredentials):
        services.authenticate("nobody@example.vn", PASSWORD, "10.0.0.1")
    with pytest.raises(services.AccountInactive):
        services.authenticate(inactive.email, PASSWORD, "10.0.0.1")
    for _ in range(4):  # the fifth failure, after the wrong password above
        with pytest.raises(services.InvalidCredentials):
            services.authenticate("lan@example.vn", "wrong-password", "10.0.0.1")
    with pytest.raises(services.AccountLocked):
        services.authenticate("lan@example.vn", PASSWORD, "10.0.0.1")


def test_default_limit_per_address_is_twenty(make):
    for n in range(20):
        assert services.take_login_attempt(f"guess{n}@example.vn", "10.0.0.1")
    assert not services.take_login_attempt("someone@example.vn", "10.0.0.1")
    assert services.take_login_attempt("someone@example.vn", "10.0.0.2")


def test_reset_token_dies_when_the_password_changes(make):
    user = make.user()
    token = services.make_reset_token(user)
    assert services.user_from_reset_token(token) == user
    services.change_password(user, PASSWORD, "mat-khau-moi-dai-hon")
    assert services.user_from_reset_token(token) is None


def test_reset_token_of_deleted_or_inactive_user(make):
    user = make.user()
    token = services.make_reset_token(user)
    user.active = False
    assert services.user_from_reset_token(token) is None
    db.session.delete(user)
    db.session.flush()
    assert services.user_from_reset_token(token) is None


@pytest.mark.parametrize(
    "role, has_agency, has_cooperative, field",
    [
        (Role.CUSTOMER, False, False, None),
        (Role.CUSTOMER, True, False, "agency"),
        (Role.CUSTOMER, False, True, "cooperatives"),
        (Role.COOPERATIVE_MANAGER, False, False, "cooperatives"),
        (Role.COOPERATIVE_MANAGER, False, True, None),
        (Role.COOPERATIVE_MANAGER, True, True, "agency"),
        (Role.AGENCY_STAFF, False, False, "agency"),
        (Role.AGENCY_STAFF, True, False, None),
        (Role.AGENCY_STAFF, True, True, "cooperatives"),
        (Role.ADMIN, False, False, None),
        (Role.ADMIN, True, True, None),
    ],
)
def test_role_requirements(make, role, has_agency, has_cooperative, field):
    agency = make.agency() if has_agency else None
    cooperatives = [make.cooperative()] if has_cooperative else []
    if field is None:
        services.check_role_requirements(role, agency, cooperatives)
    else:
        with pytest.raises(services.AccountError) as error:
            services.check_role_requirements(role, agency, cooperatives)
        assert error.value.field == field


def test_update_user_roles_protects_the_acting_admin(make):
    admin = make.admin()
    with pytest.raises(services.AccountError):
        services.update_user_roles(admin, by=admin, role=Role.CUSTOMER, active=True, agency=None, cooperatives=[])
    with pytest.raises(services.AccountError):
        services.update_user_roles(admin, by=admin, role=Role.ADMIN, active=False, agency=None, cooperatives=[])
    other = make.admin()
    services.update_user_roles(other, by=admin, role=Role.CUSTOMER, active=False, agency=None, cooperatives=[])
    assert (other.role, other.active) == (Role.CUSTOMER, False)


@pytest.mark.parametrize(
    "name, kind",
    [
        ("Tỉnh đoàn Bắc Ninh", AgencyKind.YOUTH_UNION),
        ("Đoàn Thanh niên xã Tân Sơn", AgencyKind.YOUTH_UNION),
        ("Ho Chi Minh Communist Youth Union", AgencyKind.YOUTH_UNION),
        ("Liên minh HTX Việt Nam", AgencyKind.COOPERATIVE_ALLIANCE),
        ("Vietnam Cooperative Alliance", AgencyKind.COOPERATIVE_ALLIANCE),
        ("Hiệp hội Doanh nghiệp", AgencyKind.OTHER),
    ],
)
def test_guess_agency_kind(name, kind):
    assert services.guess_agency_kind(name) == kind


def test_generated_passwords_are_long_and_different():
    first, second = services.generate_password(), services.generate_password()
    assert len(first) >= 16 and first != second
