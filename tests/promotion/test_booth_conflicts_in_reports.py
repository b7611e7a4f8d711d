"""A booth-app sale in conflict is not in the promotion report's measured sales until a manager confirms it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import booth_sync
from marketplace.fairs.booth_access import BoothActor
from marketplace.fairs.models import OnSiteSale
from marketplace.promotion import reports
from marketplace.promotion.reports import promotion_report
from tests.promotion.test_reports import data, year  # noqa: F401 - the fixture, reused

CONFLICT_VND = 46 * 10_000


def synced_conflict(d):
    """46 of a1 sold offline at 10,000 đ while only 45 are left: a conflict."""
    actor = BoothActor(booth=d.booth_a, user=d.manager_a)
    batch = {
        "sales": [
            {
                "id": str(uuid.uuid4()),
                "product_id": d.a1.id,
                "quantity": 46,
                "unit_price_vnd": 10_000,
                "payment": "cash",
                "sold_at": (utcnow() - timedelta(minutes=5)).isoformat() + "Z",
            }
        ]
    }
    [result] = booth_sync.sync_sales(actor, batch)
    db.session.commit()
    assert result["status"] == "conflict"
    return db.session.get(OnSiteSale, result["sale_id"])


def measured(report) -> tuple[int, int, list[int]]:
    online, on_site = reports.drill_measured(report)
    return report.totals.sales_measured_vnd, sum(p.items_total_vnd for p in online), [s.id for s in on_site]


def test_a_conflict_counts_only_once_confirmed(data):  # noqa: F811 - the fixture
    conflict = synced_conflict(data)

    report = promotion_report(year(2024, group_by="type"))
    total, _online, on_site = measured(report)
    assert total == 430_000 and conflict.id not in on_site
    fair_group = {g.key: g.figures.as_dict() for g in report.groups}["fair_exhibition"]
    assert fair_group["sales_measured_vnd"] == 230_000

    booth_sync.confirm_conflict(conflict, "0", data.manager_a)
    db.session.commit()

    report = promotion_report(year(2024, group_by="type"))
    total, _online, on_site = measured(report)
    assert total == 430_000 + CONFLICT_VND and conflict.id in on_site
    fair_group = {g.key: g.figures.as_dict() for g in report.groups}["fair_exhibition"]
    assert fair_group["sales_measured_vnd"] == 230_000 + CONFLICT_VND


def test_a_cancelled_conflict_never_counts(data):  # noqa: F811 - the fixture
    conflict = synced_conflict(data)
    booth_sync.cancel_conflict(conflict, "Khách không lấy", data.manager_a)
    db.session.commit()

    total, _online, on_site = measured(promotion_report(year(2024)))
    assert total == 430_000 and conflict.id not in on_site
