"""The catalogue's pricing hook: the prices a package above registers are what the storefront,
search and orders charge, and with several adjusters the lowest price wins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog import pricing
from marketplace.catalog.models import Product
from marketplace.extensions import db
from tests import factories as f

START = datetime(2026, 12, 4, 1, 0)
END = datetime(2026, 12, 7, 10, 0)
DURING = START + timedelta(hours=2)


@pytest.fixture
def world(app):
    """Lychee at 120.000 ₫, 99.000 ₫ at a fair; honey at 200.000 ₫, at no fair."""
    coop = f.cooperative()
    lychee = f.product(coop, price_vnd=120_000)
    honey = f.product(coop, price_vnd=200_000)
    f.booth(f.fair(starts_at=START, ends_at=END), coop, [(lychee, 99_000)])
    f.commit()
    return lychee, honey


def by_column(product, at):
    return db.session.scalar(sa.select(pricing.adjusted_price_column(at)).where(Product.id == product.id))


def test_the_fairs_register_their_prices_and_when_they_start_and_end(world):
    lychee, honey = world

    found = pricing.adjusted_prices([lychee.id, honey.id], DURING)

    assert list(found) == [lychee.id]
    assert (found[lychee.id].price_vnd, found[lychee.id].regular_price_vnd, found[lychee.id].saving_vnd) == (
        99_000,
        120_000,
        21_000,
    )
    assert found[lychee.id].fair_name  # the fairs' own FairPrice, with its fair
    assert (by_column(lychee, DURING), by_column(honey, DURING)) == (99_000, None)
    assert (pricing.current_price_vnd(lychee, DURING), pricing.current_price_vnd(lychee, END)) == (99_000, 120_000)
    assert {START, END} <= set(pricing.change_instants())


@pytest.mark.parametrize("other_price, charged", [(90_000, 90_000), (110_000, 99_000)])
def test_with_two_adjusters_the_lowest_price_wins(world, monkeypatch, other_price, charged):
    lychee, honey = world

    def prices(ids, at):
        return {pid: pricing.AdjustedPrice(pid, other_price, 120_000, END) for pid in ids if pid == lychee.id}

    monkeypatch.setitem(
        pricing._adjusters,
        "market-day",
        pricing.Adjuster(
            name="market-day",
            prices=prices,
            price_column=lambda at: sa.case((Product.id == lychee.id, other_price), else_=sa.null()),
            change_instants=lambda: [END],
        ),
    )

    assert pricing.adjusted_prices([lychee.id, honey.id], DURING)[lychee.id].price_vnd == charged
    assert (by_column(lychee, DURING), by_column(honey, DURING)) == (charged, None)
    assert by_column(lychee, END) == other_price  # the fair is over: the other price alone
