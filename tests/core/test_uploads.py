"""What uploads may cost: pixels per picture (from the header, before decoding), files per
request (413), files per person per hour (429), and what a cooperative awaiting approval may
upload (photos of its draft products only)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select

from marketplace.catalog.models import ProductImage, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in
from tests.cooperatives.test_registration import form_data


def single_colour_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of one colour: a few KB that decode into width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def photo(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def shop(app, make):
    coop = make.cooperative(slug="htx-vai-thieu")
    fruit = make.category("Trái cây", slug="trai-cay")
    product = make.product(coop, fruit, status=ProductStatus.DRAFT)
    manager = make.manager(coop)
    make.commit()
    return coop, product, manager


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop[2])
    client.get("/lang/en")
    return client


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if any picture is decoded."""
    decoded = []

    def load(image):
        decoded.append(image.size)
        raise AssertionError(f"a {image.size} picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


def upload(client, product, files, coop_slug="htx-vai-thieu"):
    return client.post(
        f"/workspace/{coop_slug}/products/{product.id}/images",
        data={"photos": [(io.BytesIO(data), name) for data, name in files], "alt_text": "Vải"},
        content_type="multipart/form-data",
    )


def photo_count() -> int:
    return db.session.scalar(select(func.count(ProductImage.id)))


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "products"
    return list(folder.iterdir()) if folder.exists() else []


# --- pixels ---------------------------------------------------------------------------------


def test_a_picture_of_too_many_pixels_is_refused_from_its_header(signed_in, shop, app, no_decoding):
    data = single_colour_png(6300, 6300)  # 39.7 megapixels in a few KB
    assert len(data) < 20_000

    response = upload(signed_in, shop[1], [(data, "bom.png")])

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "bom.png" in page and "6300 × 6300 pixels" in page and "25 megapixels" in page
    assert no_decoding == []
    assert photo_count() == 0 and stored_files(app) == []


def test_the_pixel_limit_is_a_setting(signed_in, shop, app):
    app.config["MAX_IMAGE_MEGAPIXELS"] = 1
    response = upload(signed_in, shop[1], [(photo((1200, 900)), "to.png")])
    assert response.status_code == 400
    assert "1200 × 900 pixels" in response.get_data(as_text=True)

    assert upload(signed_in, shop[1], [(photo((1000, 900)), "vua.png")]).status_code == 302
    assert photo_count() == 1


# --- files per request ----------------------------------------------------------------------


def test_eleven_files_in_one_request_are_refused_before_any_is_read(signed_in, shop, app, no_decoding):
    response = upload(signed_in, shop[1], [(photo(), f"{n}.png") for n in range(11)])

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "At most 10 files can be sent at once, and this form sent 11" in page
    assert no_decoding == []
    assert photo_count() == 0 and stored_files(app) == []


def test_ten_files_are_accepted_and_the_limit_is_a_setting(signed_in, shop, app):
    assert upload(signed_in, shop[1], [(photo(), f"{n}.png") for n in range(10)]).status_code == 302
    assert photo_count() == 10

    app.config["MAX_FILES_PER_REQUEST"] = 2
    assert upload(signed_in, shop[1], [(photo(), f"{n}.png") for n in range(3)]).status_code == 413
    assert photo_count() == 10


# --- files per person per hour -------------------------------------------------------------


def test_the_hourly_budget_ends_with_a_429_and_counts_refused_batches(signed_in, shop, app, make):
    app.config["UPLOAD_FILES_PER_HOUR"] = 5
    # A batch refused for one bad file counts: its other pictures were decoded all the same.
    refused = upload(signed_in, shop[1], [(photo(), "a.png"), (b"not a picture", "b.png")])
    assert refused.status_code == 400
    assert upload(signed_in, shop[1], [(photo(), "c.png"), (photo(), "d.png")]).status_code == 302

    response = upload(signed_in, shop[1], [(photo(), "e.png"), (photo(), "f.png")])

    assert response.status_code == 429
    assert "You have sent the most files allowed in an hour (5)" in response.get_data(as_text=True)
    assert photo_count() == 2
    assert upload(signed_in, shop[1], [(photo(), "g.png")]).status_code == 302  # the fifth file fits
    assert upload(signed_in, shop[1], [(photo(), "h.png")]).status_code == 429

    # The budget is per person: another manager of the cooperative still has theirs.
    other = make.manager(shop[0])
    make.commit()
    sign_in(signed_in, other)
    assert upload(signed_in, shop[1], [(photo(), "i.png")]).status_code == 302
    assert photo_count() == 4


def test_the_budget_counts_every_kind_of_upload(signed_in, shop, app):
    app.config["UPLOAD_FILES_PER_HOUR"] = 2
    csv = "cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description\n"
    for _ in range(2):
        signed_in.post(
            "/workspace/htx-vai-thieu/products/import",
            data={"file": (io.BytesIO(csv.encode()), "products.csv")},
            content_type="multipart/form-data",
        )
    response = upload(signed_in, shop[1], [(photo(), "a.png")])
    assert response.status_code == 429
    assert photo_count() == 0


# --- a cooperative awaiting approval --------------------------------------------------------


@pytest.fixture
def pending(app, make):
    coop = make.cooperative(slug="htx-moi", status=CooperativeStatus.PENDING)
    fruit = make.category("Trái cây", slug="trai-cay")
    draft = make.product(coop, fruit, status=ProductStatus.DRAFT, sku="NHAP")
    active = make.product(coop, fruit, status=ProductStatus.ACTIVE, sku="BAN")
    other_draft = make.product(make.cooperative(slug="htx-khac"), fruit, status=ProductStatus.DRAFT)
    manager = make.manager(coop)
    make.commit()
    return coop, draft, active, other_draft, manager


def test_a_pending_cooperative_adds_photos_to_its_own_drafts_only(client, pending, app):
    coop, draft, active, other_draft, manager = pending
    sign_in(client, manager)
    client.get("/lang/en")

    assert upload(client, draft, [(photo(), "a.png")], "htx-moi").status_code == 302

    response = upload(client, active, [(photo(), "b.png")], "htx-moi")
    assert response.status_code == 400
    assert "photos can be added only to draft products" in response.get_data(as_text=True)
    assert upload(client, other_draft, [(photo(), "c.png")], "htx-khac").status_code == 403
    assert upload(client, other_draft, [(photo(), "c.png")], "htx-moi").status_code == 404
    db.session.expire_all()
    assert [image.product_id for image in db.session.scalars(select(ProductImage))] == [draft.id]
    assert len(stored_files(app)) == len(app.config["IMAGE_SIZES"])


def test_a_pending_cooperative_uploads_within_the_same_limits(client, pending, app, no_decoding):
    coop, draft, active, other_draft, manager = pending
    sign_in(client, manager)
    assert upload(client, draft, [(photo(), f"{n}.png") for n in range(11)], "htx-moi").status_code == 413
    assert upload(client, draft, [(single_colour_png(6300, 6300), "bom.png")], "htx-moi").status_code == 400
    assert no_decoding == []
    assert photo_count() == 0


def test_a_pending_cooperative_adds_its_logo_once_approved(client, pending):
    coop, draft, active, other_draft, manager = pending
    sign_in(client, manager)
    client.get("/lang/en")
    data = form_data(name=coop.name)
    data["logo"] = (io.BytesIO(photo()), "logo.png")

    page = client.post("/workspace/htx-moi/profile", data=data, content_type="multipart/form-data")

    assert "The logo can be added once the cooperative is approved" in page.get_data(as_text=True)
    db.session.expire_all()
    assert coop.logo_filename is None
