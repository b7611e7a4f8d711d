"""On-site sales at a fair booth: stock, fair prices, voiding, the fair's hours, access, racing online orders."""

from __future__ import annotations

import re
import threading
import traceback
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product, ProductStatus
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import onsite
from marketplace.fairs.models import Booth, BoothStatus, OnSitePayment, OnSiteSale
from marketplace.orders.models import Order
from marketplace.orders.services import OutOfStock, place_order
from tests import factories as f
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def booth_setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, unit="hộp")
    tea = f.product(coop, name="Chè xanh", price_vnd=80_000, stock=5)  # showcased, no fair price
    not_showcased = f.product(coop, name="Gà đồi", price_vnd=200_000, stock=5)
    honey = f.product(other_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho")
    booth = f.booth(fair, coop, [(lychee, 100_000), tea, honey], number="A12")
    other_booth = f.booth(fair, other_coop, [honey], number="B3")
    manager = f.manager(coop, full_name="Trần Văn Quản")
    other_manager = f.manager(other_coop)
    customer = f.user()
    f.commit()
    return type("Setup", (), locals())


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def sales_url(setup, coop_slug="vai-thieu") -> str:
    return f"/workspace/{coop_slug}/fairs/{setup.fair.slug}/sales"


def sale_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OnSiteSale.id)))


# --- the rules -----------------------------------------------------------------------------------


def test_a_sale_takes_stock_at_the_fair_price(booth_setup):
    s = booth_setup
    sale = onsite.record_sale(s.booth, s.lychee.id, 3, "transfer", s.manager)
    db.session.commit()

    assert (sale.quantity, sale.unit_price_vnd, sale.total_vnd) == (3, 100_000, 300_000)
    assert (sale.payment, sale.product_name, sale.unit, sale.recorded_by_id) == (
        OnSitePayment.TRANSFER,
        "Vải thiều sấy",
        "hộp",
        s.manager.id,
    )
    assert stock_of(s.lychee) == 7
    tea_sale = onsite.record_sale(s.booth, s.tea.id, "2", "cash", s.manager)
    assert tea_sale.unit_price_vnd == 80_000 and stock_of(s.tea) == 3


def test_a_sale_beyond_the_stock_is_refused_naming_what_is_left(booth_setup):
    s = booth_setup
    with pytest.raises(OutOfStock) as refused:
        onsite.record_sale(s.booth, s.tea.id, 6, "cash", s.manager)
    db.session.rollback()
    assert refused.value.remaining == 5 and "Chè xanh" in refused.value.message
    assert stock_of(s.tea) == 5 and sale_count() == 0


@pytest.mark.parametrize(
    ("product", "quantity", "payment", "field"),
    [
        ("not_showcased", 1, "cash", "product_id"),  # the cooperative's, but not at this booth
        ("honey", 1, "cash", "product_id"),  # showcased here by mistake, but another cooperative's
        ("lychee", 0, "cash", "quantity"),
        ("lychee", -2, "cash", "quantity"),
        ("lychee", "ba", "cash", "quantity"),
        ("lychee", 1000, "cash", "quantity"),
        ("lychee", 1, "card", "payment"),
    ],
)
def test_bad_sales_are_refused_and_change_nothing(booth_setup, product, quantity, payment, field):
    s = booth_setup
    with pytest.raises(Refused) as refused:
        onsite.record_sale(s.booth, getattr(s, product).id, quantity, payment, s.manager)
    db.session.rollback()
    assert refused.value.field == field
    assert sale_count() == 0 and stock_of(s.lychee) == 10


def test_an_archived_product_is_not_sold(booth_setup):
    s = booth_setup
    s.lychee.status = ProductStatus.ARCHIVED
    db.session.flush()
    with pytest.raises(Refused):
        onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager)


def test_sales_only_while_the_fair_is_on(booth_setup):
    s = booth_setup
    fair = s.fair
    with pytest.raises(Refused):
        onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager, now=fair.starts_at - timedelta(seconds=1))
    with pytest.raises(Refused):
        onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager, now=fair.ends_at)  # the end is exclusive
    first = onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager, now=fair.starts_at)
    last = onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager, now=fair.ends_at - timedelta(seconds=1))
    assert first.unit_price_vnd == last.unit_price_vnd == 100_000
    assert stock_of(s.lychee) == 8


def test_no_sales_at_a_booth_not_approved(booth_setup):
    s = booth_setup
    s.booth.status = BoothStatus.WITHDRAWN
    db.session.flush()
    with pytest.raises(Refused):
        onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager)
    assert stock_of(s.lychee) == 10


def test_a_void_gives_the_stock_back_and_keeps_who_when_why(booth_setup):
    s = booth_setup
    sale = onsite.record_sale(s.booth, s.lychee.id, 4, "cash", s.manager)
    db.session.commit()
    assert stock_of(s.lychee) == 6

    with pytest.raises(Refused) as no_reason:
        onsite.void_sale(sale, "   ", s.manager)
    db.session.rollback()
    assert no_reason.value.field == "reason" and stock_of(s.lychee) == 6

    onsite.void_sale(sale, "Bấm nhầm số lượng", s.manager)
    db.session.commit()
    kept = db.session.get(OnSiteSale, sale.id)
    assert kept is not None and kept.voided_at is not None
    assert (kept.voided_by_id, kept.void_reason) == (s.manager.id, "Bấm nhầm số lượng")
    assert stock_of(s.lychee) == 10

    with pytest.raises(Refused):
        onsite.void_sale(kept, "Lần nữa", s.manager)
    db.session.rollback()
    assert stock_of(s.lychee) == 10
    assert db.session.get(OnSiteSale, sale.id).void_reason == "Bấm nhầm số lượng"


# --- the page ------------------------------------------------------------------------------------


def test_the_manager_records_a_sale_from_the_page(client, booth_setup):
    s = booth_setup
    sign_in(client, s.manager)
    page = client.get(sales_url(s))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="product_id"' in html and f'value="{s.lychee.id}"' in html
    assert f'value="{s.not_showcased.id}"' not in html  # only the booth's own showcased products
    assert f'value="{s.honey.id}"' not in html

    response = client.post(sales_url(s), data={"product_id": s.lychee.id, "quantity": "2", "payment": "transfer"})
    assert response.status_code == 302 and sales_url(s) in response.location
    assert stock_of(s.lychee) == 8
    html = client.get(response.location).get_data(as_text=True)
    # The next sale starts from the same product and payment.
    assert re.search(rf'value="{s.lychee.id}" required\s+checked', html)
    assert re.search(r'value="transfer"\s+checked', html)
    sale = db.session.scalar(sa.select(OnSiteSale))
    assert f'id="sale-{sale.id}"' in html
    assert 'data-value="200000"' in html  # today's total


def test_the_page_refuses_bad_input_with_a_message(client, booth_setup):
    s = booth_setup
    sign_in(client, s.manager)
    short = client.post(sales_url(s), data={"product_id": s.tea.id, "quantity": "9", "payment": "cash"})
    bad = client.post(sales_url(s), data={"product_id": s.lychee.id, "quantity": "0", "payment": "cash"})
    assert short.status_code == 409 and 'id="onsite-error"' in short.get_data(as_text=True)
    assert bad.status_code == 400 and 'data-field="quantity"' in bad.get_data(as_text=True)
    assert sale_count() == 0 and stock_of(s.tea) == 5


def test_voiding_from_the_page(client, booth_setup):
    s = booth_setup
    sale = onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager)
    f.commit()
    sign_in(client, s.manager)
    url = f"{sales_url(s)}/{sale.id}/void"

    assert client.post(url, data={"reason": ""}).status_code == 400
    assert client.post(url, data={"reason": "Khách đổi ý"}).status_code == 302
    assert client.post(url, data={"reason": "Lần hai"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(OnSiteSale, sale.id).void_reason == "Khách đổi ý" and stock_of(s.lychee) == 10
    html = client.get(sales_url(s)).get_data(as_text=True)
    assert "is-voided" in html and "Khách đổi ý" in html


def test_the_page_has_no_form_outside_the_fair(client, booth_setup):
    s = booth_setup
    s.fair.starts_at = utcnow() + timedelta(days=2)
    s.fair.ends_at = utcnow() + timedelta(days=4)
    f.commit()
    sign_in(client, s.manager)
    html = client.get(sales_url(s)).get_data(as_text=True)
    assert 'id="onsite-closed"' in html and 'id="onsite-form"' not in html
    response = client.post(sales_url(s), data={"product_id": s.lychee.id, "quantity": "1", "payment": "cash"})
    assert response.status_code == 400 and stock_of(s.lychee) == 10 and sale_count() == 0


def test_other_people_cannot_record_or_void(app, client, booth_setup):
    s = booth_setup
    sale = onsite.record_sale(s.booth, s.lychee.id, 1, "cash", s.manager)
    lonely_coop = f.cooperative(slug="khong-gian-hang")
    lonely_manager = f.manager(lonely_coop)
    f.commit()
    form = {"product_id": s.lychee.id, "quantity": "1", "payment": "cash"}

    assert client.get(sales_url(s)).status_code == 302  # sign in first

    sign_in(client, s.other_manager)
    assert client.get(sales_url(s)).status_code == 403
    assert client.post(sales_url(s), data=form).status_code == 403
    assert client.post(f"{sales_url(s)}/{sale.id}/void", data={"reason": "x"}).status_code == 403
    # Through its own booth's URL another booth's sale is not found.
    assert client.post(f"{sales_url(s, 'mat-ong')}/{sale.id}/void", data={"reason": "x"}).status_code == 404

    sign_in(client, s.customer)
    assert client.get(sales_url(s)).status_code == 403

    sign_in(client, lonely_manager)
    assert client.get(sales_url(s, "khong-gian-hang")).status_code == 404  # no booth at this fair

    db.session.expire_all()
    assert stock_of(s.lychee) == 9 and db.session.get(OnSiteSale, sale.id).voided_at is None


# --- racing an online order for the last unit ----------------------------------------------------


def _sell_on_site(app, booth_id, product_id, user_id, start, results):
    with app.app_context():
        start.wait(30)
        try:
            from marketplace.accounts.models import User

            onsite.record_sale(db.session.get(Booth, booth_id), product_id, 1, "cash", db.session.get(User, user_id))
            db.session.commit()
            results.append(("onsite", "sold"))
        except OutOfStock:
            db.session.rollback()
            results.append(("onsite", "out"))
        except Exception:  # noqa: BLE001 - any other error fails the test with its text
            db.session.rollback()
            results.append(("onsite", traceback.format_exc(limit=3)))
        finally:
            db.session.remove()


def _order_online(app, product_id, start, results):
    with app.app_context():
        start.wait(30)
        try:
            place_order([(product_id, 1)], f.checkout())
            db.session.commit()
            results.append(("online", "sold"))
        except OutOfStock:
            db.session.rollback()
            results.append(("online", "out"))
        except Exception:  # noqa: BLE001
            db.session.rollback()
            results.append(("online", traceback.format_exc(limit=3)))
        finally:
            db.session.remove()


def test_an_on_site_sale_and_an_online_order_race_for_the_last_unit(app, booth_setup):
    s = booth_setup
    rounds = 5
    for _round in range(rounds):
        db.session.execute(sa.update(Product).where(Product.id == s.lychee.id).values(stock=1))
        db.session.commit()
        start = threading.Barrier(2)
        results: list = []
        threads = [
            threading.Thread(target=_sell_on_site, args=(app, s.booth.id, s.lychee.id, s.manager.id, start, results)),
            threading.Thread(target=_order_online, args=(app, s.lychee.id, start, results)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        outcomes = sorted(outcome for _who, outcome in results)
        assert outcomes == ["out", "sold"], results
        db.session.expire_all()
        assert stock_of(s.lychee) == 0

    sold_on_site = db.session.scalar(sa.select(sa.func.count(OnSiteSale.id)))
    sold_online = db.session.scalar(sa.select(sa.func.count(Order.id)))
    assert sold_on_site + sold_online == rounds


# --- phones at the booth racing for the last units -------------------------------------------------


def _record_on_a_phone(client, url, product_id, start, statuses):
    """One phone posts a one-unit sale; the request commits (or rolls back) as it ends."""
    start.wait(30)
    try:
        response = client.post(url, data={"product_id": str(product_id), "quantity": "1", "payment": "cash"})
        statuses.append(response.status_code)
    except Exception:  # noqa: BLE001 - any error fails the test with its text
        statuses.append(traceback.format_exc(limit=3))


def test_phones_recording_the_last_units_at_the_same_moment_sell_exactly_the_stock(app, booth_setup):
    s = booth_setup  # 5 of the tea in stock
    phones = []
    for _ in range(8):
        phone = app.test_client()
        sign_in(phone, s.manager)
        phones.append(phone)
    start = threading.Barrier(len(phones))
    statuses: list = []
    threads = [
        threading.Thread(target=_record_on_a_phone, args=(phone, sales_url(s), s.tea.id, start, statuses))
        for phone in phones
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses, key=str) == [302] * 5 + [409] * 3, statuses
    db.session.expire_all()
    assert stock_of(s.tea) == 0 and sale_count() == 5
