"""The fair price on cards is a short badge ("Giá hội chợ · đến 07/12"); the product page
names the fair and its end without saying "hội chợ" twice; the filter box says how many
filters are on and starts folded."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from tests import factories as f

START = datetime(2026, 12, 4, 1, 0)
END = datetime(2026, 12, 7, 10, 0)  # 17:00 on 7 December in Vietnam


@pytest.fixture
def clock(monkeypatch):
    for module in ("marketplace.core.content_version", "marketplace.fairs.pricing", "marketplace.catalog.queries"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: START + timedelta(days=1))


def text(response) -> str:
    assert response.status_code == 200
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).replace("\xa0", " ").split())


@pytest.fixture
def shop(app, clock):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai", is_youth=True)
    fruit = f.category("Trái cây", slug="trai-cay")
    lychee = f.product(coop, fruit, name="Vải thiều sấy", slug="vai-say", price_vnd=120_000)
    plum = f.product(coop, fruit, name="Mận hậu", slug="man-hau", price_vnd=80_000)
    named_fair = f.fair("Hội chợ OCOP Bắc Giang", slug="ocop-bg", starts_at=START, ends_at=END)
    f.booth(named_fair, coop, [(lychee, 99_000)])
    market = f.fair("Phiên chợ Tết", slug="phien-cho-tet", starts_at=START, ends_at=END)
    other = f.cooperative("HTX Mận Mộc Châu", slug="htx-man")
    f.booth(market, other, [])
    f.commit()
    return {"lychee": lychee, "plum": plum, "market": market, "other": other}


def test_a_card_shows_a_short_badge_and_the_product_page_the_fair_and_its_end(client, shop):
    listing = text(client.get("/products"))
    assert "Giá hội chợ · đến 07/12" in listing
    assert "Hội chợ OCOP Bắc Giang" not in listing  # only in the badge's tooltip
    assert "hội chợ Hội chợ" not in listing

    page = text(client.get("/products/vai-say"))
    assert "Giá tại Hội chợ OCOP Bắc Giang, đến 07/12/2026 17:00" in page
    assert "hội chợ Hội chợ" not in page.replace("Giá hội chợ ·", "")


def test_a_fair_not_named_hoi_cho_reads_gia_hoi_cho_tai(client, shop):
    booth_of_plum = f.booth(shop["market"], shop["lychee"].cooperative, [(shop["plum"], 70_000)], number="B2")
    assert booth_of_plum.id
    f.commit()
    page = text(client.get("/products/man-hau"))
    assert "Giá hội chợ tại Phiên chợ Tết, đến 07/12/2026 17:00" in page


def test_the_filter_box_is_folded_and_counts_the_filters_in_use(client, shop):
    plain = client.get("/products").get_data(as_text=True)
    panel = re.search(r"<details[^>]*class=\"filter-panel\"[^>]*>", plain).group(0)
    assert " open" not in panel
    assert re.search(r">\s*Bộ lọc\s*</h2>", plain)

    filtered = text(client.get("/products?youth=1&ocop_min=3&sort=price_asc"))
    assert "Bộ lọc (2)" in filtered  # the order is not a filter
    assert "Bộ lọc (1)" in text(client.get("/categories/trai-cay?youth=1"))
    assert "Bộ lọc (1)" in text(client.get("/cooperatives/?youth=1"))
