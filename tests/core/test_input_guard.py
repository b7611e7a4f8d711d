"""core.input_guard: NUL and broken characters, JSON bounds and out-of-range numbers are a 4xx
naming where they were, before anything is written; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.catalog.models import Product
from marketplace.core.input_guard import NumberOutOfRange
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.api.test_orders import body, shop  # noqa: F401 - the fixture
from tests.cooperatives.helpers import sign_in


def orders_written() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def post_order(client, data, **kwargs):
    """The body as JSON text exactly as given: json.dumps writes a lone surrogate as \\ud800."""
    text = data if isinstance(data, str) else json.dumps(data)
    return client.post("/api/v1/orders", data=text, content_type="application/json", **kwargs)


def test_a_sound_order_still_goes_through(client, shop):  # noqa: F811
    response = post_order(client, body((shop.lychee, 1), note="Mật ong 🍯 \U0001f36f"))
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("where", "change", "field"),
    [
        ("a NUL in a value", {"contact": {"name": "A\x00", "phone": "0912345678"}}, "contact.name"),
        ("a NUL in a key", {"delivery": {"htx\x00": "home"}}, "delivery"),
        ("a lone surrogate", {"address": {"province": 24, "ward": 7210, "street": "\ud800"}}, "address.street"),
        ("a lone low surrogate", {"note": "ok \udfff"}, "note"),
    ],
)
def test_bad_characters_in_an_api_body_are_refused_naming_the_field(client, shop, where, change, field):  # noqa: F811
    stock = shop.lychee.stock

    response = post_order(client, body((shop.lychee, 1), **change))

    assert response.status_code == 400, where
    assert field in response.get_json()["details"], response.get_json()
    assert orders_written() == 0
    db.session.expire_all()
    assert db.session.get(Product, shop.lychee.id).stock == stock


def test_a_pair_of_surrogate_escapes_is_one_character_and_fine(client, shop):  # noqa: F811
    text = json.dumps(body((shop.lychee, 1), note="🍯"))  # written as "\ud83c\udf6f"
    assert "\\ud83c\\udf6f" in text
    assert post_order(client, text).status_code == 201


@pytest.mark.parametrize("product_id", [2**31, 2**31 + 5, 2**63, 2**63 + 1, 2**64, -(2**63) - 1, 0])
def test_a_product_id_no_column_can_hold_is_refused(client, shop, product_id):  # noqa: F811
    data = body((shop.lychee, 1))
    data["items"][0]["product_id"] = product_id

    response = post_order(client, data)

    assert response.status_code == 400
    assert "items[0].product_id" in response.get_json()["details"]
    assert orders_written() == 0


def test_a_huge_quantity_is_refused(client, shop):  # noqa: F811
    data = body((shop.lychee, 1))
    data["items"][0]["quantity"] = 2**63
    response = post_order(client, data)
    assert response.status_code == 400
    assert "items[0].quantity" in response.get_json()["details"]


def test_deep_nesting_is_a_400_not_a_recursion_error(app, client, shop):  # noqa: F811
    # Not through the contract check: openapi-core's own JSON decoding would hit the recursion limit.
    plain = FlaskClient(app, app.response_class)
    for text in ("[" * 50_000, "[" * 50_000 + "]" * 50_000, '{"items":' * 50_000):
        response = post_order(plain, text)
        assert response.status_code == 400
        assert response.get_json()["details"] == {"body": "nested too deeply"}
    deep = body((shop.lychee, 1), note=None)
    nested: object = "x"
    for _ in range(40):
        nested = {"a": nested}
    deep["note"] = nested
    response = post_order(client, deep)
    assert response.status_code == 400
    assert "nested" in " ".join(response.get_json()["details"].values())
    assert orders_written() == 0


def test_the_depth_limit_is_a_setting(app, client, shop):  # noqa: F811
    app.config["MAX_JSON_DEPTH"] = 2  # the order body itself is 3 levels deep
    response = post_order(client, body((shop.lychee, 1)))
    assert response.status_code == 400
    assert orders_written() == 0


def test_a_body_over_the_size_limit_is_413(app, client, shop):  # noqa: F811
    big = body((shop.lychee, 1), note="x" * (1024 * 1024 + 10))
    response = post_order(client, big)
    assert response.status_code == 413
    assert response.get_json()["details"] == {"body": f"larger than {1024 * 1024} bytes"}
    app.config["MAX_JSON_BYTES"] = 100
    assert post_order(client, body((shop.lychee, 1))).status_code == 413
    assert orders_written() == 0


def test_a_nul_in_a_query_argument_of_the_api_is_a_json_400(client):
    response = client.get("/api/v1/products", query_string={"q": "mật\x00ong"})
    assert response.status_code == 400
    assert response.get_json()["details"] == {"q": "contains a NUL character"}


def test_a_nul_in_a_header_is_refused(client, shop):  # noqa: F811
    response = post_order(client, body((shop.lychee, 1)), headers={"X-Client": "app\x00"})
    assert response.status_code == 400
    assert response.get_json()["details"] == {"header X-Client": "contains a NUL character"}
    assert orders_written() == 0


def test_a_nul_in_a_form_field_names_it_on_the_error_page(app, make):
    customer = make.user(email="khach@example.vn", full_name="Lê Hồng")
    make.commit()
    client = app.test_client()
    sign_in(client, customer)
    client.get("/lang/en")

    page = client.post("/account/profile", data={"full_name": "Lê\x00Hồng"})

    assert page.status_code == 400
    assert "full_name holds a character no text may hold" in page.get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.full_name == "Lê Hồng"


def test_a_nul_in_an_uploaded_file_name_is_refused(app, make):
    customer = make.user(email="khach@example.vn", full_name="Lê Hồng")
    make.commit()
    client = app.test_client()
    sign_in(client, customer)

    page = client.post("/account/profile", data={"full_name": "Lê", "photo": (io.BytesIO(b"x"), "a\x00.jpg")})

    assert page.status_code == 400
    db.session.refresh(customer)
    assert customer.full_name == "Lê Hồng"


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**63, 2**70])
def test_an_integer_no_column_holds_never_reaches_the_database(app, number):
    with app.test_request_context("/"):
        with pytest.raises(NumberOutOfRange):
            db.session.execute(sa.select(Product.id).where(Product.id == number))
        db.session.rollback()
        with pytest.raises(NumberOutOfRange):
            db.session.execute(sa.select(Product.id).where(Product.id.in_([1, number])))
        db.session.rollback()
        assert db.session.execute(sa.select(Product.id).where(Product.id.in_([2**31 - 1, -(2**31)]))).all() == []


def test_numbers_past_an_integer_column_in_forms_and_arguments_are_clear_refusals(app, make):
    from marketplace.promotion.models import PromotionActivity

    agency = make.agency("Tỉnh đoàn Bắc Ninh")
    staff = make.staff(agency, email="canbo@example.vn")
    make.commit()
    client = app.test_client()
    sign_in(client, staff)

    assert client.get("/agency/program/training", query_string={"year": "9" * 5000}).status_code == 400
    page = client.post(
        "/agency/promotion/new",
        data={"title": "Hội chợ", "type": "fair_exhibition", "agencies": str(2**63), "products": str(2**31)},
    )
    assert page.status_code < 500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PromotionActivity)) == 0


def test_a_value_the_database_refuses_is_a_400_not_a_500(app, client):
    @app.post("/api/test-out-of-range")
    def out_of_range():
        if db.engine.dialect.name == "postgresql":  # what PostgreSQL says of an int4 out of range
            db.session.execute(sa.text("SELECT CAST(:n AS INTEGER)"), {"n": 2**40})
        raise sa.exc.DataError("SELECT 1", {}, Exception("integer out of range"))

    response = client.post("/api/test-out-of-range")

    assert response.status_code == 400
    assert response.get_json()["error"] == "Invalid input"
