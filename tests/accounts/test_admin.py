import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Agency, AgencyKind, Role, User
from marketplace.extensions import db
from tests.accounts.conftest import sign_in_as, use_english

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/agencies", "/admin/agencies/new"]


@pytest.fixture
def admin(make, client):
    user = make.admin(email="admin@example.vn", full_name="Quản trị viên")
    make.commit()
    use_english(client)
    sign_in_as(client, user)
    return user


def people(make):
    cooperative = make.cooperative()
    return {
        "customer": make.user(),
        "manager": make.manager(cooperative),
        "staff": make.staff(),
    }


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/admin/users/1/edit", "/admin/agencies/1/edit"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "manager", "staff"])
def test_other_roles_are_refused(client, make, role):
    user = people(make)[role]
    agency = make.agency()
    make.commit()
    sign_in_as(client, user)
    for path in ADMIN_PAGES + [f"/admin/users/{user.id}/edit", f"/admin/agencies/{agency.id}/edit"]:
        assert client.get(path).status_code == 403, path
    response = client.post(
        f"/admin/users/{user.id}/edit", data={"full_name": "X", "role": "admin", "active": "y", "agency": "0"}
    )
    assert response.status_code == 403
    db.session.refresh(user)
    assert user.role != Role.ADMIN


def test_admin_opens_every_page(client, admin, make):
    agency = make.agency()
    make.commit()
    for path in ADMIN_PAGES + [f"/admin/users/{admin.id}/edit", f"/admin/agencies/{agency.id}/edit"]:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path


def test_header_shows_users_link_to_admins_only(client, admin, make):
    assert "/admin/users" in client.get("/").get_data(as_text=True)
    customer = make.user()
    make.commit()
    sign_in_as(client, customer)
    assert "/admin/users" not in client.get("/").get_data(as_text=True)


def test_unknown_ids_are_404(client, admin):
    assert client.get("/admin/users/9999/edit").status_code == 404
    assert client.get("/admin/agencies/9999/edit").status_code == 404


def test_list_search_and_filter(client, admin, make):
    make.user(email="lan@example.vn", full_name="Trần Thị Lan")
    make.user(email="binh@example.vn", full_name="Lê Văn Bình")
    make.staff(email="hoa@doan.vn", full_name="Phạm Hoa")
    make.commit()
    page = client.get("/admin/users").get_data(as_text=True)
    assert all(email in page for email in ("lan@example.vn", "binh@example.vn", "hoa@doan.vn"))
    page = client.get("/admin/users?q=LAN@").get_data(as_text=True)
    assert "lan@example.vn" in page and "binh@example.vn" not in page
    page = client.get("/admin/users?q=Bình").get_data(as_text=True)
    assert "binh@example.vn" in page and "lan@example.vn" not in page
    page = client.get("/admin/users?role=agency_staff").get_data(as_text=True)
    assert "hoa@doan.vn" in page and "lan@example.vn" not in page
    page = client.get("/admin/users?q=100%25").get_data(as_text=True)
    assert "No users match." in page


def test_bad_role_filter_is_400(client, admin):
    assert client.get("/admin/users?role=king").status_code == 400


def test_pagination(client, admin, make):
    # Built directly: hashing 30 passwords would be the slowest part of the suite.
    db.session.add_all(
        User(email=f"person{n:02d}@example.vn", full_name=f"Người {n}", password_hash="x") for n in range(30)
    )
    make.commit()
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "31 users" in first
    assert "page=2" in first
    assert first.count("/edit") == 25 and second.count("/edit") == 6
    assert client.get("/admin/users?page=9").status_code == 404


def test_admin_creates_users(client, admin, make):
    cooperative = make.cooperative()
    agency = make.agency()
    make.commit()
    base = {"full_name": "Người mới", "password": "mat-khau-an-toan", "active": "y", "agency": "0"}
    response = client.post(
        "/admin/users/new",
        data={**base, "email": "Moi@Example.vn", "role": "cooperative_manager", "cooperatives": [str(cooperative.id)]},
    )
    assert response.status_code == 302
    manager = db.session.scalar(select(User).where(User.email == "moi@example.vn"))
    assert manager.role == Role.COOPERATIVE_MANAGER and manager.cooperatives == [cooperative]
    assert manager.check_password("mat-khau-an-toan")

    client.post(
        "/admin/users/new", data={**base, "email": "staff@example.vn", "role": "agency_staff", "agency": str(agency.id)}
    )
    staff = db.session.scalar(select(User).where(User.email == "staff@example.vn"))
    assert staff.agency == agency


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email": "admin@example.vn"}, "already exists"),
        ({"role": "agency_staff"}, "Agency staff must belong to an agency."),
        ({"role": "cooperative_manager"}, "must manage at least one cooperative"),
        ({"password": "short"}, "at least 10 characters"),
        ({"phone": "123"}, "Enter a Vietnamese mobile number"),
        ({"role": "wizard"}, "Not a valid choice"),
        ({"agency": "abc"}, "Invalid Choice"),
    ],
)
def test_admin_create_with_bad_input_creates_nobody(client, admin, change, message):
    data = {
        "email": "moi@example.vn",
        "full_name": "Người mới",
        "password": "mat-khau-an-toan",
        "role": "customer",
        "active": "y",
        "agency": "0",
        **change,
    }
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_admin_edits_role_agency_and_cooperatives(client, admin, make):
    customer = make.user(full_name="Khách hàng")
    first, second = make.cooperative(), make.cooperative()
    make.commit()
    response = client.post(
        f"/admin/users/{customer.id}/edit",
        data={
            "full_name": "Quản lý mới",
            "phone": "0912 345 678",
            "role": "cooperative_manager",
            "active": "y",
            "agency": "0",
            "cooperatives": [str(first.id), str(second.id)],
        },
    )
    assert response.status_code == 302
    db.session.refresh(customer)
    assert customer.role == Role.COOPERATIVE_MANAGER
    assert {c.id for c in customer.cooperatives} == {first.id, second.id}
    assert (customer.full_name, customer.phone) == ("Quản lý mới", "0912345678")

    # Back to customer: the cooperatives must be let go explicitly, and then the access is gone.
    response = client.post(
        f"/admin/users/{customer.id}/edit",
        data={
            "full_name": "Quản lý mới",
            "role": "customer",
            "active": "y",
            "agency": "0",
            "cooperatives": [str(first.id)],
        },
    )
    assert "Only cooperative managers and admins can manage cooperatives." in response.get_data(as_text=True)
    client.post(f"/admin/users/{customer.id}/edit", data={"full_name": "Quản lý", "role": "customer", "agency": "0"})
    db.session.refresh(customer)
    assert customer.role == Role.CUSTOMER and customer.cooperatives == [] and not customer.active
    assert not customer.can_manage(first)


def test_edit_form_shows_current_values(client, admin, make):
    cooperative = make.cooperative(name="HTX Gà đồi Yên Thế")
    manager = make.manager(cooperative)
    make.commit()
    page = client.get(f"/admin/users/{manager.id}/edit").get_data(as_text=True)
    assert '<option selected value="cooperative_manager">' in page
    assert f'<option selected value="{cooperative.id}">' in page


def test_staff_needs_an_agency(client, admin, make):
    customer = make.user()
    make.commit()
    response = client.post(
        f"/admin/users/{customer.id}/edit",
        data={
            "full_name": customer.full_name,
            "role": "agency_staff",
            "active": "y",
            "agency": "0",
        },
    )
    assert response.status_code == 200
    assert "Agency staff must belong to an agency." in response.get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.role == Role.CUSTOMER


def test_manager_needs_a_cooperative(client, admin, make):
    customer = make.user()
    make.commit()
    response = client.post(
        f"/admin/users/{customer.id}/edit",
        data={
            "full_name": customer.full_name,
            "role": "cooperative_manager",
            "active": "y",
            "agency": "0",
        },
    )
    assert "must manage at least one cooperative" in response.get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.role == Role.CUSTOMER


@pytest.mark.parametrize(
    "change, message",
    [
        ({"role": "customer"}, "You cannot remove your own admin role."),
        ({"active": ""}, "You cannot deactivate your own account."),
    ],
)
def test_admin_cannot_demote_or_deactivate_themselves(client, admin, change, message):
    data = {"full_name": "Tên mới", "role": "admin", "active": "y", "agency": "0", **change}
    data = {key: value for key, value in data.items() if value}
    response = client.post(f"/admin/users/{admin.id}/edit", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN and admin.active and admin.full_name == "Quản trị viên"


def test_admin_can_deactivate_someone_else(client, admin, make):
    other = make.admin()
    make.commit()
    client.post(f"/admin/users/{other.id}/edit", data={"full_name": other.full_name, "role": "admin", "agency": "0"})
    db.session.refresh(other)
    assert not other.active


def test_agencies_create_edit_and_refuse_duplicates(client, admin):
    response = client.post("/admin/agencies/new", data={"name": "  Tỉnh đoàn   Bắc Ninh ", "kind": "youth_union"})
    assert response.status_code == 302
    agency = db.session.scalar(select(Agency))
    assert (agency.name, agency.kind) == ("Tỉnh đoàn Bắc Ninh", AgencyKind.YOUTH_UNION)
    assert "Tỉnh đoàn Bắc Ninh" in client.get("/admin/agencies").get_data(as_text=True)
    edit_page = client.get(f"/admin/agencies/{agency.id}/edit").get_data(as_text=True)
    assert '<option selected value="youth_union">' in edit_page

    response = client.post(
        f"/admin/agencies/{agency.id}/edit",
        data={"name": "Liên minh HTX tỉnh Bắc Ninh", "kind": "cooperative_alliance"},
    )
    assert response.status_code == 302
    db.session.refresh(agency)
    assert agency.kind == AgencyKind.COOPERATIVE_ALLIANCE

    response = client.post("/admin/agencies/new", data={"name": "Liên minh HTX tỉnh Bắc Ninh", "kind": "other"})
    assert "An agency with this name already exists." in response.get_data(as_text=True)
    response = client.post("/admin/agencies/new", data={"name": "X", "kind": "secret_police"})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(Agency.id))) == 1
