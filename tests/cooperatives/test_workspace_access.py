"""Every workspace route against every role: a manager reaches only their own cooperative."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.catalog.images import add_product_image
from marketplace.catalog.models import Product, ProductStatus
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in

GET_ROUTES = [
    "/workspace/{coop}/",
    "/workspace/{coop}/profile",
    "/workspace/{coop}/products/",
    "/workspace/{coop}/products/?status=archived&q=v",
    "/workspace/{coop}/products/new",
    "/workspace/{coop}/products/{product}/edit",
    "/workspace/{coop}/products/import",
    "/workspace/{coop}/products/export.csv",
]

# (url, form data). Each would change the product (or the cooperative) if it were allowed.
POST_ROUTES = [
    ("/workspace/{coop}/profile", {"name": "Đổi tên"}),
    ("/workspace/{coop}/products/new", {"name": "Mới", "sku": "NEW-1"}),
    ("/workspace/{coop}/products/{product}/edit", {"name": "Đổi tên", "price_vnd": "1"}),
    ("/workspace/{coop}/products/{product}/archive", {}),
    ("/workspace/{coop}/products/{product}/restore", {}),
    ("/workspace/{coop}/products/{product}/quick", {"p{product}-stock": "0", "p{product}-price_vnd": "1"}),
    ("/workspace/{coop}/products/{product}/images", {"alt_text": "x"}),
    ("/workspace/{coop}/products/{product}/images/{image}/move", {"direction": "down"}),
    ("/workspace/{coop}/products/{product}/images/{image}/delete", {}),
    ("/workspace/{coop}/products/import", {}),
]


@pytest.fixture
def world(app, make):
    coop = make.cooperative(name="HTX Vải thiều")
    other = make.cooperative(name="HTX Gà đồi")
    product = make.product(coop, name="Vải thiều sấy", stock=30, price_vnd=120_000)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buffer, "PNG")
    image = add_product_image(product, io.BytesIO(buffer.getvalue()), "ảnh 1")
    add_product_image(product, io.BytesIO(buffer.getvalue()), "ảnh 2")
    people = {
        "customer": make.user(),
        "other_manager": make.manager(other),
        "staff": make.staff(),
        "manager": make.manager(coop),
        "admin": make.admin(),
    }
    make.commit()
    ids = {"coop": coop.slug, "product": product.id, "image": image.id}
    return people, ids, product


def fill(template: str, ids: dict) -> str:
    return template.format(**ids)


def snapshot(product_id: int) -> tuple:
    db.session.expire_all()
    product = db.session.get(Product, product_id)
    return (
        product.name,
        product.price_vnd,
        product.stock,
        product.status,
        [i.id for i in product.images],
        product.cooperative.name,
        db.session.query(Product).count(),
    )


@pytest.mark.parametrize("route", GET_ROUTES)
def test_anonymous_is_sent_to_login(client, world, route):
    _people, ids, _product = world
    response = client.get(fill(route, ids))
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "other_manager", "staff"])
@pytest.mark.parametrize("route", GET_ROUTES)
def test_others_are_refused(client, world, route, role):
    people, ids, _product = world
    sign_in(client, people[role])
    assert client.get(fill(route, ids)).status_code == 403


@pytest.mark.parametrize("role", ["manager", "admin"])
@pytest.mark.parametrize("route", GET_ROUTES)
def test_own_manager_and_admin_may_open(client, world, route, role):
    people, ids, _product = world
    sign_in(client, people[role])
    assert client.get(fill(route, ids)).status_code == 200


@pytest.mark.parametrize("role", [None, "customer", "other_manager", "staff"])
@pytest.mark.parametrize("route, data", POST_ROUTES)
def test_changes_by_others_are_refused_and_change_nothing(client, world, route, data, role):
    people, ids, product = world
    before = snapshot(product.id)
    if role:
        sign_in(client, people[role])
    form = {fill(k, ids): v for k, v in data.items()}
    response = client.post(fill(route, ids), data=form)
    assert response.status_code == (403 if role else 302)
    assert snapshot(product.id) == before


def test_unknown_cooperative_and_foreign_product_are_not_found(client, world, make):
    people, ids, _product = world
    other_product = make.product(people["other_manager"].cooperatives[0])
    make.commit()
    sign_in(client, people["manager"])
    assert client.get("/workspace/khong-co/").status_code == 404
    # Another cooperative's product through one's own cooperative: simply not there.
    assert client.get(f"/workspace/{ids['coop']}/products/{other_product.id}/edit").status_code == 404
    response = client.post(f"/workspace/{ids['coop']}/products/{other_product.id}/archive")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Product, other_product.id).status == ProductStatus.ACTIVE


def test_workspace_index_lists_only_own_cooperatives(client, world, make):
    people, _ids, _product = world
    sign_in(client, people["manager"])
    page = client.get("/workspace/").get_data(as_text=True)
    assert "HTX Vải thiều" in page
    assert "HTX Gà đồi" not in page


def test_admin_sees_and_searches_every_cooperative(client, world):
    people, _ids, _product = world
    sign_in(client, people["admin"])
    page = client.get("/workspace/").get_data(as_text=True)
    assert "HTX Vải thiều" in page and "HTX Gà đồi" in page
    page = client.get("/workspace/?q=ga doi").get_data(as_text=True)
    assert "HTX Gà đồi" in page and "HTX Vải thiều" not in page
