"""Managers set their delivery fee, free-delivery threshold, pickup and bank account on the profile."""

from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in
from tests.cooperatives.test_registration import form_data

URL = "/workspace/htx-mat-ong/profile"
SETTINGS = {
    "delivery_fee_vnd": "25.000",
    "free_delivery_from_vnd": "500000",
    "offers_pickup": "y",
    "bank_bin": "970415",
    "bank_account_number": "1010 2233 4455",
    "bank_account_name": "  Hợp tác xã Mật ong  Sơn Động ",
}


@pytest.fixture
def coop(client, make):
    coop = make.cooperative(
        name="HTX Mật ong Sơn Động",
        slug="htx-mat-ong",
        delivery_fee_vnd=30_000,
        free_delivery_from_vnd=None,
        offers_pickup=False,
        bank_bin="970436",
        bank_account_number="0011223344",
        bank_account_name="HTX MAT ONG",
    )
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    client.get("/lang/en")
    return coop


def saved(coop) -> tuple:
    db.session.expire_all()
    return (
        coop.delivery_fee_vnd,
        coop.free_delivery_from_vnd,
        coop.offers_pickup,
        coop.bank_bin,
        coop.bank_account_number,
        coop.bank_account_name,
    )


def tag(page: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|select)[^>]*\bid="{field_id}"[^>]*>', page)
    assert match, f"no input {field_id}"
    return match.group(0)


BEFORE = (30_000, None, False, "970436", "0011223344", "HTX MAT ONG")


def test_profile_shows_the_settings_with_a_bank_select(client, coop):
    page = client.get(URL).get_data(as_text=True)
    assert 'value="30000"' in tag(page, "delivery_fee_vnd")
    assert 'value=""' in tag(page, "free_delivery_from_vnd")
    assert "checked" not in tag(page, "offers_pickup")
    assert '<option selected value="970436">Vietcombank</option>' in page
    assert '<option value="970415">VietinBank</option>' in page
    assert 'value="0011223344"' in tag(page, "bank_account_number")
    assert 'value="HTX MAT ONG"' in tag(page, "bank_account_name")
    assert '<label for="bank_account_number">Account number</label>' in page


def test_manager_saves_delivery_and_bank_settings(client, coop):
    response = client.post(URL, data=form_data(**SETTINGS))
    assert response.status_code == 302
    assert saved(coop) == (25_000, 500_000, True, "970415", "101022334455", "HOP TAC XA MAT ONG SON DONG")


def test_manager_removes_the_bank_account_and_free_delivery(client, coop):
    data = form_data(
        **{**SETTINGS, "free_delivery_from_vnd": "", "bank_bin": "", "bank_account_number": "", "bank_account_name": ""}
    )
    del data["offers_pickup"]  # an unticked checkbox is not sent
    assert client.post(URL, data=data).status_code == 302
    assert saved(coop) == (25_000, None, False, None, None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"delivery_fee_vnd": "-5000"}, "delivery_fee_vnd", "cannot be negative"),
        ({"delivery_fee_vnd": ""}, "delivery_fee_vnd", "Enter the delivery fee"),
        ({"free_delivery_from_vnd": "12,5"}, "free_delivery_from_vnd", "without decimals"),
        ({"bank_account_number": "0011ABC344"}, "bank_account_number", "6 to 19 digits"),
        ({"bank_account_number": "12345"}, "bank_account_number", "6 to 19 digits"),
        ({"bank_account_number": "", "bank_account_name": ""}, "bank_account_number", "Enter the account number"),
        ({"bank_bin": ""}, "bank_bin", "Choose the bank"),
        ({"bank_account_name": ""}, "bank_account_name", "Enter the account holder"),
        ({"bank_bin": "999999"}, "bank_bin", "Choose a bank from the list"),
        ({"bank_account_name": "HTX 蜂蜜"}, "bank_account_name", "Latin letters"),
    ],
)
def test_bad_settings_show_a_field_error_and_change_nothing(client, coop, changes, field, message):
    page = client.post(URL, data=form_data(**{**SETTINGS, **changes, "name": "HTX Mới"})).get_data(as_text=True)
    error = page.split(f'id="{field}-error"', 1)
    assert len(error) == 2, f"no error shown under {field}"
    assert message in error[1].split("</ul>", 1)[0]
    assert f'name="{field}"' in page and 'aria-invalid="true"' in page
    assert saved(coop) == BEFORE
    assert coop.name == "HTX Mật ong Sơn Động"


def test_a_form_posted_without_the_new_fields_keeps_them(client, coop):
    """Clients that post only the older profile fields do not wipe the delivery and bank settings."""
    data = form_data(name="HTX Mật ong Sơn Động mới", offers_pickup="y")
    assert client.post(URL, data=data).status_code == 302
    assert saved(coop) == (30_000, None, True, "970436", "0011223344", "HTX MAT ONG")
