"""Certificates: validity on a Vietnam day (the expiry day is the first invalid one), verification,
OCOP stars from valid certificates, field errors and scans checked by content."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from flask import g
from PIL import Image

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.traceability import certificates as service
from marketplace.traceability.models import Certificate
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXPIRY = date(2026, 6, 1)


def picture(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 160, 30)).save(out, fmt)
    return out.getvalue()


def fields(**changes) -> dict:
    data = {
        "kind": "ocop",
        "ocop_stars": 4,
        "name": "",
        "number": "OCOP-2024-17",
        "issuer": "UBND tỉnh Bắc Giang",
        "issued_on": date(2024, 6, 1),
        "expires_on": EXPIRY,
        "product_id": None,
    }
    data.update(changes)
    return data


@pytest.fixture
def world(app):
    coop = factories.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai")
    product = factories.product(coop, slug="vai-thieu", name="Vải thiều sấy")
    manager = factories.manager(coop, email="manager@example.vn")
    staff = factories.staff(email="staff@example.vn")
    factories.commit()
    return type("World", (), {"coop": coop, "product": product, "manager": manager, "staff": staff})


def ocop(world, stars=4, expires_on=EXPIRY, verified=True, **extra) -> Certificate:
    cert = service.create_certificate(
        world.coop, fields(ocop_stars=stars, expires_on=expires_on, product_id=world.product.id, **extra), world.manager
    )
    if verified:
        service.verify(cert, world.staff)
    return cert


def test_valid_the_day_before_expiry_and_not_on_the_day(world):
    cert = ocop(world)
    assert service.is_valid(cert, date(2026, 5, 31))
    assert not service.is_valid(cert, EXPIRY)
    assert service.state(cert, EXPIRY) == "expired"
    assert not service.is_valid(cert, date(2024, 5, 31))  # before it was issued


def test_unverified_is_never_valid(world):
    cert = ocop(world, verified=False)
    assert not service.is_valid(cert, date(2025, 1, 1))
    assert service.state(cert, date(2025, 1, 1)) == "unverified"
    assert service.valid_ocop_stars(world.product, date(2025, 1, 1)) is None


def test_verification_records_who_and_when(world):
    cert = ocop(world, verified=False)
    service.verify(cert, world.staff)
    assert cert.verified_by_id == world.staff.id and cert.verified_at is not None
    service.unverify(cert, world.staff)
    assert cert.verified_at is None and cert.verified_by_id is None
    with pytest.raises(Refused):
        service.verify(cert, world.manager)  # managers do not verify their own


def test_ocop_stars_come_from_the_best_valid_certificate(world):
    today = date(2026, 5, 31)
    ocop(world, stars=3, expires_on=None)
    ocop(world, stars=5, expires_on=EXPIRY)
    ocop(world, stars=4, verified=False)
    assert service.valid_ocop_stars(world.product, today) == 5
    assert service.valid_ocop_stars(world.product, EXPIRY) == 3
    # A cooperative-wide or non-OCOP certificate gives no stars.
    world2 = factories.product(world.coop, slug="mat-ong")
    service.verify(service.create_certificate(world.coop, fields(), world.manager), world.staff)
    assert service.valid_ocop_stars(world2, today) is None


def test_stored_stars_follow_verification_and_the_daily_refresh(world, monkeypatch):
    monkeypatch.setattr(service, "today_in_vietnam", lambda: date(2026, 5, 31))
    cert = ocop(world, stars=4, verified=False)
    assert world.product.ocop_stars is None
    service.verify(cert, world.staff)
    assert world.product.ocop_stars == 4
    service.unverify(cert, world.staff)
    assert world.product.ocop_stars is None
    service.verify(cert, world.staff)
    # The day it expires the refresh takes the stars off, and leaves others alone.
    other = factories.product(world.coop, slug="khong-sao")
    assert service.refresh_all(EXPIRY) == 1
    assert world.product.ocop_stars is None and other.ocop_stars is None
    assert service.refresh_all(EXPIRY) == 0


def test_refresh_command_bumps_the_storefront_version(world, runner, monkeypatch):
    from marketplace.core import content_version

    monkeypatch.setattr(service, "today_in_vietnam", lambda: date(2026, 5, 31))
    ocop(world, stars=4)
    factories.commit()
    assert world.product.ocop_stars == 4
    monkeypatch.setattr(service, "today_in_vietnam", lambda: EXPIRY)
    g.pop("_content_version", None)
    before = content_version.current().key
    result = runner.invoke(args=["certificates", "refresh"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    db.session.expire_all()
    assert world.product.ocop_stars is None
    g.pop("_content_version", None)
    assert content_version.current().key != before


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "gold"}, "kind"),
        ({"ocop_stars": None}, "ocop_stars"),
        ({"ocop_stars": 6}, "ocop_stars"),
        ({"kind": "vietgap", "ocop_stars": 4}, "ocop_stars"),
        ({"kind": "other", "ocop_stars": None, "name": ""}, "name"),
        ({"number": "  "}, "number"),
        ({"issuer": ""}, "issuer"),
        ({"issued_on": None}, "issued_on"),
        ({"issued_on": date(2099, 1, 1), "expires_on": None}, "issued_on"),
        ({"expires_on": date(2024, 6, 1)}, "expires_on"),
    ],
)
def test_field_errors(world, changes, field):
    with pytest.raises(Refused) as refused:
        service.create_certificate(world.coop, fields(**changes), world.manager)
    assert refused.value.field == field


def test_another_cooperatives_product_is_refused(world):
    other = factories.product(factories.cooperative(), slug="khac")
    with pytest.raises(Refused) as refused:
        service.create_certificate(world.coop, fields(product_id=other.id), world.manager)
    assert refused.value.field == "product_id"


def test_scan_is_checked_by_content(world):
    with pytest.raises(Refused) as refused:
        service.create_certificate(world.coop, fields(), world.manager, io.BytesIO(b"just text, not a PDF"), "scan.pdf")
    assert refused.value.field == "scan"
    cert = service.create_certificate(world.coop, fields(), world.manager, io.BytesIO(PDF), "scan.pdf")
    assert cert.scan_type == "pdf" and service.scan_path(cert).read_bytes() == PDF
    photo = service.create_certificate(world.coop, fields(), world.manager, io.BytesIO(picture("JPEG")), "a.png")
    assert photo.scan_type == "jpeg" and service.scan_content_type(photo) == "image/jpeg"


def test_changing_a_verified_certificate_unverifies_it(world):
    cert = ocop(world)
    service.update_certificate(cert, fields(product_id=world.product.id, issuer="UBND tỉnh Bắc Giang"), world.manager)
    assert cert.verified_at is not None  # nothing changed
    service.update_certificate(cert, fields(product_id=world.product.id, number="OCOP-NEW"), world.manager)
    assert cert.verified_at is None and world.product.ocop_stars is None
    service.verify(cert, world.staff)
    service.update_certificate(
        cert, fields(product_id=world.product.id, number="OCOP-NEW"), world.manager, io.BytesIO(PDF), "new.pdf"
    )
    assert cert.verified_at is None  # a new scan is checked again


def test_expiring_groups_per_cooperative(world):
    today = date(2026, 4, 10)
    soon = ocop(world, expires_on=date(2026, 6, 1))
    ocop(world, expires_on=date(2026, 6, 10))  # 61 days: not yet
    ocop(world, expires_on=date(2026, 4, 10))  # expired today
    other_coop = factories.cooperative("HTX Chè", slug="htx-che")
    late = service.create_certificate(
        other_coop, fields(kind="vietgap", ocop_stars=None, expires_on=date(2026, 4, 11)), world.manager
    )
    groups = service.expiring(60, today)
    assert [(g.cooperative.name, [c.id for c in g.certificates]) for g in groups] == [
        ("HTX Chè", [late.id]),
        ("HTX Vải thiều Lục Ngạn", [soon.id]),
    ]


def test_expiry_instants_are_midnight_in_vietnam(world, monkeypatch):
    monkeypatch.setattr(service, "today_in_vietnam", lambda: date(2026, 5, 20))
    ocop(world)
    ocop(world, verified=False, expires_on=date(2026, 5, 25))  # unverified: shows as valid nowhere
    assert service.expiry_instants() == [datetime(2026, 5, 31, 17, 0)]
