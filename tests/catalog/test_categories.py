"""Agency staff manage a two-level category tree; a category in use cannot be deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.catalog import services
from marketplace.catalog.models import Category
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def staff_client(client, make):
    sign_in(client, make.staff())
    make.commit()
    client.get("/lang/en")
    return client


def count() -> int:
    return db.session.scalar(select(func.count(Category.id)))


def test_create_top_and_sub_category(staff_client):
    response = staff_client.post("/agency/categories/new", data={"name": "Đặc sản vùng miền", "position": "2"})
    assert response.status_code == 302
    top = db.session.scalar(select(Category))
    assert (top.slug, top.position, top.parent) == ("dac-san-vung-mien", 2, None)

    staff_client.post("/agency/categories/new", data={"name": "Vải thiều", "parent_id": str(top.id)})
    child = db.session.scalar(select(Category).where(Category.parent_id == top.id))
    assert child.name == "Vải thiều"

    tree = staff_client.get("/agency/categories/").get_data(as_text=True)
    assert tree.index("Đặc sản vùng miền") < tree.index("Vải thiều")


def test_third_level_is_refused(staff_client, make):
    top = make.category("Trái cây")
    child = make.category("Vải", parent=top)
    make.commit()
    page = staff_client.post("/agency/categories/new", data={"name": "Vải sấy", "parent_id": str(child.id)}).get_data(
        as_text=True
    )
    assert "two levels only" in page
    assert count() == 2


def test_category_with_children_cannot_move_under_another(staff_client, make):
    fruit = make.category("Trái cây")
    make.category("Vải", parent=fruit)
    drinks = make.category("Đồ uống")
    make.commit()
    page = staff_client.post(
        f"/agency/categories/{fruit.id}/edit", data={"name": "Trái cây", "parent_id": str(drinks.id)}
    ).get_data(as_text=True)
    assert "must stay a top category" in page
    db.session.expire_all()
    assert db.session.get(Category, fruit.id).parent_id is None


def test_edit_offers_only_top_categories_as_parents(staff_client, make):
    fruit = make.category("Trái cây")
    make.category("Vải", parent=fruit)
    drinks = make.category("Đồ uống")
    make.commit()
    page = staff_client.get(f"/agency/categories/{drinks.id}/edit").get_data(as_text=True)
    parent_select = page.split('name="parent_id"', 1)[1].split("</select>", 1)[0]
    assert "Trái cây" in parent_select and "Vải" not in parent_select and "Đồ uống" not in parent_select


def test_rename_and_bad_input(staff_client, make):
    fruit = make.category("Trái cây", slug="trai-cay")
    make.category("Đồ uống")
    make.commit()
    staff_client.post(f"/agency/categories/{fruit.id}/edit", data={"name": "Hoa quả", "position": "1"})
    db.session.expire_all()
    assert (fruit.name, fruit.slug, fruit.position) == ("Hoa quả", "hoa-qua", 1)

    for data, message in [
        ({"name": "  "}, "Enter a name"),
        ({"name": "Đồ uống"}, "already exists"),
        ({"name": "X", "parent_id": "99999"}, "from the list"),
        ({"name": "X", "parent_id": "abc"}, "Invalid Choice"),
        ({"name": "X", "position": "-1"}, "negative"),
        ({"name": "X", "parent_id": str(fruit.id)}, "its own parent"),
    ]:
        page = staff_client.post(f"/agency/categories/{fruit.id}/edit", data=data).get_data(as_text=True)
        assert message in page, data
    db.session.expire_all()
    assert (fruit.name, fruit.parent_id) == ("Hoa quả", None)


def test_delete_only_empty_categories(staff_client, make):
    fruit = make.category("Trái cây")
    lychee = make.category("Vải", parent=fruit)
    honey = make.category("Mật ong")
    make.product(category_obj=honey)
    make.commit()

    page = staff_client.post(f"/agency/categories/{fruit.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "sub-categories first" in page
    page = staff_client.post(f"/agency/categories/{honey.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "1 product is in this category" in page
    assert count() == 3

    staff_client.post(f"/agency/categories/{lychee.id}/delete")
    staff_client.post(f"/agency/categories/{fruit.id}/delete")
    assert count() == 1
    assert staff_client.post("/agency/categories/99999/delete").status_code == 404


def test_services_keep_two_levels(app, make):
    top = services.create_category("Nông sản")
    child = services.create_category("Gạo", top)
    with pytest.raises(services.CatalogError):
        services.create_category("Gạo nếp", child)
    with pytest.raises(services.CatalogError):
        services.update_category(top, "Nông sản", make.category("Khác"), 0)
    assert services.create_category("Gạo", None).slug == "gao-2"
