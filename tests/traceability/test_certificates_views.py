"""Certificate pages: the workspace (managers), the agency (verify, expiring), the public pages
and the API (valid certificates only; OCOP stars gone on the expiry day without a refresh)."""

from __future__ import annotations

import html
import io
from datetime import date

import pytest
from flask_babel import force_locale, gettext

from marketplace.extensions import db
from marketplace.traceability import certificates as service
from marketplace.traceability.models import Certificate
from tests import factories
from tests.cooperatives.helpers import sign_in
from tests.traceability.test_certificates import EXPIRY, PDF, fields

DAY_BEFORE = date(2026, 5, 31)


@pytest.fixture
def world(app):
    coop = factories.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai")
    product = factories.product(coop, slug="vai-thieu", name="Vải thiều sấy")
    manager = factories.manager(coop, email="manager@example.vn")
    staff = factories.staff(email="staff@example.vn")
    factories.commit()
    return type("World", (), {"coop": coop, "product": product, "manager": manager, "staff": staff})


def on_day(monkeypatch, day: date) -> None:
    monkeypatch.setattr(service, "today_in_vietnam", lambda: day)


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    """Pages read "today" in Vietnam: fixed, the day before the test certificates expire."""
    on_day(monkeypatch, DAY_BEFORE)


def vi(text: str) -> str:
    with force_locale("vi"):
        return gettext(text)


def certificate(world, verified=True, scan=None, **changes) -> Certificate:
    data = fields(**{"product_id": world.product.id, **changes})
    cert = service.create_certificate(world.coop, data, world.manager, io.BytesIO(scan) if scan else None, "c.pdf")
    if verified:
        service.verify(cert, world.staff)
    factories.commit()
    return cert


def form(**changes) -> dict:
    data = {
        "kind": "ocop",
        "ocop_stars": "4",
        "name": "",
        "product_id": "",
        "number": "OCOP-2024-17",
        "issuer": "UBND tỉnh Bắc Giang",
        "issued_on": "2024-06-01",
        "expires_on": "2026-06-01",
    }
    data.update(changes)
    return data


def test_manager_adds_a_certificate_with_its_scan(client, world):
    sign_in(client, world.manager)
    page = client.get("/workspace/htx-vai/certificates/new").get_data(as_text=True)
    assert "hết hiệu lực từ ngày" in page
    response = client.post(
        "/workspace/htx-vai/certificates/new",
        data={**form(product_id=str(world.product.id)), "scan": (io.BytesIO(PDF), "giay-chung-nhan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    cert = db.session.scalars(db.select(Certificate)).one()
    assert (cert.number, cert.ocop_stars, cert.product_id, cert.verified_at) == (
        "OCOP-2024-17",
        4,
        world.product.id,
        None,
    )
    listing = client.get("/workspace/htx-vai/certificates/").get_data(as_text=True)
    assert "OCOP-2024-17" in listing and 'data-state="unverified"' in listing


def test_form_shows_field_errors_and_saves_nothing(client, world):
    sign_in(client, world.manager)
    response = client.post("/workspace/htx-vai/certificates/new", data=form(ocop_stars="", number=""))
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert vi("Enter the certificate's number.") in page
    response = client.post("/workspace/htx-vai/certificates/new", data=form(kind="other", ocop_stars="", name=""))
    assert response.status_code == 400 and vi("Say what this certificate is.") in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 0


def test_a_text_file_named_pdf_is_refused(client, world):
    sign_in(client, world.manager)
    response = client.post(
        "/workspace/htx-vai/certificates/new",
        data={**form(), "scan": (io.BytesIO(b"not really a PDF"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert vi("Only photos (JPEG, PNG or WebP) and PDF documents are accepted.") in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 0


def test_another_cooperatives_manager_cannot_see_or_change(client, world):
    cert = certificate(world)
    stranger = factories.manager(factories.cooperative(), email="other@example.vn")
    factories.commit()
    sign_in(client, stranger)
    assert client.get("/workspace/htx-vai/certificates/").status_code == 403
    assert client.post(f"/workspace/htx-vai/certificates/{cert.id}/delete").status_code == 403
    assert db.session.get(Certificate, cert.id) is not None


@pytest.mark.parametrize(
    "who, status", [("manager", 200), ("staff", 200), ("admin", 200), ("other", 403), ("customer", 403)]
)
def test_scan_download_permissions(client, world, who, status):
    cert = certificate(world, scan=PDF)
    users = {
        "manager": world.manager,
        "staff": world.staff,
        "admin": factories.admin(),
        "other": factories.manager(factories.cooperative()),
        "customer": factories.user(),
    }
    factories.commit()
    sign_in(client, users[who])
    response = client.get(f"/workspace/htx-vai/certificates/{cert.id}/scan")
    assert response.status_code == status
    if status == 200:
        assert response.data == PDF and response.mimetype == "application/pdf"


def test_anonymous_cannot_download_a_scan(client, world):
    cert = certificate(world, scan=PDF)
    assert client.get(f"/workspace/htx-vai/certificates/{cert.id}/scan").status_code in (302, 401)
    assert client.get(f"/agency/certificates/{cert.id}/scan").status_code in (302, 401)


def test_agency_verifies_and_withdraws(client, world):
    cert = certificate(world, verified=False, scan=PDF)
    sign_in(client, world.staff)
    page = client.get("/agency/certificates/").get_data(as_text=True)
    assert f'data-certificate-id="{cert.id}"' in page and f"/agency/certificates/{cert.id}/scan" in page
    assert client.get(f"/agency/certificates/{cert.id}/scan").data == PDF
    assert client.post(f"/agency/certificates/{cert.id}/verify").status_code == 303
    db.session.expire_all()
    assert cert.verified_by_id == world.staff.id and cert.verified_at is not None
    assert world.product.ocop_stars == 4
    assert client.post(f"/agency/certificates/{cert.id}/unverify").status_code == 303
    db.session.expire_all()
    assert cert.verified_at is None and world.product.ocop_stars is None


def test_managers_and_customers_cannot_use_the_agency_pages(client, world):
    cert = certificate(world, verified=False)
    sign_in(client, world.manager)
    assert client.get("/agency/certificates/").status_code == 403
    assert client.post(f"/agency/certificates/{cert.id}/verify").status_code == 403
    db.session.expire_all()
    assert cert.verified_at is None


def test_expiring_page_and_csv(client, world, monkeypatch):
    on_day(monkeypatch, date(2026, 4, 10))
    soon = certificate(world, number="SAP-HET")
    certificate(world, number="CON-LAU", expires_on=date(2027, 1, 1))
    sign_in(client, world.staff)
    page = client.get("/agency/certificates/expiring").get_data(as_text=True)
    assert f'data-certificate-id="{soon.id}"' in page and "CON-LAU" not in page
    csv_text = client.get("/agency/certificates/expiring.csv").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert len(lines) == 2
    assert "HTX Vải thiều Lục Ngạn" in lines[1] and "SAP-HET" in lines[1] and "2026-06-01" in lines[1]


def test_product_page_and_api_the_day_before_expiry(client, world, monkeypatch):
    on_day(monkeypatch, DAY_BEFORE)
    certificate(world)
    certificate(world, kind="vietgap", ocop_stars=None, number="VG-1", verified=False)
    page = client.get("/products/vai-thieu").get_data(as_text=True)
    with force_locale("vi"):
        assert gettext("OCOP %(stars)d stars", stars=4) in page
    assert "OCOP-2024-17" in page and "VG-1" not in page  # unverified: not shown
    item = client.get(f"/api/v1/products/{world.product.id}").get_json()
    assert item["ocop_stars"] == 4
    assert [(c["kind"], c["number"], c["expires_on"], c["verified"]) for c in item["certificates"]] == [
        ("ocop", "OCOP-2024-17", "2026-06-01", True)
    ]


def test_stars_and_certificate_gone_on_the_expiry_day_before_the_refresh(client, world, monkeypatch):
    on_day(monkeypatch, DAY_BEFORE)
    certificate(world)
    assert world.product.ocop_stars == 4  # stored yesterday
    on_day(monkeypatch, EXPIRY)  # no refresh has run yet
    page = client.get("/products/vai-thieu").get_data(as_text=True)
    with force_locale("vi"):
        assert "OCOP-2024-17" not in page and gettext("OCOP %(stars)d stars", stars=4) not in page
    item = client.get(f"/api/v1/products/{world.product.id}").get_json()
    assert item["ocop_stars"] is None and item["certificates"] == []
    listing = client.get("/api/v1/products").get_json()["items"][0]
    assert listing["ocop_stars"] is None and listing["certificates"] == []


def test_cooperative_page_lists_valid_certificates_only(client, world, monkeypatch):
    on_day(monkeypatch, DAY_BEFORE)
    certificate(world, kind="vietgap", ocop_stars=None, number="VG-OK", product_id=None)
    certificate(world, kind="organic", ocop_stars=None, number="HC-CU", expires_on=date(2026, 5, 31))
    certificate(world, kind="food_safety", ocop_stars=None, number="ATTP-CHUA", verified=False)
    page = client.get("/cooperatives/htx-vai").get_data(as_text=True)
    assert "VG-OK" in page and "HC-CU" not in page and "ATTP-CHUA" not in page
