"""Photos are checked by content, re-encoded as WebP copies and served only by strict name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from marketplace.catalog.images import add_product_image, delete_product_image, move_image
from marketplace.cooperatives.logos import save_cooperative_logo
from marketplace.core.images import ImageRejected


def picture_bytes(fmt: str = "PNG", size=(2000, 1000), color=(200, 30, 30), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_real_picture_is_stored_as_resized_webp_copies(app, make, fmt):
    product = make.product()
    mode = "P" if fmt == "GIF" else "RGB"
    image = add_product_image(product, io.BytesIO(picture_bytes(fmt, mode=mode)), "Vải thiều Lục Ngạn")

    assert len(image.stem) == 32
    assert image.alt_text == "Vải thiều Lục Ngạn"
    assert (image.width, image.height) == (1600, 800)
    for name, bound in app.config["IMAGE_SIZES"].items():
        path = upload_dir(app) / "products" / f"{image.stem}-{name}.webp"
        with Image.open(path) as stored:
            assert stored.format == "WEBP"
            assert max(stored.size) == bound
            assert stored.mode == "RGB"


def test_small_picture_is_never_upscaled(app, make):
    product = make.product()
    image = add_product_image(product, io.BytesIO(picture_bytes(size=(120, 90))), "nhỏ")
    with Image.open(upload_dir(app) / "products" / f"{image.stem}-large.webp") as stored:
        assert stored.size == (120, 90)
    assert (image.width, image.height) == (120, 90)


def test_exif_orientation_is_applied(app, make):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    data = picture_bytes("JPEG", size=(400, 200), exif=exif.tobytes())
    image = add_product_image(make.product(), io.BytesIO(data), "xoay")
    assert (image.width, image.height) == (200, 400)


def test_positions_follow_upload_order(app, make):
    product = make.product()
    first = add_product_image(product, io.BytesIO(picture_bytes()), "một")
    second = add_product_image(product, io.BytesIO(picture_bytes()), "hai")
    assert (first.position, second.position) == (0, 1)
    assert product.main_image is first

    assert move_image(second, "up") is True
    assert [i.id for i in product.images] == [second.id, first.id]
    assert move_image(second, "up") is False


def test_text_file_named_jpg_is_rejected(app, make):
    product = make.product()
    with pytest.raises(ImageRejected) as error:
        add_product_image(product, io.BytesIO(b"this is not a picture at all"), "giả")
    assert "JPEG" in error.value.message
    assert product.images == []
    assert not (upload_dir(app) / "products").exists() or not any((upload_dir(app) / "products").iterdir())


def test_truncated_picture_is_rejected(app, make):
    data = picture_bytes("JPEG", size=(800, 600))
    with pytest.raises(ImageRejected):
        add_product_image(make.product(), io.BytesIO(data[: len(data) // 2]), "hỏng")


def test_other_formats_are_rejected(app, make):
    with pytest.raises(ImageRejected):
        add_product_image(make.product(), io.BytesIO(picture_bytes("BMP", size=(50, 50))), "bmp")


def test_decompression_bomb_is_rejected(app, make):
    # A tiny PNG that claims a 10000 x 10000 bitmap.
    data = picture_bytes("PNG", size=(10_000, 10_000), mode="1", color=0)
    assert len(data) < 100_000
    with pytest.raises(ImageRejected) as error:
        add_product_image(make.product(), io.BytesIO(data), "bom")
    assert "25" in error.value.message  # MAX_IMAGE_MEGAPIXELS


def test_too_many_bytes_is_rejected(app, make):
    app.config["MAX_IMAGE_BYTES"] = 1000
    with pytest.raises(ImageRejected):
        add_product_image(make.product(), io.BytesIO(picture_bytes(size=(300, 300)) + b"\0" * 2000), "to")


def test_delete_removes_row_and_files(app, make):
    product = make.product()
    image = add_product_image(product, io.BytesIO(picture_bytes()), "xoá")
    stem = image.stem
    delete_product_image(image)
    assert product.images == []
    assert not list((upload_dir(app) / "products").glob(f"{stem}-*"))


def test_logo_replaces_previous_files(app, make):
    coop = make.cooperative()
    first = save_cooperative_logo(coop, io.BytesIO(picture_bytes()))
    second = save_cooperative_logo(coop, io.BytesIO(picture_bytes("JPEG")))
    assert coop.logo_filename == second
    logos = upload_dir(app) / "logos"
    assert sorted(p.name for p in logos.iterdir()) == sorted([f"{second}-thumb.webp", f"{second}-medium.webp"])
    assert first != second


def test_media_route_serves_webp_with_safe_headers(app, client, make):
    image = add_product_image(make.product(), io.BytesIO(picture_bytes()), "ảnh")
    make.commit()
    response = client.get(f"/media/products/{image.stem}-thumb.webp")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    from flask import url_for

    assert url_for("media.image", stem=image.stem, size="medium").endswith(f"/media/products/{image.stem}-medium.webp")


def test_media_route_serves_logos(app, client, make):
    coop = make.cooperative()
    stem = save_cooperative_logo(coop, io.BytesIO(picture_bytes()))
    assert client.get(f"/media/logos/{stem}-medium.webp").status_code == 200
    assert client.get(f"/media/logos/{stem}-large.webp").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/products/../secret_key-thumb.webp",
        "/media/products/..%2F..%2Fsecret_key-thumb.webp",
        "/media/products/" + "a" * 32 + "-huge.webp",
        "/media/products/" + "A" * 32 + "-thumb.webp",
        "/media/products/abc-thumb.webp",
        "/media/products/" + "a" * 32 + "-thumb.webp",  # well-formed but unknown
        "/media/logos/..-thumb.webp",
    ],
)
def test_media_route_refuses_bad_names(client, path):
    assert client.get(path).status_code == 404
