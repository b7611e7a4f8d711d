"""A cooperative applies for booths from /workspace/<coop>/fairs, edits its showcase, withdraws."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothProduct, BoothStatus, FairStatus
from tests import factories as f
from tests.cooperatives.helpers import csrf_token, sign_in
from tests.fairs.helpers import committed_before_writing


def pending_booth(fair, cooperative, products):
    booth = f.booth(fair, cooperative, products, status=BoothStatus.PENDING)
    booth.number = None  # numbers come with the approval
    db.session.flush()
    return booth


@pytest.fixture
def world(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    manager = f.manager(coop)
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000)
    honey = f.product(coop, name="Mật ong hoa vải", price_vnd=250_000)
    draft = f.product(coop, name="Sản phẩm nháp", status=ProductStatus.DRAFT)
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    other_manager = f.manager(other_coop)
    stranger_product = f.product(other_coop, price_vnd=90_000)
    staff = f.staff()
    customer = f.user()
    now = utcnow()
    open_fair = f.fair(
        "Hội chợ mùa đông",
        slug="mua-dong",
        status=FairStatus.ACCEPTING,
        starts_at=now + timedelta(days=10),
        applications_close_at=now + timedelta(days=5),
    )
    closed_apps = f.fair(
        "Hội chợ hết hạn",
        slug="het-han",
        status=FairStatus.ACCEPTING,
        starts_at=now + timedelta(days=10),
        applications_close_at=now - timedelta(minutes=1),
    )
    draft_fair = f.fair("Hội chợ nháp", slug="nhap", status=FairStatus.DRAFT, starts_at=now + timedelta(days=10))
    f.commit()
    return type("World", (), locals())


@pytest.fixture
def manager_client(client, world):
    sign_in(client, world.manager)
    return client


def booth_of(world, fair=None):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Booth).where(Booth.fair_id == (fair or world.open_fair).id, Booth.cooperative_id == world.coop.id)
    )


def showcase(booth):
    return set(
        db.session.execute(
            sa.select(BoothProduct.product_id, BoothProduct.fair_price_vnd).where(BoothProduct.booth_id == booth.id)
        ).all()
    )


def test_the_fairs_page_lists_open_fairs_only(manager_client, world):
    page = manager_client.get("/workspace/vai-thieu/fairs/").get_data(as_text=True)
    assert 'data-open-fair="mua-dong"' in page
    assert 'data-open-fair="het-han"' not in page  # its deadline has passed
    assert 'data-open-fair="nhap"' not in page and "Hội chợ nháp" not in page
    assert "/workspace/vai-thieu/fairs/mua-dong/apply" in page


def test_the_apply_form_offers_only_the_cooperatives_active_products(manager_client, world):
    page = manager_client.get("/workspace/vai-thieu/fairs/mua-dong/apply").get_data(as_text=True)
    assert f'name="product" value="{world.lychee.id}"' in page
    assert f'name="product" value="{world.honey.id}"' in page
    assert f'value="{world.draft.id}"' not in page
    assert f'value="{world.stranger_product.id}"' not in page


def test_apply_with_fair_prices_typed_the_vietnamese_way(manager_client, world):
    response = manager_client.post(
        "/workspace/vai-thieu/fairs/mua-dong/apply",
        data={
            "product": [str(world.lychee.id), str(world.honey.id)],
            f"fair_price_{world.lychee.id}": "99.000",
            f"fair_price_{world.honey.id}": "",
            "message": "Cần một ổ điện",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/vai-thieu/fairs/mua-dong/booth")
    booth = booth_of(world)
    assert booth.status == BoothStatus.PENDING and booth.number is None
    assert booth.message == "Cần một ổ điện"
    assert showcase(booth) == {(world.lychee.id, 99_000), (world.honey.id, None)}
    # A second application for the same fair goes to the existing booth.
    again = manager_client.get("/workspace/vai-thieu/fairs/mua-dong/apply")
    assert again.status_code == 302 and again.headers["Location"].endswith("/mua-dong/booth")


@pytest.mark.parametrize(
    ("data", "error_id"),
    [
        ({}, "products-error"),
        ({"product": ["{stranger}"]}, "products-error"),
        ({"product": ["99999999999999999999"]}, "products-error"),
        ({"product": ["{draft}"]}, "products-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "120.000"}, "fair_price_{lychee}-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "150000"}, "fair_price_{lychee}-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "0"}, "fair_price_{lychee}-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "99,5"}, "fair_price_{lychee}-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "-1000"}, "fair_price_{lychee}-error"),
        ({"product": ["{lychee}"], "fair_price_{lychee}": "rẻ"}, "fair_price_{lychee}-error"),
    ],
)
def test_bad_applications_are_shown_at_the_product_and_nothing_is_saved(manager_client, world, data, error_id):
    ids = {"lychee": world.lychee.id, "draft": world.draft.id, "stranger": world.stranger_product.id}
    posted = {
        key.format(**ids): [v.format(**ids) for v in value] if isinstance(value, list) else value
        for key, value in data.items()
    }
    response = manager_client.post("/workspace/vai-thieu/fairs/mua-dong/apply", data=posted)
    assert response.status_code == 422
    assert f'id="{error_id.format(**ids)}"' in response.get_data(as_text=True)
    assert booth_of(world) is None


def test_two_managers_applying_at_the_same_moment_make_one_booth(manager_client, world):
    # The other manager's application lands after this request checked there was none.
    other_application = sa.insert(Booth).values(
        fair_id=world.open_fair.id,
        cooperative_id=world.coop.id,
        code="KHAC01",
        status=BoothStatus.PENDING,
        message="Từ người quản lý kia",
        applied_by_id=world.manager.id,
        applied_at=utcnow(),
    )
    with committed_before_writing(Booth, other_application):
        response = manager_client.post(
            "/workspace/vai-thieu/fairs/mua-dong/apply", data={"product": [str(world.lychee.id)], "message": "Của tôi"}
        )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/vai-thieu/fairs/mua-dong/booth")
    booth = booth_of(world)
    assert booth.code == "KHAC01" and booth.message == "Từ người quản lý kia" and showcase(booth) == set()
    with manager_client.session_transaction() as session:
        assert [category for category, _message in session["_flashes"]] == ["error"]


def test_applications_closed_or_draft_fairs_are_refused(manager_client, world):
    data = {"product": [str(world.lychee.id)]}
    closed = manager_client.post("/workspace/vai-thieu/fairs/het-han/apply", data=data)
    assert closed.status_code == 422
    assert booth_of(world, world.closed_apps) is None
    assert manager_client.get("/workspace/vai-thieu/fairs/het-han/apply").status_code == 302
    assert manager_client.post("/workspace/vai-thieu/fairs/nhap/apply", data=data).status_code == 404
    assert booth_of(world, world.draft_fair) is None


def test_a_pending_cooperative_cannot_apply(client, world):
    world.coop.status = CooperativeStatus.PENDING
    f.commit()
    sign_in(client, world.manager)
    response = client.post("/workspace/vai-thieu/fairs/mua-dong/apply", data={"product": [str(world.lychee.id)]})
    assert response.status_code == 422
    assert booth_of(world) is None


def test_a_suspended_cooperative_changes_nothing(client, world):
    world.coop.status = CooperativeStatus.SUSPENDED
    f.commit()
    sign_in(client, world.manager)
    response = client.post("/workspace/vai-thieu/fairs/mua-dong/apply", data={"product": [str(world.lychee.id)]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/workspace/vai-thieu/")
    assert booth_of(world) is None


def test_other_managers_staff_and_customers_get_403_and_change_nothing(client, world):
    booth = pending_booth(world.open_fair, world.coop, [(world.lychee, 100_000)])
    f.commit()
    urls = [
        ("get", "/workspace/vai-thieu/fairs/", None),
        ("get", "/workspace/vai-thieu/fairs/mua-dong/apply", None),
        ("get", "/workspace/vai-thieu/fairs/mua-dong/booth", None),
        (
            "post",
            "/workspace/vai-thieu/fairs/mua-dong/booth",
            {"product": [str(world.lychee.id)], f"fair_price_{world.lychee.id}": "1000"},
        ),
        ("post", "/workspace/vai-thieu/fairs/mua-dong/booth/withdraw", {}),
        ("post", "/workspace/vai-thieu/fairs/mua-dong/apply", {"product": [str(world.lychee.id)]}),
    ]
    for person in (world.other_manager, world.staff, world.customer):
        sign_in(client, person)
        for method, url, data in urls:
            assert getattr(client, method)(url, data=data).status_code == 403, (person, url)
    db.session.expire_all()
    booth = db.session.get(Booth, booth.id)
    assert booth.status == BoothStatus.PENDING
    assert showcase(booth) == {(world.lychee.id, 100_000)}


def test_another_cooperatives_booth_is_not_found_in_ones_own_workspace(client, world):
    pending_booth(world.open_fair, world.other_coop, [world.stranger_product])
    f.commit()
    sign_in(client, world.manager)  # the lychee cooperative has no booth at this fair
    assert client.get("/workspace/vai-thieu/fairs/mua-dong/booth").status_code == 404
    assert client.post("/workspace/vai-thieu/fairs/mua-dong/booth/withdraw").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(Booth.status).where(Booth.cooperative_id == world.other_coop.id)) == (
        BoothStatus.PENDING
    )


def test_there_is_no_way_to_approve_from_the_workspace(manager_client, world):
    booth = pending_booth(world.open_fair, world.coop, [world.lychee])
    f.commit()
    for url in (
        "/workspace/vai-thieu/fairs/mua-dong/booth/approve",
        f"/workspace/vai-thieu/fairs/mua-dong/booths/{booth.id}/approve",
    ):
        assert manager_client.post(url, data={"number": "A1"}).status_code in (404, 405)
    assert (
        manager_client.post(f"/agency/fairs/mua-dong/booths/{booth.id}/approve", data={"number": "A1"}).status_code
        == 403
    )
    assert booth_of(world).status == BoothStatus.PENDING


def test_edit_the_showcase_while_pending(manager_client, world):
    booth = pending_booth(world.open_fair, world.coop, [(world.lychee, 100_000)])
    f.commit()
    page = manager_client.get("/workspace/vai-thieu/fairs/mua-dong/booth").get_data(as_text=True)
    assert f'name="product" value="{world.lychee.id}" checked' in page
    assert f'name="fair_price_{world.lychee.id}" inputmode="numeric" autocomplete="off" value="100000"' in page

    response = manager_client.post(
        "/workspace/vai-thieu/fairs/mua-dong/booth",
        data={"product": [str(world.honey.id)], f"fair_price_{world.honey.id}": "199000", "message": "Đổi"},
    )
    assert response.status_code == 302
    booth = booth_of(world)
    assert showcase(booth) == {(world.honey.id, 199_000)}
    assert booth.message == "Đổi"

    bad = manager_client.post(
        "/workspace/vai-thieu/fairs/mua-dong/booth",
        data={"product": [str(world.honey.id)], f"fair_price_{world.honey.id}": "260000"},
    )
    assert bad.status_code == 422
    assert showcase(booth_of(world)) == {(world.honey.id, 199_000)}


def test_an_approved_booth_changes_fair_prices_until_the_fair_ends(manager_client, world):
    on_now = f.fair("Hội chợ đang diễn ra", slug="dang-dien-ra")
    f.booth(on_now, world.coop, [(world.lychee, 100_000)], number="A3")
    ended = f.fair(
        "Hội chợ đã xong", slug="da-xong", starts_at=utcnow() - timedelta(days=5), ends_at=utcnow() - timedelta(hours=1)
    )
    f.booth(ended, world.coop, [(world.lychee, 100_000)], number="C1")
    f.commit()
    url = "/workspace/vai-thieu/fairs/dang-dien-ra/booth"
    data = {"product": [str(world.lychee.id)], f"fair_price_{world.lychee.id}": "90000"}
    assert manager_client.post(url, data=data).status_code == 302
    assert showcase(booth_of(world, on_now)) == {(world.lychee.id, 90_000)}

    page = manager_client.get("/workspace/vai-thieu/fairs/da-xong/booth").get_data(as_text=True)
    assert 'name="product"' not in page  # read-only now
    manager_client.post("/workspace/vai-thieu/fairs/da-xong/booth", data=data)
    assert showcase(booth_of(world, ended)) == {(world.lychee.id, 100_000)}


def test_withdraw_a_pending_application_and_apply_again(manager_client, world):
    pending_booth(world.open_fair, world.coop, [world.lychee])
    f.commit()
    assert manager_client.post("/workspace/vai-thieu/fairs/mua-dong/booth/withdraw").status_code == 302
    assert booth_of(world).status == BoothStatus.WITHDRAWN
    assert manager_client.get("/workspace/vai-thieu/fairs/mua-dong/apply").status_code == 200
    manager_client.post("/workspace/vai-thieu/fairs/mua-dong/apply", data={"product": [str(world.honey.id)]})
    booth = booth_of(world)
    assert booth.status == BoothStatus.PENDING
    assert showcase(booth) == {(world.honey.id, None)}


def test_an_approved_booth_cannot_be_withdrawn(manager_client, world):
    f.booth(world.open_fair, world.coop, [world.lychee], number="A2")
    f.commit()
    page = manager_client.get("/workspace/vai-thieu/fairs/mua-dong/booth").get_data(as_text=True)
    assert "/booth/withdraw" not in page
    manager_client.post("/workspace/vai-thieu/fairs/mua-dong/booth/withdraw")
    assert booth_of(world).status == BoothStatus.APPROVED


def test_the_rejection_reason_is_shown_to_the_cooperative(manager_client, world):
    booth = pending_booth(world.open_fair, world.coop, [world.lychee])
    booth.status = BoothStatus.REJECTED
    booth.rejection_reason = "Hết chỗ cho hàng khô"
    f.commit()
    page = manager_client.get("/workspace/vai-thieu/fairs/mua-dong/booth").get_data(as_text=True)
    assert 'data-booth-status="rejected"' in page
    assert "Hết chỗ cho hàng khô" in page
    assert 'name="product"' not in page


def test_apply_needs_the_csrf_token(csrf_app):
    coop = f.cooperative(slug="csrf-coop")
    manager = f.manager(coop)
    product = f.product(coop)
    fair = f.fair(slug="csrf-open", status=FairStatus.ACCEPTING, starts_at=utcnow() + timedelta(days=3))
    f.commit()
    client = csrf_app.test_client()
    sign_in(client, manager)
    url = "/workspace/csrf-coop/fairs/csrf-open/apply"
    assert client.post(url, data={"product": [str(product.id)]}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Booth.id))) == 0
    token = csrf_token(client, url)
    assert client.post(url, data={"product": [str(product.id)], "csrf_token": token}).status_code == 302
    assert db.session.scalar(sa.select(Booth.fair_id)) == fair.id


def test_an_approved_booth_links_to_its_sales_poster_and_results(manager_client, world):
    on_now = f.fair("Hội chợ đang diễn ra", slug="dang-dien-ra")
    f.booth(on_now, world.coop, [(world.lychee, 100_000)], number="A3")
    f.commit()
    page = manager_client.get("/workspace/vai-thieu/fairs/dang-dien-ra/booth").get_data(as_text=True)
    links = re.findall(r'href="(/workspace/vai-thieu/fairs/dang-dien-ra/(?:sales|poster|results)[^"]*)"', page)
    assert sorted(links) == [
        "/workspace/vai-thieu/fairs/dang-dien-ra/poster",
        "/workspace/vai-thieu/fairs/dang-dien-ra/results",
        "/workspace/vai-thieu/fairs/dang-dien-ra/sales",
    ]
    for url in links:
        assert manager_client.get(url).status_code == 200, url
