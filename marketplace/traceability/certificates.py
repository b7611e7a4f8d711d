"""Certificates of a cooperative or of one of its products: the rules.

A certificate is valid on a day (a calendar day in Vietnam) while agency staff have verified it,
it has been issued and it has not expired: `expires_on` is the first day it is no longer valid.
Changing what was verified (the number, the dates, the scan) makes it unverified again.

A product's OCOP stars come only from its valid OCOP certificates: the stored Product.ocop_stars
(read by the filters and the search index) is recomputed when the product's certificates change
and every day by `marketplace certificates refresh`; the product page and the API read validity
at request time, so an expired certificate stops counting on its expiry day by itself.

Plain functions: they flush, never commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import OCOP_STARS, Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import files
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.traceability.models import Certificate, CertificateKind

logger = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
EXPIRING_DAYS = 60
MAX_NUMBER, MAX_ISSUER, MAX_NAME = 64, 200, 200
FIELDS = ("kind", "ocop_stars", "name", "number", "issuer", "issued_on", "expires_on", "product_id")
# What agency staff checked: changing one of them asks for a new check.
VERIFIED_FIELDS = ("kind", "ocop_stars", "name", "number", "issuer", "issued_on", "expires_on", "product_id")
SCAN_TYPES = {"pdf": ("pdf", "application/pdf"), "jpg": ("jpeg", "image/jpeg")}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png", "webp": "webp"}

KIND_LABELS = {
    CertificateKind.OCOP: _l("OCOP"),
    CertificateKind.VIETGAP: _l("VietGAP"),
    CertificateKind.ORGANIC: _l("Organic"),
    CertificateKind.FOOD_SAFETY: _l("Food-safety establishment certificate"),
    CertificateKind.OTHER: _l("Other"),
}


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


# --- validity -------------------------------------------------------------------------------


def is_valid(cert: Certificate, today: date | None = None) -> bool:
    """Verified, issued and not yet expired on `today` (Vietnam)."""
    today = today or today_in_vietnam()
    return (
        cert.verified_at is not None
        and cert.issued_on <= today
        and (cert.expires_on is None or today < cert.expires_on)
    )


def state(cert: Certificate, today: date | None = None) -> str:
    """ "valid", "expired", "not_yet" (issued later) or "unverified" — for badges."""
    today = today or today_in_vietnam()
    if cert.expires_on is not None and today >= cert.expires_on:
        return "expired"
    if cert.verified_at is None:
        return "unverified"
    if cert.issued_on > today:
        return "not_yet"
    return "valid"


def label(cert: Certificate) -> str:
    if cert.kind == CertificateKind.OTHER and cert.name:
        return cert.name
    return str(KIND_LABELS[cert.kind])


def _valid_clause(today: date):
    return sa.and_(
        Certificate.verified_at.is_not(None),
        Certificate.issued_on <= today,
        sa.or_(Certificate.expires_on.is_(None), Certificate.expires_on > today),
    )


def valid_for_product(product: Product, today: date | None = None) -> list[Certificate]:
    """The product's own valid certificates, then its cooperative's."""
    today = today or today_in_vietnam()
    query = (
        sa.select(Certificate)
        .where(
            Certificate.cooperative_id == product.cooperative_id,
            sa.or_(Certificate.product_id == product.id, Certificate.product_id.is_(None)),
            _valid_clause(today),
        )
        .order_by(Certificate.product_id.is_(None), Certificate.kind, Certificate.id)
    )
    return list(db.session.scalars(query))


def valid_for_products(products: Iterable[Product], today: date | None = None) -> dict[int, list[Certificate]]:
    """Each product's valid certificates (its own, then its cooperative's), in one query."""
    today = today or today_in_vietnam()
    products = list(products)
    if not products:
        return {}
    query = (
        sa.select(Certificate)
        .where(
            Certificate.cooperative_id.in_({p.cooperative_id for p in products}),
            sa.or_(Certificate.product_id.in_([p.id for p in products]), Certificate.product_id.is_(None)),
            _valid_clause(today),
        )
        .order_by(Certificate.product_id.is_(None), Certificate.kind, Certificate.id)
    )
    found = list(db.session.scalars(query))
    return {
        p.id: [
            c for c in found if c.product_id == p.id or (c.product_id is None and c.cooperative_id == p.cooperative_id)
        ]
        for p in products
    }


def stars_among(product: Product, valid: Iterable[Certificate]) -> int | None:
    """The highest stars among the product's own OCOP certificates in `valid`."""
    stars = [c.ocop_stars for c in valid if c.kind == CertificateKind.OCOP and c.product_id == product.id]
    return max(stars) if stars else None


def valid_for_cooperative(cooperative: Cooperative, today: date | None = None) -> list[Certificate]:
    """All valid certificates of the cooperative and of its products."""
    today = today or today_in_vietnam()
    query = (
        sa.select(Certificate)
        .where(Certificate.cooperative_id == cooperative.id, _valid_clause(today))
        .order_by(Certificate.product_id.is_not(None), Certificate.kind, Certificate.id)
    )
    return list(db.session.scalars(query))


def valid_ocop_stars(product: Product, today: date | None = None) -> int | None:
    """The highest stars among the product's valid OCOP certificates, else None."""
    today = today or today_in_vietnam()
    return db.session.scalar(
        sa.select(sa.func.max(Certificate.ocop_stars)).where(
            Certificate.product_id == product.id, Certificate.kind == CertificateKind.OCOP, _valid_clause(today)
        )
    )


def refresh_product_stars(product: Product, today: date | None = None) -> bool:
    """Set the stored OCOP stars from the certificates; True when they changed."""
    stars = valid_ocop_stars(product, today)
    if product.ocop_stars == stars:
        return False
    logger.info("Product %s OCOP stars %s -> %s (certificates)", product.id, product.ocop_stars, stars)
    product.ocop_stars = stars
    db.session.flush()
    return True


def refresh_all(today: date | None = None) -> int:
    """Every product's stored OCOP stars from its certificates (the daily run); how many changed.
    Changed through the session, so the storefront's content version moves with them."""
    today = today or today_in_vietnam()
    stars_of = dict(
        db.session.execute(
            sa.select(Certificate.product_id, sa.func.max(Certificate.ocop_stars))
            .where(Certificate.kind == CertificateKind.OCOP, Certificate.product_id.is_not(None), _valid_clause(today))
            .group_by(Certificate.product_id)
        ).all()
    )
    query = sa.select(Product).where(sa.or_(Product.ocop_stars.is_not(None), Product.id.in_(list(stars_of) or [0])))
    changed = 0
    for product in db.session.scalars(query):
        stars = stars_of.get(product.id)
        if product.ocop_stars != stars:
            product.ocop_stars = stars
            changed += 1
    db.session.flush()
    logger.info("OCOP stars refreshed from certificates: %s products changed", changed)
    return changed


def expiry_instants() -> list[datetime]:
    """The moments (naive UTC) at which a verified certificate expires (00:00 in Vietnam on its
    expiry day) within the coming weeks: public pages change then without any commit."""
    today = today_in_vietnam()
    days = db.session.scalars(
        sa.select(Certificate.expires_on)
        .where(
            Certificate.verified_at.is_not(None),
            Certificate.expires_on.is_not(None),
            Certificate.expires_on > today - timedelta(days=1),
            Certificate.expires_on <= today + timedelta(days=EXPIRING_DAYS),
        )
        .distinct()
    )
    return sorted(
        datetime.combine(day, time(), VIETNAM).astimezone(UTC).replace(tzinfo=None) for day in days if day is not None
    )


@dataclass(frozen=True)
class ExpiringGroup:
    cooperative: Cooperative
    certificates: list[Certificate]


def expiring(within_days: int = EXPIRING_DAYS, today: date | None = None) -> list[ExpiringGroup]:
    """Certificates still valid today that expire within `within_days` days, per cooperative."""
    today = today or today_in_vietnam()
    query = (
        sa.select(Certificate)
        .join(Cooperative, Cooperative.id == Certificate.cooperative_id)
        .where(
            Certificate.expires_on.is_not(None),
            Certificate.expires_on > today,
            Certificate.expires_on <= today + timedelta(days=within_days),
        )
        .order_by(Cooperative.name, Cooperative.id, Certificate.expires_on, Certificate.id)
    )
    groups: list[ExpiringGroup] = []
    for cert in db.session.scalars(query):
        if not groups or groups[-1].cooperative.id != cert.cooperative_id:
            groups.append(ExpiringGroup(cert.cooperative, []))
        groups[-1].certificates.append(cert)
    return groups


def unverified() -> list[Certificate]:
    """Certificates waiting for agency staff to check them (not yet expired)."""
    today = today_in_vietnam()
    query = (
        sa.select(Certificate)
        .where(
            Certificate.verified_at.is_(None),
            sa.or_(Certificate.expires_on.is_(None), Certificate.expires_on > today),
        )
        .order_by(Certificate.created_at, Certificate.id)
    )
    return list(db.session.scalars(query))


def of_cooperative(cooperative: Cooperative) -> list[Certificate]:
    query = (
        sa.select(Certificate)
        .where(Certificate.cooperative_id == cooperative.id)
        .order_by(Certificate.product_id.is_not(None), Certificate.kind, Certificate.issued_on.desc(), Certificate.id)
    )
    return list(db.session.scalars(query))


# --- changes --------------------------------------------------------------------------------


def _clean(cooperative: Cooperative, data: dict) -> dict:
    """The certificate's fields, checked; Refused at the first field that is wrong."""
    try:
        kind = CertificateKind(data.get("kind") or "")
    except ValueError:
        raise Refused(_("Choose the kind of certificate."), "kind") from None
    stars = data.get("ocop_stars")
    if kind == CertificateKind.OCOP:
        if stars not in OCOP_STARS:
            raise Refused(_("An OCOP certificate has 3, 4 or 5 stars."), "ocop_stars")
    elif stars is not None:
        raise Refused(_("Only an OCOP certificate has stars."), "ocop_stars")
    name = (data.get("name") or "").strip()
    if kind == CertificateKind.OTHER and not name:
        raise Refused(_("Say what this certificate is."), "name")
    if len(name) > MAX_NAME:
        raise Refused(_("At most %(num)d characters.", num=MAX_NAME), "name")
    number = (data.get("number") or "").strip()
    if not number:
        raise Refused(_("Enter the certificate's number."), "number")
    if len(number) > MAX_NUMBER:
        raise Refused(_("At most %(num)d characters.", num=MAX_NUMBER), "number")
    issuer = (data.get("issuer") or "").strip()
    if not issuer:
        raise Refused(_("Enter who issued the certificate."), "issuer")
    if len(issuer) > MAX_ISSUER:
        raise Refused(_("At most %(num)d characters.", num=MAX_ISSUER), "issuer")
    issued_on, expires_on = data.get("issued_on"), data.get("expires_on")
    if not isinstance(issued_on, date):
        raise Refused(_("Enter the date of issue."), "issued_on")
    if issued_on > today_in_vietnam():
        raise Refused(_("The date of issue cannot be in the future."), "issued_on")
    if expires_on is not None and expires_on <= issued_on:
        raise Refused(_("A certificate stops being valid after it is issued."), "expires_on")
    product_id = data.get("product_id")
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None or product.cooperative_id != cooperative.id:
            raise Refused(_("Choose one of your cooperative's products, or the whole cooperative."), "product_id")
    return {
        "kind": kind,
        "ocop_stars": stars if kind == CertificateKind.OCOP else None,
        "name": name if kind == CertificateKind.OTHER else name,
        "number": number,
        "issuer": issuer,
        "issued_on": issued_on,
        "expires_on": expires_on,
        "product_id": product_id,
    }


def _affected_products(*product_ids: int | None) -> None:
    for product_id in {p for p in product_ids if p is not None}:
        product = db.session.get(Product, product_id)
        if product is not None:
            refresh_product_stars(product)


def create_certificate(
    cooperative: Cooperative,
    data: dict,
    by: User,
    scan: BinaryIO | None = None,
    scan_filename: str | None = None,
) -> Certificate:
    """A new, unverified certificate (and its scan, when sent)."""
    values = _clean(cooperative, data)
    checked = read_scan(scan, scan_filename) if scan is not None else None
    cert = Certificate(cooperative_id=cooperative.id, created_by_id=by.id, **values)
    db.session.add(cert)
    if checked is not None:
        _store_scan(cert, checked)
    db.session.flush()
    logger.info("Certificate %s added to cooperative %s by %s", cert.id, cooperative.id, by.id)
    return cert


def update_certificate(
    cert: Certificate,
    data: dict,
    by: User,
    scan: BinaryIO | None = None,
    scan_filename: str | None = None,
) -> str | None:
    """Change a certificate; a verified one is unverified again when what was checked changed.
    Returns the stored name of a replaced scan, to delete after the commit."""
    values = _clean(cert.cooperative, data)
    checked = read_scan(scan, scan_filename) if scan is not None else None
    old_product = cert.product_id
    changed = any(getattr(cert, name) != values[name] for name in VERIFIED_FIELDS)
    for name, value in values.items():
        setattr(cert, name, value)
    old_scan = None
    if checked is not None:
        old_scan = scan_name(cert) if cert.scan_stem else None
        _store_scan(cert, checked)
        changed = True
    if changed and cert.verified_at is not None:
        cert.verified_at = None
        cert.verified_by_id = None
        logger.info("Certificate %s changed by %s: unverified again", cert.id, by.id)
    db.session.flush()
    _affected_products(old_product, cert.product_id)
    return old_scan


def delete_certificate(cert: Certificate, by: User) -> str | None:
    """Remove it; returns its scan's stored name, to delete after the commit."""
    product_id = cert.product_id
    old_scan = scan_name(cert) if cert.scan_stem else None
    db.session.delete(cert)
    db.session.flush()
    _affected_products(product_id)
    logger.info("Certificate %s deleted by %s", cert.id, by.id)
    return old_scan


def verify(cert: Certificate, by: User) -> None:
    if by.role not in (Role.AGENCY_STAFF, Role.ADMIN) and not by.is_admin:
        raise Refused(_("Only agency staff verify certificates."))
    if cert.verified_at is not None:
        raise Refused(_("This certificate is already verified."))
    cert.verified_at = utcnow()
    cert.verified_by_id = by.id
    db.session.flush()
    _affected_products(cert.product_id)
    logger.info("Certificate %s verified by %s", cert.id, by.id)


def unverify(cert: Certificate, by: User) -> None:
    if by.role not in (Role.AGENCY_STAFF, Role.ADMIN) and not by.is_admin:
        raise Refused(_("Only agency staff verify certificates."))
    if cert.verified_at is None:
        raise Refused(_("This certificate is not verified."))
    cert.verified_at = None
    cert.verified_by_id = None
    db.session.flush()
    _affected_products(cert.product_id)
    logger.info("Certificate %s unverified by %s", cert.id, by.id)


def may_download_scan(user: User, cert: Certificate) -> bool:
    """Agency staff, admins and the cooperative's managers."""
    return user.is_authenticated and (
        user.role in (Role.AGENCY_STAFF, Role.ADMIN) or user.is_admin or user.can_manage(cert.cooperative)
    )


# --- the scan -------------------------------------------------------------------------------


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "certificates"


def max_bytes() -> int:
    return int(current_app.config.get("CERTIFICATE_SCAN_MAX_BYTES") or files.DEFAULT_MAX_BYTES)


def read_scan(stream: BinaryIO, filename: str | None) -> files.CheckedFile:
    """A PDF or a photo, checked by content (core.files); Refused at the `scan` field."""
    return files.read_checked(stream, filename, max_bytes(), field="scan")


def scan_name(cert: Certificate) -> str:
    return f"{cert.scan_stem}.{EXTENSIONS.get(cert.scan_type, 'bin')}"


def scan_path(cert: Certificate) -> Path:
    return folder() / scan_name(cert)


def scan_content_type(cert: Certificate) -> str:
    return CONTENT_TYPES.get(cert.scan_type, "application/octet-stream")


def _store_scan(cert: Certificate, checked: files.CheckedFile) -> None:
    stem = secrets.token_hex(16)
    scan_type = "jpeg" if checked.extension == "jpg" else checked.extension
    folder().mkdir(parents=True, exist_ok=True)
    (folder() / f"{stem}.{EXTENSIONS[scan_type]}").write_bytes(checked.data)
    cert.scan_stem, cert.scan_type = stem, scan_type


def discard_scans(names: Iterable[str | None]) -> None:
    """Delete stored scan files (replaced or deleted ones after the commit, new ones after a rollback)."""
    for name in names:
        if name:
            (folder() / name).unlink(missing_ok=True)


# --- hooks ----------------------------------------------------------------------------------


def init_app(app) -> None:
    """The catalogue reads valid certificates and stars through its hook (catalog.certification)."""
    from marketplace.catalog import certification

    certification.register(for_product=certificates_and_stars, cooperative_certificates=valid_for_cooperative)


def certificates_and_stars(product: Product, today: date | None = None) -> tuple[list[Certificate], int | None]:
    """The product page's certificates and OCOP stars, valid today, in one query."""
    valid = valid_for_product(product, today)
    return valid, stars_among(product, valid)
