"""What the checkout shows you pay, the cart's delivery terms, the note about several bank
transfers, and guest orders without an email (the phone is the contact)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.orders import cart as carts
from marketplace.orders import services
from marketplace.orders.models import Order, PartStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.orders.test_views import add, order_count, stock_of, text
from tests.test_bad_input import BAD_TEXT, SCRIPT, TEXT_TYPES, assert_sound, baseline, read_form

BANK = {"bank_bin": "970436", "bank_account_name": "HTX"}


@pytest.fixture
def shop(app):
    """Lychees (30.000 ₫ home delivery, free from 500.000 ₫, pickup, a booth at a fair on now)
    and honey (25.000 ₫, no pickup); both take bank transfers."""
    lychee_coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        free_delivery_from_vnd=500_000,
        offers_pickup=True,
        bank_account_number="0011001234567",
        **BANK,
    )
    honey_coop = f.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        offers_pickup=False,
        bank_account_number="0011007654321",
        **BANK,
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=999, slug="vai-say")
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=999, slug="mat-ong-rung")
    booth = f.booth(f.fair("Hội chợ OCOP Bắc Ninh"), lychee_coop, number="A12")
    manager = f.manager(honey_coop, email="quanly.matong@example.vn")
    f.commit()
    return type("Shop", (), locals())


CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "bank_transfer",
}


def amount(page: str, attribute: str) -> int:
    """The whole đồng the page shows in the element carrying `attribute` ('data-total="total"')."""
    found = re.search(re.escape(attribute) + r">([^<]*)<", page)
    assert found, attribute
    return int(re.sub(r"\D", "", found.group(1)))


# Two lychee (240.000 ₫) and one honey (250.000 ₫): 490.000 ₫ of items.
# (lychee's choice, honey's choice) -> (lychee's fee, honey's fee)
CHOICES = {
    "home everywhere": (("home", "home"), (30_000, 25_000)),
    "lychees picked up": (("pickup", "home"), (0, 25_000)),
    "lychees at the fair booth": (("booth", "home"), (0, 25_000)),
}


def form_value(shop, choice: str) -> str:
    return f"fair_booth-{shop.booth.id}" if choice == "booth" else choice


# --- the figures (service level) --------------------------------------------------------------


@pytest.mark.parametrize("case", CHOICES)
def test_cart_totals_are_what_place_order_charges(shop, case):
    (lychee_choice, honey_choice), (lychee_fee, honey_fee) = CHOICES[case]
    session = {carts.SESSION_KEY: {str(shop.lychee.id): [2, 120_000], str(shop.honey.id): [1, 250_000]}}
    cart = carts.load_cart(None, session)
    chosen = {shop.lychee_coop.id: form_value(shop, lychee_choice), shop.honey_coop.id: honey_choice}

    totals = cart.totals(chosen)

    by_coop = {t.group.cooperative.id: t for t in totals.groups}
    assert (by_coop[shop.lychee_coop.id].fee_vnd, by_coop[shop.honey_coop.id].fee_vnd) == (lychee_fee, honey_fee)
    assert by_coop[shop.lychee_coop.id].total_vnd == 240_000 + lychee_fee
    assert (totals.items_total_vnd, totals.delivery_total_vnd) == (490_000, lychee_fee + honey_fee)
    order = services.place_order(
        [(shop.lychee.id, 2), (shop.honey.id, 1)],
        f.checkout(
            delivery={
                shop.lychee_coop.id: "fair_booth" if lychee_choice == "booth" else lychee_choice,
                shop.honey_coop.id: honey_choice,
            },
            booths={shop.lychee_coop.id: shop.booth.id} if lychee_choice == "booth" else {},
        ),
    )
    assert order.total_vnd == totals.total_vnd == 490_000 + lychee_fee + honey_fee
    assert {p.cooperative_id: p.total_vnd for p in order.parts} == {cid: t.total_vnd for cid, t in by_coop.items()}


def test_home_delivery_is_free_from_the_threshold_and_an_unknown_choice_counts_as_home(shop):
    cart = carts.load_cart(None, {carts.SESSION_KEY: {str(shop.lychee.id): [5, 120_000]}})  # 600.000 ₫

    assert cart.totals().delivery_total_vnd == 0
    assert cart.totals({shop.lychee_coop.id: "drone"}).groups[0].option.value == "home"


# --- the checkout page ------------------------------------------------------------------------


def test_checkout_shows_each_cooperatives_fee_and_total_and_the_grand_total(client, shop):
    add(client, shop.lychee, 2)
    add(client, shop.honey, 1)

    page = text(client.get("/checkout"))

    assert amount(page, f'data-group-fee="{shop.lychee_coop.id}"') == 30_000
    assert amount(page, f'<strong data-group-total="{shop.lychee_coop.id}"') == 270_000
    assert amount(page, f'data-group-fee="{shop.honey_coop.id}"') == 25_000
    assert amount(page, f'<strong data-group-total="{shop.honey_coop.id}"') == 275_000
    assert (amount(page, 'data-total="items"'), amount(page, 'data-total="delivery"')) == (490_000, 55_000)
    assert amount(page, 'data-total="total"') == 545_000
    assert "Tổng thanh toán" in page and "545.000\xa0₫" in page  # formatted as the rest of the site
    assert 'data-fee-vnd="30000"' in page and 'data-fee-vnd="0"' in page  # each option's fee, for the script
    assert "Phí giao hàng của từng hợp tác xã được cộng" not in page  # the old sentence
    assert 'name="recalculate"' in page and "Cập nhật tổng tiền" in page


@pytest.mark.parametrize("case", CHOICES)
def test_update_total_shows_the_choice_places_nothing_and_equals_the_placed_total(client, shop, outbox, case):
    (lychee_choice, honey_choice), (lychee_fee, honey_fee) = CHOICES[case]
    add(client, shop.lychee, 2)
    add(client, shop.honey, 1)
    data = {
        **CONTACT,
        f"delivery-{shop.lychee_coop.id}": form_value(shop, lychee_choice),
        f"delivery-{shop.honey_coop.id}": honey_choice,
    }

    recalculated = client.post("/checkout", data={**data, "recalculate": "Cập nhật tổng tiền"})

    page = text(recalculated)
    assert recalculated.status_code == 200
    shown = amount(page, 'data-total="total"')
    assert shown == 490_000 + lychee_fee + honey_fee
    assert amount(page, f'data-group-fee="{shop.lychee_coop.id}"') == lychee_fee
    assert f'value="{form_value(shop, lychee_choice)}" data-fee-vnd="{lychee_fee}" checked' in page
    assert 'value="Nguyễn Thị Lan"' in page and 'value="Số 12, thôn Đồng Cốc"' in page  # typed fields kept
    assert order_count() == 0 and stock_of(shop.lychee) == 999 and outbox == []

    placed = client.post("/checkout", data=data)

    order = db.session.scalar(sa.select(Order))
    assert placed.status_code == 302 and order.total_vnd == shown


def test_update_total_with_fields_still_empty_shows_no_errors(client, shop):
    add(client, shop.lychee)

    response = client.post("/checkout", data={"recalculate": "1", f"delivery-{shop.lychee_coop.id}": "pickup"})

    assert response.status_code == 200
    page = text(response)
    assert 'class="field-error"' not in page and 'role="alert"' not in page
    assert amount(page, 'data-total="total"') == 120_000
    assert order_count() == 0


def test_bank_transfer_to_two_cooperatives_says_two_transfers_with_each_amount(client, shop):
    add(client, shop.lychee, 2)
    add(client, shop.honey, 1)

    page = text(
        client.post("/checkout", data={**CONTACT, f"delivery-{shop.lychee_coop.id}": "pickup", "recalculate": "1"})
    )

    note = page.split('id="transfer-split"')[1].split("</div>")[0]
    assert "2 lần chuyển khoản riêng" in note
    assert "HTX Vải thiều Lục Ngạn" in note and "HTX Mật ong Sóc Sơn" in note
    assert amount(note, f'data-group-total="{shop.lychee_coop.id}"') == 240_000
    assert amount(note, f'data-group-total="{shop.honey_coop.id}"') == 275_000
    option = re.search(r'<input[^>]*value="bank_transfer"[^>]*>', page).group(0)
    assert 'aria-describedby="transfer-split"' in option


def test_no_transfer_note_for_one_cooperative_or_without_bank_transfer(app, client, shop):
    add(client, shop.lychee)
    assert 'id="transfer-split"' not in text(client.get("/checkout"))

    other = app.test_client()
    shop.honey_coop.bank_account_number = None  # no bank transfer for this pair of cooperatives
    f.commit()
    add(other, shop.lychee)
    add(other, shop.honey)
    page = text(other.get("/checkout"))
    assert 'value="bank_transfer"' not in page and 'id="transfer-split"' not in page


# --- the cart ---------------------------------------------------------------------------------


def test_cart_states_each_cooperatives_delivery_terms(client, shop):
    add(client, shop.lychee, 2)
    page = text(add(client, shop.honey, 1))

    assert "Giao tận nhà 30.000\xa0₫, miễn phí từ 500.000\xa0₫" in page
    assert "Nhận tại hợp tác xã: miễn phí" in page
    assert "Giao tận nhà 25.000\xa0₫" in page
    assert "Mua thêm 260.000\xa0₫ để được miễn phí giao hàng." in page
    assert "cách giao hàng chọn khi đặt hàng" not in page
    total = page.split("cart-total-heading")[2]
    assert "545.000\xa0₫" in total  # items and home delivery, what checkout starts with


def test_cart_says_when_home_delivery_is_already_free(client, shop):
    page = text(add(client, shop.lychee, 5))

    assert "Đơn này được giao tận nhà miễn phí." in page


# --- guests without an email ------------------------------------------------------------------


def test_guest_order_without_email_is_placed_found_by_phone_and_sends_no_confirmation(app, client, shop, outbox):
    add(client, shop.lychee)
    add(client, shop.honey)

    response = client.post("/checkout", data=CONTACT)

    order = db.session.scalar(sa.select(Order))
    assert response.status_code == 302 and order.contact_email == ""
    assert [m["To"] for m in outbox] == ["quanly.matong@example.vn"]  # the honey cooperative's notice only
    page = text(client.get(response.location))
    assert order.number in page and "0912 345 678" in page
    assert "<dt>Email</dt>" not in page

    lookup = app.test_client()
    found = lookup.post("/orders/lookup", data={"number": order.number, "contact": "0912345678"})
    assert found.status_code == 302 and order.tracking_token in found.location
    assert services.find_guest_order(order.number, "") is None
    assert services.find_guest_order(order.number, "@") is None
    assert services.find_guest_order(order.number, " ") is None


def test_the_cooperative_still_hears_of_it_and_status_changes_email_nobody(app, client, shop, outbox):
    add(client, shop.honey)
    client.post("/checkout", data=CONTACT)
    order = db.session.scalar(sa.select(Order))
    assert [m["To"] for m in outbox] == ["quanly.matong@example.vn"]
    outbox.clear()

    manager = app.test_client()
    sign_in(manager, shop.manager)
    response = manager.post(
        f"/workspace/{shop.honey_coop.slug}/orders/{order.parts[0].id}/status", data={"status": "confirmed"}
    )

    db.session.expire_all()
    assert response.status_code == 302 and order.parts[0].status == PartStatus.CONFIRMED
    assert outbox == []
    workspace_page = text(manager.get(f"/workspace/{shop.honey_coop.slug}/orders/{order.parts[0].id}"))
    assert "mailto:" not in workspace_page


def test_an_email_that_is_given_is_still_checked_and_used(client, shop, outbox):
    add(client, shop.lychee)

    refused = client.post("/checkout", data={**CONTACT, "email": "lan@"})

    assert refused.status_code == 422 and 'id="email-error"' in text(refused)
    assert "Hãy nhập địa chỉ email hợp lệ." in text(refused)
    assert order_count() == 0
    with pytest.raises(Refused) as error:
        services.place_order([(shop.lychee.id, 1)], f.checkout(email="lan@example"))
    assert error.value.field == "email"

    placed = client.post("/checkout", data={**CONTACT, "email": " Lan@Example.vn "})
    assert placed.status_code == 302
    assert db.session.scalar(sa.select(Order.contact_email)) == "lan@example.vn"
    assert [m["To"] for m in outbox] == ["lan@example.vn"]


def test_an_email_longer_than_an_address_can_be_is_refused_next_to_the_field(client, shop):
    add(client, shop.lychee)
    too_long = "lan" * 21 + "@" + ".".join(["rau-sach-" * 6 + "viet"] * 4) + ".vn"  # 302 characters, each part valid

    refused = client.post("/checkout", data={**CONTACT, "email": too_long})

    assert len(too_long) > 254
    assert refused.status_code == 422 and 'id="email-error"' in text(refused)
    assert "Hãy nhập địa chỉ email hợp lệ." in text(refused) and order_count() == 0


def test_checkout_says_the_email_is_optional_and_keeps_a_customers_email(client, shop):
    add(client, shop.lychee)
    page = text(client.get("/checkout"))
    assert "Email (không bắt buộc)" in page and "chỉ cần số điện thoại" in page

    customer = f.user(email="khach@example.vn", phone="0987654321")
    f.commit()
    sign_in(client, customer)
    add(client, shop.lychee)
    assert 'value="khach@example.vn"' in text(client.get("/checkout"))


# --- the API ----------------------------------------------------------------------------------


def api_body(shop, contact):
    return {
        "items": [{"product_id": shop.lychee.id, "quantity": 1}],
        "contact": contact,
        "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 1"},
        "payment_method": "cod",
    }


@pytest.mark.parametrize("email", ["left out", None, ""])
def test_api_order_without_email(client, shop, outbox, email):
    contact = {"name": "Nguyễn Thị Lan", "phone": "0912 345 678"}
    if email != "left out":
        contact["email"] = email

    response = client.post("/api/v1/orders", json=api_body(shop, contact))

    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(sa.select(Order.contact_email)) == ""
    assert outbox == []
    assert response.get_json()["total_vnd"] == 120_000 + 30_000


@pytest.mark.parametrize(("email", "reason"), [("lan", None), (5, "must be a string")])
def test_api_refuses_a_bad_email(client, shop, email, reason):
    body = api_body(shop, {"name": "Lan", "phone": "0912345678", "email": email})

    response = client.post("/api/v1/orders", json=body)

    assert response.status_code == 400
    details = response.get_json()["details"]
    assert list(details) == ["contact.email"] and (reason is None or details["contact.email"] == reason)
    assert order_count() == 0


def test_openapi_says_the_email_is_optional(client):
    contact = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["OrderRequest"]["properties"][
        "contact"
    ]

    assert contact["required"] == ["name", "phone"]
    assert "Optional" in contact["properties"]["email"]["description"]


# --- bad input, with the email left empty -------------------------------------------------------


def _cases(form):
    """(field, label, value) as tests/test_bad_input.fuzz_form tries them."""
    for field in form["fields"]:
        name = field["name"]
        if name == "csrf_token":
            continue
        if field["type"] in TEXT_TYPES or field["type"] in ("textarea", "hidden"):
            for label, value in BAD_TEXT.items():
                yield name, label, value
        elif field["type"] == "select":
            for value in ("999999", "", "-1", SCRIPT):
                yield name, repr(value), value
        elif field["type"] in ("checkbox", "radio"):
            yield name, "script", SCRIPT


@pytest.mark.parametrize("recalculate", [False, True], ids=["place", "update total"])
def test_checkout_form_fuzzed_with_the_email_left_empty(app, shop, recalculate):
    """Each field in turn gets bad input while the others keep sensible values and the email
    stays empty; the cart is filled again whenever an order took it. Never a 500 nor unescaped
    HTML; "Update total" never places anything; what is placed has no email or a valid one."""
    guest = app.test_client()
    add(guest, shop.lychee)
    add(guest, shop.honey)
    form = read_form(guest, "/checkout", "/checkout")
    valid = {**CONTACT, **({"recalculate": "1"} if recalculate else {})}
    posts = 0
    for name, label, value in [(None, "as filled", None), *_cases(form)]:
        if not carts.load_cart(None, _session_of(guest)).groups:
            add(guest, shop.lychee)
        data = baseline(form, valid)
        if name is not None:
            data[name] = value
        response = guest.post("/checkout", data=data, follow_redirects=True)
        assert_sound(response, f"/checkout {name}={label}")
        posts += 1
    assert posts > 60  # 5 text fields x 10, 2 selects x 4, each radio
    emails = db.session.scalars(sa.select(Order.contact_email)).all()
    if recalculate:
        assert emails == []
    else:
        assert "" in emails and set(emails) <= {""}  # bad emails were refused, never stored


def _session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)
