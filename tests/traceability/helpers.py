"""Shared builders for the traceability tests."""

from __future__ import annotations

from datetime import date, datetime

from marketplace.extensions import db
from marketplace.traceability import batches
from marketplace.traceability.models import Batch, Certificate, CertificateKind
from tests import factories as f

TODAY = date(2026, 12, 3)


def batch(product, code="LO-2026-01", **fields) -> Batch:
    values = {
        "code": code,
        "produced_on": fields.pop("produced_on", date(2026, 11, 20)),
        "best_before": fields.pop("best_before", date(2027, 5, 20)),
        "quantity": fields.pop("quantity", 500),
        "province_code": fields.pop("province_code", f.BAC_NINH),
        "ward_code": fields.pop("ward_code", f.LUC_NGAN),
        "place_name": fields.pop("place_name", "Đồi vải Phượng Sơn"),
        "notes": fields.pop("notes", ""),
        "certificate_ids": fields.pop("certificate_ids", []),
    }
    if "stock" in fields:
        values["stock"] = fields.pop("stock")
    made = batches.create_batch(product, values)
    for name, value in fields.items():
        setattr(made, name, value)
    db.session.flush()
    return made


def certificate(cooperative, product=None, kind=CertificateKind.VIETGAP, **fields) -> Certificate:
    c = Certificate(
        cooperative=cooperative,
        product=product,
        kind=kind,
        ocop_stars=fields.pop("ocop_stars", 4 if kind == CertificateKind.OCOP else None),
        number=fields.pop("number", "VG-123"),
        issuer=fields.pop("issuer", "Chi cục Trồng trọt Bắc Ninh"),
        issued_on=fields.pop("issued_on", date(2025, 1, 1)),
        expires_on=fields.pop("expires_on", date(2028, 1, 1)),
        verified_at=fields.pop("verified_at", datetime(2025, 1, 5)),
        **fields,
    )
    db.session.add(c)
    db.session.flush()
    return c
