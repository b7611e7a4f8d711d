"""Demo certificates: an OCOP certificate for each demo product rated OCOP, and a food-safety
certificate for each approved cooperative, dated from the day the demo is loaded so that some
always expire within 60 days (the agencies' report), one has expired and one waits for agency
staff to check it. Deterministic: the same products get the same certificates; loading twice
adds nothing (a cooperative's certificate number is the key). The stored OCOP stars are then
set from the certificates, as the daily refresh does."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core.models import utcnow
from marketplace.demo import data
from marketplace.extensions import db
from marketplace.traceability import certificates
from marketplace.traceability.models import Certificate, CertificateKind

ISSUER_OCOP = "UBND tỉnh Bắc Ninh"
ISSUER_FOOD_SAFETY = "Sở Nông nghiệp và Môi trường tỉnh Bắc Ninh"
# (days from today to the first day it is no longer valid, verified) for the first OCOP
# products in the data's order; the others are verified and valid for about three years.
SPECIAL = [(21, True), (45, True), (-10, True), (700, False)]


def load_certificates(today: date | None = None) -> int:
    today = today or certificates.today_in_vietnam()
    staff = db.session.scalars(select(User).where(User.role == Role.AGENCY_STAFF).order_by(User.id)).first()
    existing = set(db.session.execute(select(Certificate.cooperative_id, Certificate.number)).all())
    coops = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    created = 0
    ocop_index = 0

    def add(cooperative, product, kind, stars, number, issuer, expires_in, verified):
        nonlocal created
        if (cooperative.id, number) in existing:
            return
        expires_on = today + timedelta(days=expires_in)
        issued_on = min(today - timedelta(days=30), expires_on - timedelta(days=3 * 365))
        db.session.add(
            Certificate(
                cooperative=cooperative,
                product=product,
                kind=kind,
                ocop_stars=stars,
                number=number,
                issuer=issuer,
                issued_on=issued_on,
                expires_on=expires_on,
                verified_at=utcnow() if verified and staff else None,
                verified_by_id=staff.id if verified and staff else None,
            )
        )
        created += 1

    for coop_number, item in enumerate(data.COOPERATIVES, start=1):
        cooperative = coops.get(item.slug)
        if cooperative is None:
            continue
        if cooperative.status == CooperativeStatus.APPROVED:
            add(
                cooperative,
                None,
                CertificateKind.FOOD_SAFETY,
                None,
                f"{coop_number:02d}/2025/ATTP-BN",
                ISSUER_FOOD_SAFETY,
                30 if coop_number == 2 else 900 + 30 * coop_number,
                True,
            )
        products = {
            p.sku: p for p in db.session.scalars(select(Product).where(Product.cooperative_id == cooperative.id))
        }
        for product_data in item.products:
            product = products.get(product_data.sku)
            if product is None or not product_data.ocop_stars:
                continue
            expires_in, verified = SPECIAL[ocop_index] if ocop_index < len(SPECIAL) else (1000 + 7 * ocop_index, True)
            ocop_index += 1
            add(
                cooperative,
                product,
                CertificateKind.OCOP,
                product_data.ocop_stars,
                f"OCOP-BN-{ocop_index:03d}",
                ISSUER_OCOP,
                expires_in,
                verified,
            )
    db.session.flush()
    certificates.refresh_all(today)
    return created
