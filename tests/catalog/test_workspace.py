"""A manager's listings: create, edit, archive, restore, stock and price, photos, CSV files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.catalog import services
from marketplace.catalog.models import Product, ProductImage, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.forms import NotAWholeNumber, parse_whole_number
from marketplace.extensions import db
from tests.cooperatives.helpers import csrf_token, sign_in


@pytest.fixture
def shop(app, make):
    coop = make.cooperative(name="HTX Vải thiều Lục Ngạn", slug="htx-vai-thieu")
    fruit = make.category("Trái cây", slug="trai-cay")
    dried = make.category("Sấy khô", parent=fruit, slug="say-kho")
    manager = make.manager(coop)
    make.commit()
    return coop, fruit, dried, manager


@pytest.fixture
def signed_in(client, shop):
    coop, fruit, dried, manager = shop
    sign_in(client, manager)
    client.get("/lang/en")
    return client


def product_form(category, **changes) -> dict:
    data = {
        "name": "Vải thiều sấy khô",
        "category_id": str(category.id),
        "description": "Vải thiều Lục Ngạn sấy lạnh.",
        "unit": "hộp",
        "price_vnd": "150.000",
        "stock": "40",
        "sku": "VT-SAY-500",
        "ocop_stars": "4",
        "certifications": ["vietgap", "geographical_indication"],
        "origin": "Lục Ngạn, Bắc Ninh",
        "status": "active",
    }
    data.update(changes)
    return data


def product_count() -> int:
    return db.session.scalar(select(func.count(Product.id)))


def png(size=(1200, 900), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(buffer, fmt)
    return buffer.getvalue()


# --- price and stock as people type them -------------------------------------------------


@pytest.mark.parametrize(
    "typed, value",
    [
        ("150000", 150000),
        ("150.000", 150000),
        ("150 000", 150000),
        ("1.250.000", 1250000),
        ("0", 0),
        ("150.000 ₫", 150000),
    ],
)
def test_whole_numbers_as_people_type_them(typed, value):
    assert parse_whole_number(typed) == value


@pytest.mark.parametrize("typed", ["12,5", "12.5", "-1", "1.50", "abc", "", "1.0000"])
def test_decimals_negatives_and_words_are_refused(app, typed):
    with pytest.raises(NotAWholeNumber):
        parse_whole_number(typed)


# --- create, edit, archive, restore --------------------------------------------------------


def test_manager_creates_a_product(signed_in, shop):
    coop, fruit, dried, manager = shop
    response = signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(dried))

    product = db.session.scalar(select(Product))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/workspace/htx-vai-thieu/products/{product.id}/edit")
    assert product.cooperative == coop
    assert product.category == dried
    assert product.slug == "vai-thieu-say-kho"
    assert (product.price_vnd, product.stock, product.unit) == (150_000, 40, "hộp")
    # The form cannot set OCOP stars (a crafted post is ignored): they come from certificates.
    assert product.ocop_stars is None
    assert product.certifications == ["vietgap", "geographical_indication"]
    assert product.status == ProductStatus.ACTIVE
    assert product.is_featured is False


def test_same_name_gets_a_unique_slug(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(make.cooperative(), slug="vai-thieu-say-kho")
    make.commit()
    signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(dried))
    assert db.session.scalar(select(Product.slug).where(Product.sku == "VT-SAY-500")) == "vai-thieu-say-kho-2"


def test_new_form_offers_top_and_sub_categories(signed_in, shop):
    page = signed_in.get("/workspace/htx-vai-thieu/products/new").get_data(as_text=True)
    assert ">Trái cây<" in page
    assert "Trái cây › Sấy khô" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"price_vnd": "12,5"}, "without decimals"),
        ({"price_vnd": "-1"}, "cannot be negative"),
        ({"price_vnd": ""}, "Enter the price"),
        ({"price_vnd": "mười nghìn"}, "whole number"),
        ({"stock": "-3"}, "cannot be negative"),
        ({"stock": "2.5"}, "without decimals"),
        ({"name": ""}, "Enter the product name"),
        ({"category_id": ""}, "Choose a category"),
        ({"category_id": "99999"}, "Not a valid choice"),
        ({"unit": "tấn"}, "Not a valid choice"),
        ({"certifications": ["iso9999"]}, "not a valid choice"),
        ({"sku": "VT SAY"}, "letters, digits"),
        ({"status": "archived"}, "Not a valid choice"),
    ],
)
def test_bad_product_input_shows_errors_and_saves_nothing(signed_in, shop, changes, message):
    coop, fruit, dried, manager = shop
    response = signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(dried, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page or 'class="field-error"' in page
    assert message.lower() in page.lower()
    assert product_count() == 0


def test_duplicate_sku_is_a_form_error(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(coop, sku="VT-SAY-500")
    make.product(make.cooperative(), sku="VT-SAY-501")
    make.commit()
    response = signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(dried))
    assert "already uses this SKU" in response.get_data(as_text=True)
    assert product_count() == 2
    # The same SKU at another cooperative is fine.
    response = signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(dried, sku="VT-SAY-501"))
    assert response.status_code == 302


def test_manager_edits_a_product(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit, name="Vải tươi", slug="vai-tuoi", sku="VT-1", status=ProductStatus.DRAFT)
    make.commit()
    url = f"/workspace/htx-vai-thieu/products/{product.id}/edit"
    page = signed_in.get(url).get_data(as_text=True)
    assert 'value="Vải tươi"' in page

    response = signed_in.post(
        url, data=product_form(dried, name="Vải thiều loại 1", sku="VT-1", ocop_stars="", certifications=[])
    )
    assert response.status_code == 302
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.name == "Vải thiều loại 1"
    assert product.slug == "vai-thieu-loai-1"
    assert product.ocop_stars is None
    assert product.certifications == []
    assert product.status == ProductStatus.ACTIVE


def test_bad_edit_changes_nothing(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit, name="Vải tươi", sku="VT-1", price_vnd=90_000)
    make.product(coop, fruit, sku="VT-2")
    make.commit()
    url = f"/workspace/htx-vai-thieu/products/{product.id}/edit"
    for changes in ({"price_vnd": "-5"}, {"sku": "VT-2"}, {"stock": "1,5"}):
        response = signed_in.post(url, data=product_form(dried, **{"sku": "VT-1", **changes}))
        assert response.status_code == 200
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert (product.name, product.price_vnd, product.sku) == ("Vải tươi", 90_000, "VT-1")


def test_archive_and_restore(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit)
    make.commit()
    base = f"/workspace/htx-vai-thieu/products/{product.id}"

    assert signed_in.post(f"{base}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.ARCHIVED
    listing = signed_in.get("/workspace/htx-vai-thieu/products/?status=archived").get_data(as_text=True)
    assert product.name in listing

    # Editing an archived product keeps it archived.
    signed_in.post(f"{base}/edit", data=product_form(fruit, sku=product.sku, status="active"))
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.ARCHIVED

    page = signed_in.post(f"{base}/archive", follow_redirects=True).get_data(as_text=True)
    assert "already archived" in page

    assert signed_in.post(f"{base}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.DRAFT


def test_status_filter_and_search(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(coop, fruit, name="Vải thiều tươi", slug="vai-thieu-tuoi", sku="VT-TUOI")
    make.product(coop, fruit, name="Mật ong hoa vải", slug="mat-ong", sku="MO-1", status=ProductStatus.DRAFT)
    make.commit()
    page = signed_in.get("/workspace/htx-vai-thieu/products/?status=draft").get_data(as_text=True)
    assert "Mật ong hoa vải" in page and "Vải thiều tươi" not in page
    page = signed_in.get("/workspace/htx-vai-thieu/products/?q=vt-tuoi").get_data(as_text=True)
    assert "Vải thiều tươi" in page and "Mật ong" not in page
    page = signed_in.get("/workspace/htx-vai-thieu/products/?q=mat ong").get_data(as_text=True)
    assert "Mật ong hoa vải" in page
    assert signed_in.get("/workspace/htx-vai-thieu/products/?status=sold").status_code == 400


def test_quick_stock_and_price_update(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit, stock=10, price_vnd=100_000)
    make.commit()
    url = f"/workspace/htx-vai-thieu/products/{product.id}/quick"
    prefix = f"p{product.id}-"

    response = signed_in.post(url, data={prefix + "stock": "25", prefix + "price_vnd": "120.000"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Product, product.id).stock, db.session.get(Product, product.id).price_vnd) == (25, 120_000)

    page = signed_in.post(url, data={prefix + "stock": "-1", prefix + "price_vnd": "12,5"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "cannot be negative" in text and "without decimals" in text
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 25


def test_services_refuse_negative_stock_and_price(app, make):
    product = make.product(stock=3, price_vnd=5)
    with pytest.raises(services.CatalogError):
        services.set_stock(product, -1)
    with pytest.raises(services.CatalogError):
        services.set_price(product, 1.5)
    assert (product.stock, product.price_vnd) == (3, 5)


def test_dashboard_counts_and_low_stock(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(coop, fruit, name="Gần hết hàng", stock=2)
    make.product(coop, fruit, name="Còn nhiều", stock=200)
    make.product(coop, fruit, name="Bản nháp", status=ProductStatus.DRAFT, stock=0)
    make.commit()
    page = signed_in.get("/workspace/htx-vai-thieu/").get_data(as_text=True)
    low = page.split("Running low", 1)[1]
    assert "Gần hết hàng" in low and "Còn nhiều" not in low and "Bản nháp" not in low
    assert "<strong>2</strong> active" in page and "<strong>1</strong> drafts" in page


# --- pending and suspended cooperatives ----------------------------------------------------


def test_pending_cooperative_prepares_products_that_stay_private(client, make):
    coop = make.cooperative(status=CooperativeStatus.PENDING, slug="htx-moi")
    category = make.category()
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    client.get("/lang/en")
    assert "Waiting for approval" in client.get("/workspace/htx-moi/").get_data(as_text=True)
    client.post("/workspace/htx-moi/products/new", data=product_form(category))
    product = db.session.scalar(select(Product))
    assert product.status == ProductStatus.ACTIVE
    assert product.is_public is False
    assert client.get(f"/products/{product.slug}").status_code == 404


def test_suspended_cooperative_can_be_viewed_but_not_changed(client, make):
    coop = make.cooperative(status=CooperativeStatus.SUSPENDED, slug="htx-tam-dung", status_reason="Hồ sơ thiếu")
    category = make.category()
    product = make.product(coop, category, stock=5)
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    client.get("/lang/en")

    page = client.get("/workspace/htx-tam-dung/products/").get_data(as_text=True)
    assert "suspended" in page and "Hồ sơ thiếu" in page
    assert client.get(f"/workspace/htx-tam-dung/products/{product.id}/edit").status_code == 200

    for url, data in [
        (
            f"/workspace/htx-tam-dung/products/{product.id}/quick",
            {f"p{product.id}-stock": "9", f"p{product.id}-price_vnd": "1"},
        ),
        (f"/workspace/htx-tam-dung/products/{product.id}/archive", {}),
        ("/workspace/htx-tam-dung/products/new", product_form(category, sku="NEW")),
        ("/workspace/htx-tam-dung/profile", {"name": "Tên mới"}),
    ]:
        response = client.post(url, data=data, follow_redirects=True)
        assert "you can look at its records but not change them" in response.get_data(as_text=True)
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert (product.stock, product.status, product_count()) == (5, ProductStatus.ACTIVE, 1)
    assert product.cooperative.name != "Tên mới"


# --- photos through the web ---------------------------------------------------------------


def upload(client, product, files, alt="Hộp vải sấy"):
    return client.post(
        f"/workspace/htx-vai-thieu/products/{product.id}/images",
        data={"photos": files, "alt_text": alt},
        content_type="multipart/form-data",
    )


def test_upload_several_photos_then_reorder_and_delete(signed_in, shop, make, app):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit)
    make.commit()
    response = upload(signed_in, product, [(io.BytesIO(png()), "a.png"), (io.BytesIO(png(fmt="JPEG")), "b.jpg")])
    assert response.status_code == 302
    images = db.session.scalars(select(ProductImage).order_by(ProductImage.position)).all()
    assert len(images) == 2
    assert all(i.alt_text == "Hộp vải sấy" for i in images)
    folder = Path(app.config["UPLOAD_FOLDER"]) / "products"
    for image in images:
        for size, bound in app.config["IMAGE_SIZES"].items():
            with Image.open(folder / f"{image.stem}-{size}.webp") as stored:
                assert max(stored.size) == min(bound, 1200)

    edit = signed_in.get(f"/workspace/htx-vai-thieu/products/{product.id}/edit").get_data(as_text=True)
    assert f"/media/products/{images[0].stem}-thumb.webp" in edit

    first, second = images
    signed_in.post(f"/workspace/htx-vai-thieu/products/{product.id}/images/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [i.id for i in db.session.get(Product, product.id).images] == [second.id, first.id]
    assert (
        signed_in.post(
            f"/workspace/htx-vai-thieu/products/{product.id}/images/{second.id}/move", data={"direction": "sideways"}
        ).status_code
        == 400
    )

    signed_in.post(f"/workspace/htx-vai-thieu/products/{product.id}/images/{first.id}/delete")
    db.session.expire_all()
    assert [i.id for i in db.session.get(Product, product.id).images] == [second.id]
    assert not list(folder.glob(f"{first.stem}-*"))


@pytest.mark.parametrize(
    "content, name",
    [
        (b"Day la van ban, khong phai anh.", "anh.jpg"),
        (png(fmt="JPEG")[:500], "cut.jpg"),
    ],
)
def test_bad_file_shows_an_error_and_saves_nothing(signed_in, shop, make, app, content, name):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit)
    make.commit()
    response = upload(signed_in, product, [(io.BytesIO(png()), "good.png"), (io.BytesIO(content), name)])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert name in page and "not a picture we can read" in page
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0
    folder = Path(app.config["UPLOAD_FOLDER"]) / "products"
    assert not folder.exists() or not list(folder.iterdir())


def test_a_refused_photo_leaves_the_product_form_showing_the_saved_product(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit, certifications=["vietgap"], status=ProductStatus.ACTIVE)
    make.commit()

    page = upload(signed_in, product, [(io.BytesIO(b"not a picture"), "a.jpg")]).get_data(as_text=True)

    # Saving the product form next must not turn it into a draft or drop its certifications.
    assert '<option selected value="active">' in page
    assert 'checked id="certifications-0" name="certifications" type="checkbox" value="vietgap"' in page


def test_upload_needs_a_file_and_alt_text(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit)
    make.commit()
    page = upload(signed_in, product, [], alt="Ảnh").get_data(as_text=True)
    assert "Choose at least one photo" in page
    page = upload(signed_in, product, [(io.BytesIO(png()), "a.png")], alt="").get_data(as_text=True)
    assert "Describe the photo" in page
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


def test_oversize_upload_gets_the_413_page(signed_in, shop, make, app):
    coop, fruit, dried, manager = shop
    product = make.product(coop, fruit)
    make.commit()
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(signed_in, product, [(io.BytesIO(png() + b"\0" * 20_000), "big.png")])
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


# --- CSV export and import ----------------------------------------------------------------


def test_csv_export(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(
        coop,
        dried,
        name="Vải thiều sấy, loại 1",
        sku="VT-1",
        price_vnd=150_000,
        stock=7,
        ocop_stars=4,
        unit="hộp",
        origin="Lục Ngạn",
    )
    make.product(make.cooperative(), dried, sku="OTHER-1", name="Của HTX khác")
    make.commit()
    response = signed_in.get("/workspace/htx-vai-thieu/products/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith("\ufeff".encode()) and not body.startswith("\ufeff\ufeff".encode())
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description"
    assert lines[1] == 'htx-vai-thieu,VT-1,"Vải thiều sấy, loại 1",Sấy khô,hộp,150000,7,4,Lục Ngạn,'
    assert len(lines) == 2


def post_csv(client, text: str, name="products.csv"):
    return client.post(
        "/workspace/htx-vai-thieu/products/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


HEADER = "cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description\n"


def test_csv_import_updates_stock_and_adds_products(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, dried, name="Vải sấy", sku="VT-1", stock=3)
    make.commit()
    response = post_csv(
        signed_in,
        HEADER
        + "htx-vai-thieu,VT-1,Vải sấy,Sấy khô,hộp,150.000,80,4,Lục Ngạn,\n"
        + "htx-vai-thieu,VT-2,Vải tươi,Trái cây,kg,60000,500,,Lục Ngạn,Vải tươi loại 1\n",
    )
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "New products: 1; updated: 1." in page
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 80
    assert product_count() == 2


def test_bad_csv_lists_every_problem_and_changes_nothing(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    product = make.product(coop, dried, sku="VT-1", stock=3)
    make.commit()
    response = post_csv(
        signed_in,
        HEADER
        + "htx-vai-thieu,VT-1,Vải sấy,Sấy khô,hộp,150000,80,,,\n"
        + "htx-vai-thieu,VT-2,Vải tươi,Trái cây,kg,12.5,-4,7,,\n",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    for column in ("price_vnd", "stock"):  # ocop_stars is not imported (certificates give the stars)
        assert f"<td>{column}</td>" in page
    assert '<td class="num">3</td>' in page  # the spreadsheet row of the bad line
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 3
    assert product_count() == 1


def test_csv_rows_of_another_cooperative_are_refused(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    other = make.cooperative(slug="htx-khac")
    make.commit()
    response = post_csv(signed_in, HEADER + "htx-khac,X-1,Gà đồi,Thịt,con,250000,5,,,\n")
    page = response.get_data(as_text=True)
    assert "<td>cooperative</td>" in page and "htx-vai-thieu" in page
    assert product_count() == 0
    assert other.products == []


def test_csv_import_rejects_a_wrong_header_and_a_missing_file(signed_in, shop):
    page = post_csv(signed_in, "sku,name\nA,B\n").get_data(as_text=True)
    assert "missing columns" in page
    response = signed_in.post("/workspace/htx-vai-thieu/products/import", data={}, content_type="multipart/form-data")
    assert "Choose a CSV file" in response.get_data(as_text=True)
    assert product_count() == 0


# --- CSRF ---------------------------------------------------------------------------------


def test_product_form_without_csrf_token_is_refused(csrf_app, make):
    client = csrf_app.test_client()
    coop = make.cooperative(slug="htx-vai-thieu")
    category = make.category()
    product = make.product(coop, category, name="Vải sấy", sku="VT-1")
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    url = f"/workspace/htx-vai-thieu/products/{product.id}/edit"

    assert client.post(url, data=product_form(category, name="Đổi tên", sku="VT-1")).status_code == 400
    assert client.post(f"/workspace/htx-vai-thieu/products/{product.id}/archive").status_code == 400
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == "Vải sấy"
    assert db.session.get(Product, product.id).status == ProductStatus.ACTIVE

    token = csrf_token(client, url)
    response = client.post(url, data={**product_form(category, name="Đổi tên", sku="VT-1"), "csrf_token": token})
    assert response.status_code == 302


def test_post_only_buttons_carry_a_working_csrf_token(csrf_app, make):
    client = csrf_app.test_client()
    coop = make.cooperative(slug="htx-vai-thieu")
    product = make.product(coop, name="Vải sấy", sku="VT-1")
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    token = csrf_token(client, "/workspace/htx-vai-thieu/products/")
    response = client.post(f"/workspace/htx-vai-thieu/products/{product.id}/archive", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.ARCHIVED
