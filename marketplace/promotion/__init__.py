"""Promotion activities (commitment four): records, evidence, approval, tracking links, reports."""

from __future__ import annotations


def init_app(app) -> None:
    """An activity's tracking link credits orders through the orders' source hook (orders.sources)."""
    from marketplace.orders import sources
    from marketplace.promotion import tracking

    sources.register("activity", tracking.credit)
