"""Managers keep their cooperative's profile and logo up to date."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in
from tests.cooperatives.test_registration import form_data


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def test_profile_shows_current_values(client, make):
    coop = make.cooperative(name="HTX Mật ong Yên Thế", slug="htx-mat-ong")
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    page = client.get("/workspace/htx-mat-ong/profile").get_data(as_text=True)
    assert 'value="HTX Mật ong Yên Thế"' in page
    assert coop.ward_name in page  # the ward select lists the wards of the saved province


def test_manager_updates_profile_and_logo(client, make, app):
    coop = make.cooperative(slug="htx-mat-ong")
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    data = form_data(name="HTX Mật ong hoa vải", member_count="20", youth_member_count="15")
    data["logo"] = (io.BytesIO(picture()), "logo.jpg")
    response = client.post("/workspace/htx-mat-ong/profile", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.name == "HTX Mật ong hoa vải"
    assert coop.slug == "htx-mat-ong"  # links keep working
    assert (coop.member_count, coop.youth_member_count) == (20, 15)
    assert coop.logo_filename
    assert (Path(app.config["UPLOAD_FOLDER"]) / "logos" / f"{coop.logo_filename}-medium.webp").exists()
    page = client.get("/workspace/htx-mat-ong/profile").get_data(as_text=True)
    assert f"/media/logos/{coop.logo_filename}-thumb.webp" in page


def test_bad_logo_or_fields_change_nothing(client, make):
    coop = make.cooperative(name="HTX Cũ", slug="htx-mat-ong")
    manager = make.manager(coop)
    make.commit()
    sign_in(client, manager)
    client.get("/lang/en")
    data = form_data(name="HTX Mới")
    data["logo"] = (io.BytesIO(b"%PDF-1.4 not an image"), "logo.png")
    page = client.post("/workspace/htx-mat-ong/profile", data=data, content_type="multipart/form-data")
    assert "not a picture we can read" in page.get_data(as_text=True)
    page = client.post("/workspace/htx-mat-ong/profile", data=form_data(name="HTX Mới", youth_member_count="99"))
    assert "cannot be more than all members" in page.get_data(as_text=True)
    db.session.expire_all()
    assert (coop.name, coop.logo_filename) == ("HTX Cũ", None)
