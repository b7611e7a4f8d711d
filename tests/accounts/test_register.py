from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from tests.accounts.conftest import use_english

GOOD = {
    "email": "Lan.Nguyen@Example.VN",
    "full_name": "Nguyễn Thị Lan",
    "phone": "+84 912 345 678",
    "password": "mot-mat-khau-dai",
    "confirm": "mot-mat-khau-dai",
}


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_register_page_shows_the_form(client):
    response = client.get("/account/register")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)


def test_register_creates_a_signed_in_customer(client):
    response = client.post("/account/register", data=GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = db.session.scalar(select(User))
    assert user.email == "lan.nguyen@example.vn"
    assert user.full_name == "Nguyễn Thị Lan"
    assert user.phone == "0912345678"
    assert user.role == Role.CUSTOMER
    assert user.check_password("mot-mat-khau-dai")
    # Signed in: the profile opens without a redirect to the sign-in page.
    assert client.get("/account/profile").status_code == 200


def test_register_without_phone(client):
    client.post("/account/register", data={**GOOD, "phone": ""})
    assert db.session.scalar(select(User.phone)) is None


def test_register_follows_a_safe_next(client):
    response = client.post("/account/register?next=/cooperatives", data={**GOOD, "next": "/cooperatives"})
    assert response.headers["Location"] == "/cooperatives"


def test_register_ignores_an_offsite_next(client):
    response = client.post("/account/register", data={**GOOD, "next": "https://evil.com/"})
    assert response.headers["Location"] == "/"


def test_duplicate_email_in_other_case_is_refused(client, make):
    make.user(email="lan.nguyen@example.vn")
    make.commit()
    use_english(client)
    response = client.post("/account/register", data=GOOD)
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.get_data(as_text=True)
    assert user_count() == 1


def test_bad_input_creates_nobody(client):
    use_english(client)
    cases = {
        "phone": ({"phone": "0241234567"}, "Enter a Vietnamese mobile number"),
        "short password": ({"password": "short", "confirm": "short"}, "at least 10 characters"),
        "mismatch": ({"confirm": "another-password"}, "The passwords do not match."),
        "bad email": ({"email": "not-an-email"}, "Enter a valid email address."),
        "no name": ({"full_name": "  "}, "This field is required."),
    }
    for name, (change, message) in cases.items():
        response = client.post("/account/register", data={**GOOD, **change})
        assert response.status_code == 200, name
        assert message in response.get_data(as_text=True), name
    assert user_count() == 0


def test_signed_in_users_are_sent_home(client, make):
    user = make.user()
    make.commit()
    client.post("/account/login", data={"email": user.email, "password": make.PASSWORD})
    assert client.get("/account/register").status_code == 302
