"""`marketplace cooperatives import` in batches: checked first, written a batch at a time
through the session (so search hears of renamed cooperatives), statistics refreshed."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.cooperatives import importer
from marketplace.cooperatives.importer import import_cooperatives
from marketplace.cooperatives.models import Cooperative, CooperativeStatus, CooperativeStatusChange
from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db
from marketplace.search.models import SearchChange
from tests.catalog.test_import_scale import planner_row_count
from tests.test_imports import COOP_HEADER, coop_row


def register(count: int, **cells) -> str:
    lines = [
        coop_row(
            slug=f"htx-so-{n}",
            name=f"HTX số {n}",
            registration_code=f"24000000{n:02d}",
            phone=f"09123456{n:02d}",
            email=f"htx{n}@example.vn",
            **cells,
        )
        for n in range(1, count + 1)
    ]
    return "\n".join([COOP_HEADER, *lines]) + "\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 2)


def test_rows_across_batches_are_created_then_updated(app, make, small_batches):
    result = import_cooperatives(register(7))
    db.session.commit()

    assert (result.created, result.updated) == (7, 0)
    assert count(Cooperative) == 7
    assert count(CooperativeStatusChange) == 7
    suspended = db.session.scalar(select(Cooperative).where(Cooperative.slug == "htx-so-3"))
    suspended.status = CooperativeStatus.SUSPENDED
    products = [make.product(suspended), make.product(suspended)]
    make.product(db.session.scalar(select(Cooperative).where(Cooperative.slug == "htx-so-4")))
    make.commit()
    mark = db.session.scalar(select(func.max(SearchChange.id)))

    renamed = register(7).replace("HTX số 3,", "HTX Thanh niên số 3,")
    result = import_cooperatives(renamed)
    db.session.commit()

    assert (result.created, result.updated) == (0, 7)
    db.session.expire_all()
    assert suspended.name == "HTX Thanh niên số 3"
    assert suspended.status == CooperativeStatus.SUSPENDED
    # The rename went through the session: its products (only its) are logged for search.
    logged = sorted(db.session.scalars(select(SearchChange.product_id).where(SearchChange.id > mark)))
    assert logged == sorted(p.id for p in products)


def test_problems_of_every_kind_are_reported_in_row_order(app, make, small_batches):
    make.cooperative(slug="htx-cu", registration_code="2400000005")
    make.commit()
    lines = register(6).splitlines()
    lines[2] = lines[2].replace(",1,10,8,", ",2,10,8,")  # is_youth
    lines[3] = "htx-thieu,HTX thiếu cột"

    with force_locale("en"), pytest.raises(ImportFailed) as failed:
        import_cooperatives("\n".join(lines))

    assert [(p.row, p.column) for p in failed.value.problems] == [(3, "is_youth"), (4, "-"), (6, "registration_code")]
    assert "belongs to another cooperative (htx-cu)" in failed.value.problems[2].message
    assert count(Cooperative) == 1


def test_command_refreshes_planner_statistics(app, runner, tmp_path):
    path = tmp_path / "htx.csv"
    path.write_text(register(7), encoding="utf-8")

    result = runner.invoke(args=["cooperatives", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Created 7, updated 0" in result.output
    db.session.expire_all()
    assert planner_row_count("cooperatives") == 7
    assert planner_row_count("cooperative_status_changes") == 7
