"""Public fair pages: phases, drafts hidden, the booth directory, fair prices, the home banner."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from marketplace.fairs import queries
from marketplace.fairs.models import BoothStatus, FairStatus

START = datetime(2026, 12, 4, 1, 0)  # 08:00 in Vietnam
END = START + timedelta(days=3)


@pytest.fixture
def clock(monkeypatch):
    """Sets "now" (naive UTC) for the fair pages and API."""

    class Clock:
        now = START

        def set(self, when: datetime) -> None:
            self.now = when

    c = Clock()
    monkeypatch.setattr("marketplace.fairs.views.utcnow", lambda: c.now)
    monkeypatch.setattr("marketplace.api.fairs.utcnow", lambda: c.now)
    # Cached storefront pages change when a fair starts or ends (core.content_version).
    monkeypatch.setattr("marketplace.core.content_version.utcnow", lambda: c.now)
    return c


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section_slugs(page: str, phase: str) -> list[str]:
    match = re.search(rf'data-phase-section="{phase}".*?</section>', page, re.DOTALL)
    return re.findall(r'data-fair="([^"]+)"', match.group(0)) if match else []


@pytest.mark.parametrize(
    ("when", "phase"),
    [
        (START - timedelta(seconds=1), "upcoming"),
        (START, "ongoing"),
        (END - timedelta(seconds=1), "ongoing"),
        (END, "past"),
    ],
)
def test_phase_edges_on_the_list_and_the_fair_page(client, make, clock, when, phase):
    make.fair("Hội chợ OCOP Bắc Ninh", slug="hoi-cho-ocop", starts_at=START, ends_at=END)
    make.commit()
    clock.set(when)

    listing = html(client.get("/fairs/"))
    assert {p: section_slugs(listing, p) for p in queries.PHASES} == {
        p: (["hoi-cho-ocop"] if p == phase else []) for p in queries.PHASES
    }
    assert section_slugs(html(client.get(f"/fairs/?status={phase}")), phase) == ["hoi-cho-ocop"]
    assert f'data-phase="{phase}"' in html(client.get("/fairs/hoi-cho-ocop"))


@pytest.mark.parametrize(
    ("status", "offset", "phase"),
    [
        (FairStatus.ACCEPTING, -timedelta(days=30), "upcoming"),
        (FairStatus.ACCEPTING, timedelta(days=1), "upcoming"),  # started but not published: not on
        (FairStatus.ACCEPTING, timedelta(days=4), "past"),
        (FairStatus.PUBLISHED, timedelta(days=1), "ongoing"),
        (FairStatus.CLOSED, timedelta(days=1), "past"),  # closed early
        (FairStatus.CLOSED, -timedelta(days=1), "past"),
    ],
)
def test_sql_phases_agree_with_fair_phase(make, status, offset, phase):
    fair = make.fair(starts_at=START, ends_at=END, status=status)
    at = START + offset
    assert fair.phase(at) == phase
    found = {p for p in queries.PHASES if fair in queries.fairs_in_phase(p, at)}
    assert found == {phase}
    assert queries.phase_counts(at) == {p: int(p == phase) for p in queries.PHASES}


def test_drafts_are_hidden_everywhere(client, make, clock):
    coop = make.cooperative()
    draft = make.fair("Hội chợ nháp", slug="hoi-cho-nhap", starts_at=START - timedelta(days=1), status=FairStatus.DRAFT)
    make.booth(draft, coop, [make.product(coop)], number="A1")
    make.commit()

    assert client.get("/fairs/hoi-cho-nhap").status_code == 404
    assert client.get("/fairs/hoi-cho-nhap/booths/A1").status_code == 404
    assert client.get("/fairs/khong-co").status_code == 404
    for url in ("/fairs/", "/fairs/?status=upcoming", "/fairs/?status=ongoing", "/fairs/?status=past", "/"):
        assert "hoi-cho-nhap" not in html(client.get(url)), url


def test_booth_directory_lists_only_approved_booths_of_approved_cooperatives(client, make, clock):
    fair = make.fair(slug="hoi-cho", starts_at=START, ends_at=END)
    shown = make.cooperative("HTX Vải thiều Lục Ngạn")
    make.booth(fair, shown, [make.product(shown, name="Vải sấy")], number="A10")
    second = make.cooperative("HTX Gà đồi Yên Thế")
    make.booth(fair, second, [make.product(second, name="Gà đồi")], number="A2")
    for name, status, number in (
        ("HTX Chờ duyệt", BoothStatus.PENDING, ""),
        ("HTX Bị từ chối", BoothStatus.REJECTED, ""),
        ("HTX Đã rút", BoothStatus.WITHDRAWN, "B7"),
    ):
        coop = make.cooperative(name)
        make.booth(fair, coop, [make.product(coop)], number=number or None, status=status)
    suspended = make.cooperative("HTX Tạm đình chỉ", status=CooperativeStatus.SUSPENDED)
    make.booth(fair, suspended, [make.product(suspended)], number="C1")
    hidden_product = make.product(shown, name="Sản phẩm đã ẩn", status="archived")
    fair.booths[0].products.append(type(fair.booths[0].products[0])(product=hidden_product))
    make.commit()

    page = html(client.get("/fairs/hoi-cho"))
    assert re.findall(r'data-booth="([^"]+)"', page) == ["A2", "A10"]  # natural order
    assert "HTX Vải thiều Lục Ngạn" in page and "Vải sấy" in page and "Gà đồi" in page
    for name in ("HTX Chờ duyệt", "HTX Bị từ chối", "HTX Đã rút", "HTX Tạm đình chỉ", "Sản phẩm đã ẩn"):
        assert name not in page
    assert 'href="/fairs/hoi-cho/booths/A10"' in page

    booth = html(client.get("/fairs/hoi-cho/booths/A10"))
    assert "HTX Vải thiều Lục Ngạn" in booth and "Vải sấy" in booth and "Gà đồi" not in booth
    for number in ("B7", "C1", "Z9"):
        assert client.get(f"/fairs/hoi-cho/booths/{number}").status_code == 404


def test_fair_price_is_a_sale_price_only_while_the_fair_is_on(client, make, clock):
    fair = make.fair(slug="hoi-cho", starts_at=START, ends_at=END)
    coop = make.cooperative()
    product = make.product(coop, name="Mật ong rừng", price_vnd=150_000)
    plain = make.product(coop, name="Trà xanh", price_vnd=80_000)
    make.booth(fair, coop, [(product, 120_000), plain], number="A1")
    make.commit()

    def prices(url):
        page = html(client.get(url))
        return re.findall(r'data-product="\d+">.*?data-price="(\d+)"', page, re.DOTALL), page

    clock.set(START - timedelta(seconds=1))
    found, page = prices("/fairs/hoi-cho")
    assert found == ["150000", "80000"]
    assert 'data-fair-price="120000"' in page and "<del" not in page  # announced, not applied

    for when in (START, END - timedelta(seconds=1)):
        clock.set(when)
        for url in ("/fairs/hoi-cho", "/fairs/hoi-cho/booths/A1"):
            found, page = prices(url)
            assert found == ["120000", "80000"], url
            assert page.count("<del") == 1 and 'data-regular-price="150000"' in page
            assert "120.000" in page and "150.000" in page

    clock.set(END)
    found, page = prices("/fairs/hoi-cho")
    assert found == ["150000", "80000"]
    assert "<del" not in page and "120.000" not in page


def test_home_banner_only_while_a_fair_is_on(client, make, clock):
    make.fair("Hội chợ Nông sản OCOP", slug="hoi-cho-ocop", starts_at=START, ends_at=END)
    make.fair("Hội chợ sắp tới", slug="hoi-cho-sap-toi", starts_at=END + timedelta(days=5))
    make.commit()

    clock.set(START - timedelta(seconds=1))
    assert "data-fairs-on-now" not in html(client.get("/"))

    clock.set(START + timedelta(hours=5))
    home = html(client.get("/"))
    assert 'data-fairs-on-now="1"' in home
    assert 'href="/fairs/hoi-cho-ocop"' in home and "hoi-cho-sap-toi" not in home

    clock.set(END)
    assert "data-fairs-on-now" not in html(client.get("/"))


def test_fair_page_shows_the_facts_in_vietnam_time(client, make, clock):
    youth_union = make.agency("Tỉnh đoàn Bắc Ninh")
    make.fair(
        "Hội chợ OCOP",
        slug="hoi-cho",
        starts_at=START,
        ends_at=END,
        venue="Nhà thi đấu tỉnh",
        street="Đường Lý Thái Tổ",
        organisers=[youth_union],
        description="Hơn 100 gian hàng.",
    )
    make.commit()

    page = html(client.get("/fairs/hoi-cho"))
    assert "04/12/2026 08:00" in page and "07/12/2026 08:00" in page  # 01:00 UTC is 08:00 in Vietnam
    assert "Nhà thi đấu tỉnh" in page and "Đường Lý Thái Tổ" in page and "Bắc Ninh" in page
    assert "Tỉnh đoàn Bắc Ninh" in page and "Hơn 100 gian hàng." in page


def test_past_fairs_are_paged_and_a_bad_status_is_refused(app, client, make, clock):
    app.config["PER_PAGE"] = 2
    for n in range(3):
        make.fair(slug=f"cu-{n}", starts_at=START - timedelta(days=30 + n), ends_at=START - timedelta(days=28 + n))
    make.commit()

    first = html(client.get("/fairs/?status=past"))
    assert section_slugs(first, "past") == ["cu-0", "cu-1"]  # most recently ended first
    assert section_slugs(html(client.get("/fairs/?status=past&page=2")), "past") == ["cu-2"]
    overview = html(client.get("/fairs/"))
    assert section_slugs(overview, "past") == ["cu-0", "cu-1", "cu-2"]
    assert client.get("/fairs/?status=soon").status_code == 400


def test_fair_page_queries_do_not_grow_with_booths(client, make, clock):
    def statements_for(url: str) -> int:
        count = 0

        def count_it(*_args):
            nonlocal count
            count += 1

        sa.event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count_it)
        return count

    small = make.fair(slug="nho", starts_at=START, ends_at=END)
    big = make.fair(slug="lon", starts_at=START, ends_at=END)
    for fair, booths in ((small, 1), (big, 5)):
        for _ in range(booths):
            coop = make.cooperative()
            make.booth(fair, coop, [(make.product(coop), 100_000), make.product(coop)])
    make.commit()

    assert statements_for("/fairs/lon") == statements_for("/fairs/nho")
