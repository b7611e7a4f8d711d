"""Saved addresses: the services (one default, validation, the cap), the "My addresses" pages
with their access control, and checkout filling in and saving addresses."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.accounts import addresses
from marketplace.accounts.addresses import AddressData
from marketplace.accounts.models import SavedAddress, User
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests import factories as f
from tests.accounts.conftest import use_english
from tests.cooperatives.helpers import sign_in
from tests.test_bad_input import client_of, fuzz_form, world  # noqa: F401

HANOI_WARD = geo.wards(f.HA_NOI)[0][0]


def data(**fields) -> AddressData:
    values = {
        "label": "Nhà",
        "recipient_name": "Nguyễn Thị Lan",
        "phone": "+84 912 345 678",
        "province_code": f.BAC_NINH,
        "ward_code": f.LUC_NGAN,
        "street": "Số 12, thôn Đồng Cốc",
    }
    values.update(fields)
    return AddressData(**values)


def saved(user) -> list[tuple[str, bool]]:
    """(street, is default) of the user's addresses as stored, oldest first."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(SavedAddress.street, SavedAddress.is_default)
        .where(SavedAddress.user_id == user.id)
        .order_by(SavedAddress.id)
    )
    return [tuple(row) for row in rows]


def text(response) -> str:
    return response.get_data(as_text=True)


# --- services ----------------------------------------------------------------------------------


def test_first_address_is_the_default_and_the_phone_is_normalised(app, make):
    customer = make.user()

    home = addresses.add_address(customer, data())
    office = addresses.add_address(customer, data(label="Cơ quan", street="Toà nhà B"))

    assert (home.is_default, office.is_default) == (True, False)
    assert home.phone == "0912345678"
    assert home.address == f"Số 12, thôn Đồng Cốc, {geo.ward_name(f.LUC_NGAN)}, {geo.province_name(f.BAC_NINH)}"
    assert addresses.default_address(customer) is home
    assert [a.street for a in addresses.addresses_of(customer)] == ["Số 12, thôn Đồng Cốc", "Toà nhà B"]


def test_one_default_at_a_time_whichever_is_chosen(app, make):
    customer = make.user()
    first = addresses.add_address(customer, data(street="Một"))
    second = addresses.add_address(customer, data(street="Hai"))
    third = addresses.add_address(customer, data(street="Ba"), make_default=True)
    f.commit()
    assert saved(customer) == [("Một", False), ("Hai", False), ("Ba", True)]

    addresses.set_default(first)  # an id lower than the current default's
    f.commit()
    assert saved(customer) == [("Một", True), ("Hai", False), ("Ba", False)]

    addresses.edit_address(second, data(street="Hai mới"), make_default=True)
    f.commit()
    assert saved(customer) == [("Một", False), ("Hai mới", True), ("Ba", False)]
    assert third.is_default is False


def test_the_database_refuses_a_second_default(app, make):
    customer = make.user()
    addresses.add_address(customer, data())
    f.commit()

    db.session.add(
        SavedAddress(
            user_id=customer.id,
            recipient_name="X",
            phone="0912345678",
            province_code=f.BAC_NINH,
            ward_code=f.LUC_NGAN,
            street="Khác",
            is_default=True,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_deleting_the_default_makes_the_oldest_remaining_one_the_default(app, make):
    customer, other = make.user(), make.user()
    first = addresses.add_address(customer, data(street="Một"))
    addresses.add_address(customer, data(street="Hai"))
    third = addresses.add_address(customer, data(street="Ba"), make_default=True)
    addresses.add_address(other, data(street="Của người khác"))
    f.commit()

    addresses.delete_address(third)
    f.commit()
    assert saved(customer) == [("Một", True), ("Hai", False)]

    addresses.delete_address(first)
    addresses.delete_address(addresses.addresses_of(customer)[0])
    f.commit()
    assert saved(customer) == []
    assert saved(other) == [("Của người khác", True)]


@pytest.mark.parametrize(
    "field, value",
    [
        ("label", "x" * 41),
        ("recipient_name", "   "),
        ("recipient_name", "ạ" * 121),
        ("phone", "024 3825 1234"),  # a landline
        ("phone", ""),
        ("province_code", 999_999),
        ("province_code", "abc"),
        ("province_code", "9" * 40),
        ("ward_code", HANOI_WARD),  # a ward of another province
        ("ward_code", None),
        ("street", ""),
        ("street", "x" * 201),
    ],
)
def test_bad_values_are_refused_by_name_and_nothing_is_kept(app, make, field, value):
    customer = make.user()
    home = addresses.add_address(customer, data(street="Cũ"))
    f.commit()

    with pytest.raises(Refused) as refused:
        addresses.add_address(customer, data(**{field: value}))
    assert refused.value.field == field
    db.session.rollback()
    with pytest.raises(Refused) as refused:
        addresses.edit_address(home, data(**{field: value}))
    assert refused.value.field == field
    db.session.rollback()
    assert saved(customer) == [("Cũ", True)]


def test_a_customer_keeps_at_most_ten_addresses(app, make):
    customer = make.user()
    for n in range(addresses.MAX_ADDRESSES):
        addresses.add_address(customer, data(street=f"Số {n}"))

    assert not addresses.can_add(customer)
    with pytest.raises(Refused):
        addresses.add_address(customer, data(street="Số 11"))
    assert addresses.remember_address(customer, data(street="Số 12")) is None
    assert len(saved(customer)) == addresses.MAX_ADDRESSES


def test_remembering_an_address_skips_one_already_kept(app, make):
    customer = make.user()
    addresses.add_address(customer, data(label="Nhà"))

    assert (
        addresses.remember_address(customer, data(label="", phone="0912.345.678", street="số 12, Thôn Đồng Cốc"))
        is None
    )
    kept = addresses.remember_address(customer, data(label="", street="Số 14"))
    assert kept is not None and not kept.is_default
    assert addresses.remember_address(customer, data(phone="not a phone")) is None
    assert len(saved(customer)) == 2


def test_another_customers_address_is_not_found(app, make):
    customer, other = make.user(), make.user()
    theirs = addresses.add_address(other, data())

    assert addresses.address_of(customer, theirs.id) is None
    assert addresses.address_of(other, str(theirs.id)) is theirs
    assert addresses.address_of(other, "9" * 40) is None
    assert addresses.address_of(other, None) is None


def test_deleting_a_user_deletes_their_addresses(app, make):
    customer = make.user()
    addresses.add_address(customer, data())
    f.commit()

    db.session.execute(sa.delete(User).where(User.id == customer.id))
    f.commit()
    assert db.session.scalar(sa.select(sa.func.count(SavedAddress.id))) == 0


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture
def customer(app, make):
    user = make.user(email="khach@example.vn", full_name="Lê Thị Hoa", phone="0987654321")
    make.commit()
    return user


@pytest.fixture
def browser_of(app):
    def signed_in(user):
        client = app.test_client()
        sign_in(client, user)
        use_english(client)
        return client

    return signed_in


FORM = {
    "label": "Nhà",
    "recipient_name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
}


def test_address_pages_need_a_signed_in_customer(client, customer):
    for url in ("/account/addresses", "/account/addresses/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.location
    assert client.post("/account/addresses/new", data=FORM).status_code == 302
    assert saved(customer) == []


def test_adding_listing_and_choosing_the_default(browser_of, customer):
    client = browser_of(customer)

    empty = text(client.get("/account/addresses"))
    assert "You have no saved addresses yet" in empty
    form = text(client.get("/account/addresses/new"))
    assert 'value="Lê Thị Hoa"' in form and 'value="0987654321"' in form  # the account's own details to start from

    assert "Your first address becomes your default." in form and 'name="is_default"' not in form
    response = client.post("/account/addresses/new", data=FORM, follow_redirects=True)
    assert "The address has been saved." in text(response)
    assert 'name="is_default"' in text(client.get("/account/addresses/new"))
    client.post("/account/addresses/new", data={**FORM, "label": "Cơ quan", "street": "Toà nhà B"})
    page = text(client.get("/account/addresses"))
    assert page.index("Nhà") < page.index("Default") < page.index("Cơ quan")
    assert "0912 345 678" in page and geo.ward_name(f.LUC_NGAN) in page

    office = addresses.addresses_of(customer)[1]
    client.post(f"/account/addresses/{office.id}/default", follow_redirects=True)
    assert saved(customer) == [("Số 12, thôn Đồng Cốc", False), ("Toà nhà B", True)]
    page = text(client.get("/account/addresses"))
    assert page.index("Cơ quan") < page.index("Default") < page.index("Nhà")


def test_editing_keeps_the_form_on_bad_input_and_saves_good_input(browser_of, customer):
    home = addresses.add_address(customer, data())
    f.commit()
    client = browser_of(customer)

    page = text(client.get(f"/account/addresses/{home.id}/edit"))
    assert 'value="Số 12, thôn Đồng Cốc"' in page
    assert re.search(rf'<option selected value="{f.LUC_NGAN}">', page)  # the ward list of its province, its ward chosen
    assert "This is your default address." in page

    bad = client.post(
        f"/account/addresses/{home.id}/edit", data={**FORM, "ward_code": str(HANOI_WARD), "street": "Mới"}
    )
    assert bad.status_code == 422
    assert "Choose a ward or commune of that province." in text(bad)
    bad = client.post(f"/account/addresses/{home.id}/edit", data={**FORM, "phone": "12345", "street": "Mới"})
    assert bad.status_code == 422 and "Enter a Vietnamese mobile number" in text(bad)
    assert saved(customer) == [("Số 12, thôn Đồng Cốc", True)]

    good = client.post(f"/account/addresses/{home.id}/edit", data={**FORM, "street": "Số 99"})
    assert good.status_code == 302
    assert saved(customer) == [("Số 99", True)]


def test_bad_input_on_a_new_address_is_explained_and_nothing_kept(browser_of, customer):
    client = browser_of(customer)

    for field, value, message in [
        ("recipient_name", "", "Enter the recipient"),
        ("province_code", "", "Choose a province."),
        ("ward_code", "", "Choose a ward or commune of that province."),
        ("street", "x" * 201, "The street address is too long."),
        ("label", "x" * 41, "The label is too long."),
    ]:
        response = client.post("/account/addresses/new", data={**FORM, field: value})
        assert response.status_code == 422, field
        assert message in text(response), field
    assert saved(customer) == []


def test_deleting_asks_first_and_the_next_one_becomes_default(browser_of, customer):
    home = addresses.add_address(customer, data(street="Một"))
    addresses.add_address(customer, data(street="Hai"))
    f.commit()
    client = browser_of(customer)

    page = text(client.get("/account/addresses"))
    assert "Delete this address?" in page and f'action="/account/addresses/{home.id}/delete"' in page
    client.post(f"/account/addresses/{home.id}/delete")
    assert saved(customer) == [("Hai", True)]


def test_another_customers_address_is_a_404_and_stays_as_it_was(browser_of, customer, make):
    other = make.user()
    theirs = addresses.add_address(other, data(street="Của Minh"))
    addresses.add_address(other, data(street="Thứ hai"))
    f.commit()
    client = browser_of(customer)

    assert client.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/edit", data=FORM).status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/delete").status_code == 404
    second = addresses.addresses_of(other)[1]
    assert client.post(f"/account/addresses/{second.id}/default").status_code == 404
    assert client.get("/account/addresses/99999999999999999999/edit").status_code == 404
    assert saved(other) == [("Của Minh", True), ("Thứ hai", False)]
    assert "Của Minh" not in text(client.get("/account/addresses"))


def test_the_eleventh_address_is_refused_with_a_message(browser_of, customer):
    for n in range(addresses.MAX_ADDRESSES):
        addresses.add_address(customer, data(street=f"Số {n}"))
    f.commit()
    client = browser_of(customer)

    response = client.post("/account/addresses/new", data=FORM, follow_redirects=True)
    assert "You can keep at most 10 addresses" in text(response)
    assert "Add an address" not in text(client.get("/account/addresses"))
    assert len(saved(customer)) == addresses.MAX_ADDRESSES


def test_the_profile_page_and_the_account_menu_link_to_the_addresses(browser_of, customer, client):
    signed_in = browser_of(customer)
    assert re.search(r'<a href="/account/addresses">Manage my addresses</a>', text(signed_in.get("/account/profile")))
    assert re.search(r'<li><a href="/account/addresses">My addresses</a></li>', text(signed_in.get("/")))
    assert "/account/addresses" not in text(client.get("/"))  # not for visitors


# --- checkout ----------------------------------------------------------------------------------


@pytest.fixture
def product(app, make):
    item = make.product(make.cooperative(slug="vai-thieu"), name="Vải thiều sấy", price_vnd=120_000, stock=10)
    make.commit()
    return item


def checkout_page(client, product, query="") -> str:
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    response = client.get("/checkout" + query)
    assert response.status_code == 200
    return text(response)


def test_checkout_fills_in_the_default_address(browser_of, customer, product):
    addresses.add_address(customer, data(recipient_name="Người nhận", phone="0912345678", street="Số 12"))
    f.commit()

    page = checkout_page(browser_of(customer), product)

    assert 'value="Người nhận"' in page and 'value="0912 345 678"' in page and 'value="Số 12"' in page
    assert 'value="khach@example.vn"' in page  # the email stays the account's
    assert re.search(rf'<option selected value="{f.BAC_NINH}">', page)
    assert re.search(rf'<option selected value="{f.LUC_NGAN}">', page)
    assert "Use this address" not in page  # only one: nothing to choose


def test_checkout_offers_the_others_and_never_another_customers(browser_of, customer, product, make):
    addresses.add_address(customer, data(label="Nhà", street="Số 12"))
    office = addresses.add_address(
        customer, data(label="Cơ quan", province_code=f.HA_NOI, ward_code=HANOI_WARD, street="Toà nhà B")
    )
    theirs = addresses.add_address(make.user(), data(label="Bí mật", street="Nhà người khác"))
    f.commit()
    client = browser_of(customer)

    page = checkout_page(client, product)
    assert 'value="Số 12"' in page
    assert f'href="/checkout?address={office.id}"' in page

    page = checkout_page(client, product, f"?address={office.id}")
    assert 'value="Toà nhà B"' in page
    assert re.search(rf'<option selected value="{HANOI_WARD}">', page)

    for query in (f"?address={theirs.id}", "?address=abc", "?address=" + "9" * 40):
        page = checkout_page(client, product, query)
        assert 'value="Số 12"' in page and "Nhà người khác" not in page and "Bí mật" not in page


def test_a_buy_now_checkout_keeps_buying_now_with_another_address(browser_of, customer, product):
    addresses.add_address(customer, data(street="Số 12"))
    office = addresses.add_address(customer, data(label="Cơ quan", street="Toà nhà B"))
    f.commit()
    client = browser_of(customer)

    client.post("/buy-now", data={"product_id": product.id, "quantity": 2})
    page = text(client.get("/checkout?buy_now=1"))
    link = re.search(rf'href="(/checkout\?[^"]*address={office.id}[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "buy_now=1" in link

    page = text(client.get(link))
    assert 'value="Toà nhà B"' in page and "Vải thiều sấy" in page
    assert not text(client.get("/cart")).count("Vải thiều sấy")  # the cart is left as it was: empty


def test_guests_get_no_address_book(client, product):
    page = checkout_page(client, product)
    assert "save_address" not in page and "Use this address" not in page


ORDER = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "khach@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "cod",
}


def place(client, product, **fields):
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    response = client.post("/checkout", data={**ORDER, **fields})
    assert response.status_code == 302, text(response)
    return response


def test_placing_an_order_saves_its_address_when_asked(browser_of, customer, product):
    client = browser_of(customer)
    page = checkout_page(client, product)
    assert re.search(r'<input type="checkbox" id="save_address" name="save_address" value="1" checked>', page)

    place(client, product, save_address="1")
    assert saved(customer) == [("Số 12, thôn Đồng Cốc", True)]
    home = addresses.addresses_of(customer)[0]
    assert (home.recipient_name, home.phone, home.ward_code) == ("Nguyễn Thị Lan", "0912345678", f.LUC_NGAN)

    place(client, product, save_address="1")  # the same address again: kept once
    place(client, product, street="Số 40", save_address="1")  # a new one: kept, not the default
    place(client, product, street="Số 50")  # not ticked: not kept
    assert saved(customer) == [("Số 12, thôn Đồng Cốc", True), ("Số 40", False)]
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 4


def test_the_order_stands_when_its_address_cannot_be_saved(browser_of, customer, product, monkeypatch):
    addresses.add_address(customer, data(street="Cũ"))
    f.commit()

    def two_defaults(user, _data):
        db.session.add(
            SavedAddress(
                user_id=user.id,
                recipient_name="X",
                phone="0912345678",
                province_code=f.BAC_NINH,
                ward_code=f.LUC_NGAN,
                street="Hỏng",
                is_default=True,
            )
        )
        db.session.flush()

    monkeypatch.setattr(addresses, "remember_address", two_defaults)
    place(browser_of(customer), product, street="Số 40", save_address="1")

    assert db.session.scalar(sa.select(Order.street).where(Order.user_id == customer.id)) == "Số 40"
    assert saved(customer) == [("Cũ", True)]


def test_a_refused_order_saves_no_address_and_keeps_the_box_as_ticked(browser_of, customer, product):
    client = browser_of(customer)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})

    ticked = client.post("/checkout", data={**ORDER, "phone": "123", "save_address": "1"})
    unticked = client.post("/checkout", data={**ORDER, "phone": "123"})

    assert ticked.status_code == unticked.status_code == 422
    assert 'name="save_address" value="1" checked' in text(ticked)
    assert 'name="save_address" value="1">' in text(unticked)
    assert saved(customer) == []


# --- bad input ---------------------------------------------------------------------------------


def test_address_forms_survive_bad_input(app, world):  # noqa: F811 - the fixture
    customer = world["customer"]
    home = addresses.add_address(customer, data(street="Số 1"))
    addresses.add_address(customer, data(street="Số 2"))
    f.commit()
    client = client_of(app, customer)
    valid = {
        "recipient_name": "Nguyễn Thị Lan",
        "phone": "0912345678",
        "province_code": str(f.BAC_NINH),
        "ward_code": str(f.LUC_NGAN),
        "street": "Số {n}",
    }

    assert fuzz_form(client, "/account/addresses/new", "/account/addresses/new", valid) > 40
    fuzz_form(client, f"/account/addresses/{home.id}/edit", "/edit")
    fuzz_form(client, "/account/addresses", "/default")
    fuzz_form(client, "/account/addresses", "/delete")
    client.post("/cart/add", data={"product_id": world["product"].id, "quantity": "1"})
    fuzz_form(client, "/checkout", "/checkout", {"email": "khach@example.vn", "save_address": "1"})

    stored = addresses.addresses_of(customer)
    assert 1 <= len(stored) <= addresses.MAX_ADDRESSES
    assert sum(a.is_default for a in stored) == 1
    assert all(geo.ward_belongs_to(a.ward_code, a.province_code) and a.street.strip() for a in stored)
