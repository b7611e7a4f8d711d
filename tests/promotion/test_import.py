"""`marketplace promotion import FILE.csv`: historical activities, all or nothing, with the
row and column of every problem."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.promotion.importer import ACTIVITY_HEADER, import_activities
from marketplace.promotion.models import (
    ActivityChange,
    ActivityStatus,
    ActivityType,
    PromotionActivity,
)
from tests import factories
from tests.promotion.helpers import build_world

HEADER = ",".join(ACTIVITY_HEADER)

GOOD = {
    "title": "Hội nghị xúc tiến thương mại vải thiều",
    "type": "trade_promotion_conference",
    "start_date": "2024-06-01",
    "end_date": "2024-06-02",
    "province": "bac ninh",
    "ward": "luc ngan",
    "agency": "Tinh doan Bac Ninh; Liên minh HTX Bắc Ninh",
    "cooperatives": "htx-vai-thieu;htx-ga-doi",
    "products": "htx-vai-thieu:VT-01; htx-ga-doi:GA-01",
    "budget_vnd": "150.000.000",
    "visitors": "1200",
    "contacts": "35",
    "contracts_count": "4",
    "contracts_value_vnd": "2500000000",
    "sales_vnd": "80.000.000",
    "media_items": "6",
}


def line(**changes) -> str:
    values = {**GOOD, **changes}
    return ",".join(f'"{values[name]}"' for name in ACTIVITY_HEADER)


@pytest.fixture
def world(app):
    world = build_world()
    factories.commit()
    return world


def write(tmp_path, text: str) -> str:
    path = tmp_path / "hoat-dong.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(PromotionActivity.id)))


def test_a_good_file_creates_approved_historical_activities(world, runner, tmp_path):
    online = line(
        title="Livestream bán gà đồi",
        type="livestream_sale",
        start_date="2023-11-20",
        end_date="2023-11-20",
        province="",
        ward="",
        agency="Tỉnh đoàn Bắc Ninh",
        cooperatives="htx-ga-doi",
        products="",
        budget_vnd="",
        visitors="",
        contacts="",
        contracts_count="0",
        contracts_value_vnd="0",
        sales_vnd="12500000",
        media_items="1",
    )
    path = write(tmp_path, f"\ufeff{HEADER}\n{line()}\n{online}\n")

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0" in result.output
    db.session.expire_all()
    conference, livestream = db.session.scalars(select(PromotionActivity).order_by(PromotionActivity.start_date.desc()))
    assert conference.status == ActivityStatus.APPROVED and conference.imported
    assert conference.type == ActivityType.CONFERENCE
    assert conference.place == "Xã Lục Ngạn, Bắc Ninh"
    assert sorted(a.name for a in conference.agencies) == ["Liên minh HTX Bắc Ninh", "Tỉnh đoàn Bắc Ninh"]
    assert sorted(c.slug for c in conference.cooperatives) == ["htx-ga-doi", "htx-vai-thieu"]
    assert sorted(p.sku for p in conference.products) == ["GA-01", "VT-01"]
    assert (conference.budget_vnd, conference.visitors, conference.business_contacts) == (150_000_000, 1200, 35)
    assert (conference.contracts_count, conference.contracts_value_vnd) == (4, 2_500_000_000)
    assert (conference.sales_vnd, conference.media_items) == (80_000_000, 6)
    assert livestream.place == "" and livestream.visitors == 0 and livestream.sales_vnd == 12_500_000
    history = db.session.scalars(select(ActivityChange.action).where(ActivityChange.activity_id == conference.id))
    assert list(history) == ["imported"]


def test_the_same_file_twice_imports_nothing_the_second_time(world, runner, tmp_path):
    path = write(tmp_path, f"{HEADER}\n{line()}\n")
    assert runner.invoke(args=["promotion", "import", path]).exit_code == 0

    again = runner.invoke(args=["promotion", "import", path])

    assert again.exit_code == 1
    assert "row 2, column title: an activity with this title and start date is already recorded" in again.output
    assert count() == 1


BAD_CELLS = [
    ({"title": ""}, "title", "a value is required"),
    ({"type": "party"}, "type", "party is not one of: trade_promotion_conference"),
    ({"start_date": "01/06/2024"}, "start_date", "01/06/2024 is not a date written YYYY-MM-DD"),
    ({"end_date": "2024-02-30"}, "end_date", "2024-02-30 is not a date written YYYY-MM-DD"),
    ({"end_date": "2024-05-31"}, "end_date", "the end date is before the start date"),
    ({"province": "Atlantis"}, "province", "unknown province Atlantis"),
    ({"ward": "Phường Không Có"}, "ward", "Phường Không Có is not a ward or commune of"),
    ({"province": "", "ward": "Lục Ngạn"}, "province", "a ward needs its province"),
    ({"agency": ""}, "agency", "a value is required"),
    ({"agency": "Hội Nông dân"}, "agency", "no agency is named Hội Nông dân"),
    (
        {"cooperatives": "htx-vai-thieu;htx-khong-co", "products": ""},
        "cooperatives",
        "no cooperative has the slug htx-khong-co",
    ),
    ({"cooperatives": "htx-cho-duyet", "products": ""}, "cooperatives", "htx-cho-duyet is not an approved cooperative"),
    ({"products": "VT-01"}, "products", "write cooperative:sku, not VT-01"),
    ({"products": "htx-vai-thieu:XX-99"}, "products", "htx-vai-thieu has no product with the SKU XX-99"),
    (
        {"cooperatives": "htx-vai-thieu", "products": "htx-ga-doi:GA-01"},
        "products",
        "htx-ga-doi:GA-01: the cooperative htx-ga-doi is not in the cooperatives column",
    ),
    ({"budget_vnd": "-5"}, "budget_vnd", "must be at least 0"),
    ({"visitors": "12.5"}, "visitors", "12.5 is not a whole number"),
    ({"contacts": "nhiều"}, "contacts", "nhiều is not a whole number"),
    ({"contracts_count": "-1"}, "contracts_count", "must be at least 0"),
    ({"contracts_value_vnd": "1e9"}, "contracts_value_vnd", "1e9 is not a whole number"),
    ({"sales_vnd": "99999999999999999999"}, "sales_vnd", "must be at most"),
    ({"media_items": "ba"}, "media_items", "ba is not a whole number"),
]


@pytest.mark.parametrize(("changes", "column", "message"), BAD_CELLS)
def test_a_bad_cell_is_reported_by_row_and_column_and_nothing_is_imported(
    world, runner, tmp_path, changes, column, message
):
    # The good row comes first: it must not be imported either.
    path = write(tmp_path, f"{HEADER}\n{line(title='Hàng tốt')}\n{line(**changes)}\n")

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert f"row 3, column {column}: {message}" in result.output
    assert "row 2" not in result.output
    assert count() == 0


def test_every_problem_of_every_row_is_listed(world, runner, tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n{line(type='x', visitors='-3')}\n{line(title='Khác', province='Atlantis')}\n",
    )

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 1
    assert "3 problem(s)" in result.output
    assert "row 2, column type:" in result.output
    assert "row 2, column visitors: must be at least 0" in result.output
    assert "row 3, column province: unknown province Atlantis" in result.output


def test_the_same_activity_twice_in_a_file_is_refused(world, runner, tmp_path):
    path = write(tmp_path, f"{HEADER}\n{line()}\n{line(title='hoi nghi xuc tien thuong mai vai thieu')}\n")

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 1
    assert "row 3, column title:" in result.output and "is already on row 2" in result.output
    assert count() == 0


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace("contacts", "business_contacts"), "missing columns: contacts"),
        (HEADER.replace("title,type", "type,title"), "columns must be in this order"),
    ],
)
def test_a_wrong_header_is_refused(world, runner, tmp_path, header, message):
    path = write(tmp_path, f"{header}\n{line()}\n")

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 1
    assert "row 1, column header:" in result.output and message in result.output
    assert count() == 0


def test_a_row_with_too_few_values_is_refused(world, runner, tmp_path):
    path = write(tmp_path, f"{HEADER}\n{line()}\nchỉ,ba,ô\n")

    result = runner.invoke(args=["promotion", "import", path])

    assert result.exit_code == 1
    assert "row 3, column -: expected 16 values, found 3" in result.output
    assert count() == 0


def test_a_missing_file_exits_non_zero(world, runner, tmp_path):
    result = runner.invoke(args=["promotion", "import", str(tmp_path / "khong-co.csv")])

    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_the_importer_flushes_and_never_commits(world):
    import_activities(f"{HEADER}\n{line()}\n".encode())
    assert count() == 1

    db.session.rollback()

    assert count() == 0


def test_help_says_imports_are_approved_and_lists_the_types(runner):
    result = runner.invoke(args=["promotion", "import", "--help"])

    assert result.exit_code == 0
    assert "APPROVED" in result.output
    assert HEADER in result.output
    for kind in ActivityType:
        assert kind.value in result.output
