import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Agency, AgencyKind, Role, User
from marketplace.extensions import db


def create(runner, *args):
    return runner.invoke(args=["users", "create", *args])


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def only_user() -> User:
    return db.session.scalar(select(User))


def test_create_customer_with_password(runner):
    result = create(
        runner,
        "--email",
        "Khach@Example.vn",
        "--role",
        "customer",
        "--password",
        "mat-khau-an-toan",
        "--full-name",
        "Nguyễn Văn Khách",
        "--phone",
        "+84912345678",
    )
    assert result.exit_code == 0, result.output
    assert "khach@example.vn" in result.output
    assert "mat-khau-an-toan" not in result.output
    user = only_user()
    assert (user.email, user.full_name, user.role, user.phone) == (
        "khach@example.vn",
        "Nguyễn Văn Khách",
        Role.CUSTOMER,
        "0912345678",
    )
    assert user.check_password("mat-khau-an-toan")


def test_create_admin_with_generated_password(runner):
    result = create(runner, "--email", "admin@example.vn", "--role", "admin")
    assert result.exit_code == 0, result.output
    password = result.output.split("Generated password:")[1].strip()
    assert len(password) >= 16
    user = only_user()
    assert user.role == Role.ADMIN and user.full_name == "admin"
    assert user.check_password(password)


def test_create_manager_of_several_cooperatives(runner, make):
    first, second = make.cooperative(slug="htx-vai-thieu"), make.cooperative(slug="htx-ga-doi")
    make.commit()
    result = create(
        runner,
        "--email",
        "an@example.vn",
        "--role",
        "cooperative_manager",
        "--cooperative",
        "htx-vai-thieu",
        "--cooperative",
        "htx-ga-doi",
    )
    assert result.exit_code == 0, result.output
    user = only_user()
    assert user.role == Role.COOPERATIVE_MANAGER
    assert {c.slug for c in user.cooperatives} == {"htx-vai-thieu", "htx-ga-doi"}
    assert user.can_manage(first) and user.can_manage(second)


@pytest.mark.parametrize(
    "name, kind_option, kind",
    [
        ("Tỉnh đoàn Bắc Ninh", [], AgencyKind.YOUTH_UNION),
        ("Bac Ninh Youth Union", [], AgencyKind.YOUTH_UNION),
        ("Liên minh Hợp tác xã tỉnh Bắc Ninh", [], AgencyKind.COOPERATIVE_ALLIANCE),
        ("Sở Nông nghiệp", [], AgencyKind.OTHER),
        ("Sở Nông nghiệp", ["--agency-kind", "cooperative_alliance"], AgencyKind.COOPERATIVE_ALLIANCE),
    ],
)
def test_create_staff_creates_the_agency(runner, name, kind_option, kind):
    result = create(runner, "--email", "binh@example.vn", "--role", "agency_staff", "--agency", name, *kind_option)
    assert result.exit_code == 0, result.output
    user = only_user()
    assert user.role == Role.AGENCY_STAFF
    assert (user.agency.name, user.agency.kind) == (name, kind)


def test_create_staff_joins_an_existing_agency(runner, make):
    agency = make.agency("Tỉnh đoàn Bắc Ninh")
    make.commit()
    result = create(runner, "--email", "binh@example.vn", "--role", "agency_staff", "--agency", "Tỉnh đoàn Bắc Ninh")
    assert result.exit_code == 0, result.output
    assert only_user().agency_id == agency.id
    assert count(Agency) == 1


@pytest.mark.parametrize(
    "args, hint",
    [
        (["--email", "x@example.vn", "--role", "emperor"], "emperor"),
        (["--email", "x@example.vn", "--role", "cooperative_manager"], ""),
        (["--email", "x@example.vn", "--role", "cooperative_manager", "--cooperative", "khong-co"], "khong-co"),
        (["--email", "x@example.vn", "--role", "agency_staff"], ""),
        (["--email", "x@example.vn", "--role", "agency_staff", "--agency", "  "], "--agency"),
        (["--email", "not-an-email", "--role", "customer"], ""),
        (["--email", "x@example.vn", "--role", "customer", "--password", "short"], ""),
        (["--email", "x@example.vn", "--role", "customer", "--phone", "12345"], "12345"),
        (["--email", "x@example.vn", "--role", "customer", "--agency", "Tỉnh đoàn Mới"], ""),
        (["--email", "x@example.vn"], "--role"),
        (["--role", "customer"], "--email"),
    ],
)
def test_errors_write_nothing(runner, make, args, hint):
    make.cooperative(slug="htx-co-that")
    make.commit()
    result = create(runner, *args)
    assert result.exit_code != 0
    assert "Error" in result.output
    assert hint in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0
    assert count(Agency) == 0


def test_duplicate_email_in_other_case_is_refused(runner, make):
    make.user(email="lan@example.vn")
    make.commit()
    result = create(runner, "--email", "LAN@Example.VN", "--role", "admin", "--password", "mat-khau-an-toan")
    assert result.exit_code != 0
    assert count(User) == 1
    assert only_user().role == Role.CUSTOMER


def test_failed_staff_creation_leaves_no_new_agency(runner, make):
    make.user(email="lan@example.vn")
    make.commit()
    result = create(runner, "--email", "lan@example.vn", "--role", "agency_staff", "--agency", "Tỉnh đoàn Mới")
    assert result.exit_code != 0
    assert count(Agency) == 0
