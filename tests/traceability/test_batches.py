"""Batches: the rules a manager meets when recording one, and the workspace pages."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.traceability import batches
from marketplace.traceability.models import Batch, BatchImage
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.traceability.helpers import TODAY, batch, certificate


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1")
    other_coop = f.cooperative("HTX Mật ong", slug="mat-ong")
    honey = f.product(other_coop, name="Mật ong", sku="MO-1")
    manager = f.manager(coop)
    other_manager = f.manager(other_coop)
    f.commit()
    return type("Setup", (), locals())


def data(**changes):
    values = {
        "code": "LO-01",
        "produced_on": date(2026, 11, 20),
        "best_before": None,
        "quantity": 100,
        "province_code": f.BAC_NINH,
        "ward_code": f.LUC_NGAN,
        "place_name": "",
        "notes": "",
        "certificate_ids": [],
    }
    values.update(changes)
    return values


def refusal(product, **changes) -> Refused:
    with pytest.raises(Refused) as caught:
        batches.create_batch(product, data(**changes))
    return caught.value


def test_a_batch_gets_a_random_unambiguous_short_code(setup):
    one = batches.create_batch(setup.lychee, data())
    two = batches.create_batch(setup.lychee, data(code="LO-02"))
    assert one.short_code != two.short_code
    for code in (one.short_code, two.short_code):
        assert len(code) == 8 and not set(code) & set("01OIL")
    assert batches.find_by_short_code(one.short_code.lower()) == one
    assert batches.find_by_short_code("0000") is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "LÔ 1"}, "code"),  # accents and spaces are not GS1 characters
        ({"code": "X" * 21}, "code"),
        ({"produced_on": None}, "produced_on"),
        ({"produced_on": date(2026, 12, 4)}, "produced_on"),  # tomorrow
        ({"best_before": date(2026, 11, 19)}, "best_before"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"province_code": None}, "province_code"),  # a ward without its province
        ({"ward_code": 1}, "ward_code"),
        ({"place_name": "x" * 201}, "place_name"),
    ],
)
def test_bad_batches_are_refused_on_their_field(setup, changes, field):
    assert refusal(setup.lychee, **changes).field == field
    assert db.session.scalar(sa.select(sa.func.count(Batch.id))) == 0


def test_codes_are_unique_per_product_only(setup):
    batches.create_batch(setup.lychee, data())
    assert refusal(setup.lychee).field == "code"
    batches.create_batch(setup.honey, data())  # another product may use the same lot code


def test_produced_today_and_best_before_the_same_day_are_fine(setup):
    made = batches.create_batch(
        setup.lychee, data(produced_on=TODAY, best_before=TODAY, province_code=None, ward_code=None)
    )
    assert made.best_before == TODAY and made.province_code is None


def test_only_the_cooperative_s_and_the_product_s_certificates_apply(setup):
    own = certificate(setup.coop)
    of_product = certificate(setup.coop, setup.lychee, number="VG-2")
    of_honey = certificate(setup.coop, f.product(setup.coop), number="VG-3")
    elsewhere = certificate(setup.other_coop, number="VG-4")
    assert set(batches.applicable_certificates(setup.lychee)) == {own, of_product}
    made = batches.create_batch(setup.lychee, data(certificate_ids=[own.id, of_product.id]))
    assert made.certificates == [own, of_product]
    for bad in (of_honey, elsewhere):
        assert refusal(setup.lychee, code="LO-9", certificate_ids=[bad.id]).field == "certificate_ids"


def test_certificate_validity_on_the_day(setup):
    c = certificate(setup.coop, issued_on=date(2025, 1, 1), expires_on=date(2026, 12, 3))
    assert batches.certificate_state(c, date(2026, 12, 2)) == "valid"
    assert batches.certificate_state(c, date(2026, 12, 3)) == "expired"  # expires_on is the first day not valid
    assert batches.certificate_state(c, date(2024, 12, 31)) == "not_yet_valid"
    c.expires_on = None
    assert batches.certificate_state(c, date(2099, 1, 1)) == "valid"  # no expiry: never expires
    c.verified_at = None
    assert batches.certificate_state(c, date(2026, 12, 2)) == "unverified"


def test_a_recalled_batch_cannot_be_deleted(setup):
    made = batch(setup.lychee, recalled_at=datetime(2026, 12, 1), recall_reason="Nấm mốc")
    with pytest.raises(Refused):
        batches.delete_batch(made)
    open_one = batch(setup.lychee, code="LO-2")
    batches.delete_batch(open_one)
    assert db.session.get(Batch, open_one.id) is None


@pytest.mark.parametrize(
    ("value", "stored"), [("8934563138165", "08934563138165"), ("96385074", "00000096385074"), ("", None)]
)
def test_a_product_s_gtin_is_checked_and_stored_as_14_digits(setup, value, stored):
    batches.set_gtin(setup.lychee, value)
    assert setup.lychee.gtin == stored


def test_a_bad_or_taken_gtin_is_refused(setup):
    with pytest.raises(Refused):
        batches.set_gtin(setup.lychee, "8934563138164")  # wrong check digit
    batches.set_gtin(setup.honey, "8934563138165")
    with pytest.raises(Refused) as caught:
        batches.set_gtin(setup.lychee, "08934563138165")
    assert caught.value.field == "gtin"


def test_trace_url_is_the_digital_link_with_a_gtin_else_the_short_link(setup):
    made = batch(setup.lychee, code="A/1")
    assert batches.trace_url(made, "https://cho.vn") == f"https://cho.vn/t/{made.short_code}"
    batches.set_gtin(setup.lychee, "8934563138165")
    assert batches.trace_url(made, "https://cho.vn") == "https://cho.vn/01/08934563138165/10/A%2F1"


# --- pages ---------------------------------------------------------------------------------------


def form(**changes):
    values = {
        "product_id": "",
        "code": "LO-01",
        "produced_on": "2026-11-20",
        "best_before": "2027-05-20",
        "quantity": "1.200",
        "province_code": str(f.BAC_NINH),
        "ward_code": str(f.LUC_NGAN),
        "place_name": "Đồi Phượng Sơn",
        "notes": "Không dùng thuốc trừ sâu",
    }
    values.update(changes)
    return values


def test_a_manager_adds_edits_and_deletes_a_batch(client, setup):
    sign_in(client, setup.manager)
    page = client.get(f"/workspace/vai-thieu/batches/new?product={setup.lychee.id}")
    assert page.status_code == 200 and "Vải thiều sấy" in page.text
    response = client.post("/workspace/vai-thieu/batches/new", data=form(product_id=str(setup.lychee.id)))
    assert response.status_code == 302
    made = db.session.scalar(sa.select(Batch))
    assert (made.code, made.quantity, made.place_name) == ("LO-01", 1200, "Đồi Phượng Sơn")
    listing = client.get(f"/workspace/vai-thieu/batches/?product={setup.lychee.id}")
    assert "LO-01" in listing.text
    edit_url = f"/workspace/vai-thieu/batches/{made.id}/edit"
    assert "/t/" + made.short_code in client.get(edit_url).text
    assert made.stock == 1200 and setup.lychee.stock == 1200  # the first batch's stock is the product's
    # Lowering the quantity below the units in stock is refused; with the stock lowered too it is saved.
    refused = client.post(edit_url, data=form(quantity="900"))
    assert refused.status_code == 200 and "không được lớn hơn số lượng của lô" in refused.text
    assert client.post(edit_url, data=form(quantity="900", stock="850")).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Batch, made.id)
    assert (saved.quantity, saved.stock, saved.product.stock) == (900, 850, 850)
    assert client.post(f"/workspace/vai-thieu/batches/{made.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(Batch)) is None


def test_field_errors_are_shown_next_to_the_field_and_nothing_is_saved(client, setup):
    sign_in(client, setup.manager)
    response = client.post(
        "/workspace/vai-thieu/batches/new",
        data=form(product_id=str(setup.lychee.id), produced_on="2026-12-25", quantity="0"),
    )
    assert response.status_code == 200
    assert "The production date cannot be in the future." in response.text or "tương lai" in response.text
    assert db.session.scalar(sa.select(Batch)) is None
    response = client.post("/workspace/vai-thieu/batches/new", data=form(product_id=str(setup.honey.id)))
    assert response.status_code == 200 and db.session.scalar(sa.select(Batch)) is None


def test_another_cooperative_s_manager_is_refused(client, setup):
    made = batch(setup.lychee)
    f.commit()
    sign_in(client, setup.other_manager)
    assert client.get("/workspace/vai-thieu/batches/").status_code == 403
    assert client.get(f"/workspace/vai-thieu/batches/{made.id}/edit").status_code == 403
    assert client.get(f"/workspace/vai-thieu/batches/{made.id}/labels").status_code == 403
    assert client.post(f"/workspace/vai-thieu/batches/{made.id}/delete").status_code == 403
    # Through their own cooperative's address, another cooperative's batch is not found.
    assert client.get(f"/workspace/mat-ong/batches/{made.id}/edit").status_code == 404
    assert client.post(f"/workspace/mat-ong/batches/{made.id}/delete").status_code == 404
    assert db.session.get(Batch, made.id) is not None


def test_deleting_a_recalled_batch_from_the_page_is_refused(client, setup):
    made = batch(setup.lychee, recalled_at=datetime(2026, 12, 1), recall_reason="Nấm mốc")
    f.commit()
    sign_in(client, setup.manager)
    response = client.post(f"/workspace/vai-thieu/batches/{made.id}/delete")
    assert response.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.get(Batch, made.id) is not None


def test_the_gtin_is_set_on_the_product_s_batches_page(client, setup):
    sign_in(client, setup.manager)
    url = f"/workspace/vai-thieu/batches/gtin/{setup.lychee.id}"
    bad = client.post(url, data={"gtin": "8934563138164"})
    assert bad.status_code == 400
    assert client.post(url, data={"gtin": "893 4563 138165"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(setup.lychee), setup.lychee.id).gtin == "08934563138165"
    assert client.post(f"/workspace/mat-ong/batches/gtin/{setup.lychee.id}", data={"gtin": ""}).status_code == 403


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_batch_photos_are_checked_re_encoded_and_removable(client, setup):
    made = batch(setup.lychee)
    f.commit()
    sign_in(client, setup.manager)
    url = f"/workspace/vai-thieu/batches/{made.id}/photos"
    fake = client.post(url, data={"photos": (io.BytesIO(b"not a picture"), "x.jpg"), "alt_text": "Vườn"})
    assert fake.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(BatchImage.id))) == 0
    ok = client.post(url, data={"photos": (io.BytesIO(png_bytes()), "vuon.png"), "alt_text": "Vườn vải"})
    assert ok.status_code == 302
    image = db.session.scalar(sa.select(BatchImage))
    assert image.alt_text == "Vườn vải" and image.width == 400
    assert client.get(f"/media/products/{image.stem}-thumb.webp").status_code == 200
    delete = client.post(f"/workspace/vai-thieu/batches/{made.id}/photos/{image.id}/delete")
    assert delete.status_code == 302
    assert client.get(f"/media/products/{image.stem}-thumb.webp").status_code == 404


def test_the_product_page_and_the_workspace_nav_link_to_batches(client, setup):
    sign_in(client, setup.manager)
    page = client.get(f"/workspace/vai-thieu/products/{setup.lychee.id}/edit")
    assert f"/workspace/vai-thieu/batches/?product={setup.lychee.id}" in page.text


@pytest.mark.parametrize(
    "changes",
    [
        {"product_id": "abc"},
        {"product_id": "99999999999999"},
        {"quantity": "12,5"},
        {"quantity": "9" * 40},
        {"produced_on": "31/02/2026"},
        {"best_before": "hôm nay"},
        {"province_code": "abc"},
        {"ward_code": "99999999999"},
        {"certificate_ids": "x"},
        {"certificate_ids": "99999999999"},
        {"code": "\x00"},
    ],
)
def test_odd_input_gets_a_clear_answer_and_changes_nothing(client, setup, changes):
    sign_in(client, setup.manager)
    response = client.post(
        "/workspace/vai-thieu/batches/new", data=form(**{"product_id": str(setup.lychee.id), **changes})
    )
    assert response.status_code in (200, 400)
    assert db.session.scalar(sa.select(Batch)) is None
    assert client.get("/workspace/vai-thieu/batches/?product=abc").status_code == 400
    assert client.get("/workspace/vai-thieu/batches/?product=999999").status_code == 404
