import pytest

from marketplace.extensions import db
from tests.accounts.conftest import sign_in, use_english
from tests.factories import PASSWORD


@pytest.fixture
def lan(make, client):
    user = make.user(email="lan@example.vn", full_name="Trần Thị Lan", phone="0912345678")
    make.commit()
    use_english(client)
    sign_in(client, user.email)
    return user


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.post("/account/profile", data={"full_name": "X"}).status_code == 302


def test_profile_shows_role_agency_and_cooperatives(client, make):
    cooperative = make.cooperative(name="HTX Vải thiều Lục Ngạn")
    manager = make.manager(cooperative)
    staff = make.staff(make.agency("Tỉnh đoàn Bắc Ninh"))
    make.commit()
    use_english(client)
    sign_in(client, manager.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Cooperative manager" in page and "HTX Vải thiều Lục Ngạn" in page
    client.post("/account/logout")
    sign_in(client, staff.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Agency staff" in page and "Tỉnh đoàn Bắc Ninh" in page and "Youth Union" in page


def test_edit_name_and_phone(client, lan):
    response = client.post("/account/profile", data={"full_name": "Trần Thị Lan Anh", "phone": "+84 987 654 321"})
    assert response.status_code == 302
    db.session.refresh(lan)
    assert (lan.full_name, lan.phone) == ("Trần Thị Lan Anh", "0987654321")


def test_phone_can_be_removed(client, lan):
    client.post("/account/profile", data={"full_name": "Trần Thị Lan", "phone": ""})
    db.session.refresh(lan)
    assert lan.phone is None


def test_bad_profile_input_changes_nothing(client, lan):
    for data, message in (
        ({"full_name": "", "phone": "0912345678"}, "This field is required."),
        ({"full_name": "Lan", "phone": "12345"}, "Enter a Vietnamese mobile number"),
    ):
        response = client.post("/account/profile", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert (lan.full_name, lan.phone) == ("Trần Thị Lan", "0912345678")


def test_change_password(client, lan):
    new = "mat-khau-moi-dai-hon"
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    db.session.refresh(lan)
    assert lan.check_password(new)


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"current_password": "wrong-password", "password": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"},
            "Your current password is not correct.",
        ),
        ({"current_password": PASSWORD, "password": "short", "confirm": "short"}, "at least 10 characters"),
        (
            {"current_password": PASSWORD, "password": "mat-khau-moi-dai", "confirm": "khac-nhau-hoan-toan"},
            "The passwords do not match.",
        ),
    ],
)
def test_bad_password_change_changes_nothing(client, lan, data, message):
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert lan.check_password(PASSWORD)
