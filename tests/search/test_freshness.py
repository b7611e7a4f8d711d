"""The index follows the database: every change shows as soon as its commit returns,
and nothing is lost when applying it fails or the index is damaged."""

import os
import shutil
from datetime import datetime

import pytest
import sqlalchemy as sa
from whoosh.index import open_dir

from marketplace.catalog.models import Category, Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.extensions import db
from marketplace.search import index as search_index
from marketplace.search.engine import search_products, suggest
from marketplace.search.index import SearchIndex, get_index
from marketplace.search.models import SearchChange
from tests import factories


def found(query, **kwargs):
    return search_products(query, per_page=50, **kwargs).product_ids


def test_new_product_is_found_once_committed(catalogue):
    assert found("sầu riêng") == []
    durian = factories.product(catalogue.luc_ngan, catalogue.fruit, name="Sầu riêng Cái Mơn")
    factories.commit()
    assert found("sau rieng") == [durian.id]


def test_rename_is_visible_right_after_commit(catalogue):
    assert found("mơ") == [catalogue.o_mai.id]
    catalogue.o_mai.name = "Ô mai sấu"
    db.session.commit()
    assert found("sau") == [catalogue.o_mai.id]
    assert found("mơ") == []


def test_change_applied_by_the_commit_itself(catalogue):
    """The request that commits updates the index; the next search has nothing to catch up."""
    search_products("")
    catalogue.gao.name = "Gạo nếp cái hoa vàng"
    db.session.commit()
    assert get_index().status()["pending_changes"] == 0
    assert found("nep cai") == [catalogue.gao.id]


@pytest.mark.parametrize("status", [ProductStatus.ARCHIVED, ProductStatus.DRAFT])
def test_product_leaving_the_shop_disappears(catalogue, status):
    catalogue.vai.status = status
    db.session.commit()
    assert found("vai thieu") == []
    catalogue.vai.status = ProductStatus.ACTIVE
    db.session.commit()
    assert found("vai thieu") == [catalogue.vai.id]


def test_deleted_product_disappears(catalogue):
    db.session.delete(catalogue.o_mai)
    db.session.commit()
    assert found("o mai") == []


def test_products_of_a_suspended_cooperative_disappear(catalogue):
    catalogue.luc_ngan.status = CooperativeStatus.SUSPENDED
    db.session.commit()
    assert found("vai thieu") == [] and found("ga doi") == []
    assert search_products("").total == 3
    catalogue.luc_ngan.status = CooperativeStatus.APPROVED
    db.session.commit()
    assert found("vai thieu") == [catalogue.vai.id]


def test_approved_cooperative_brings_its_products(catalogue):
    catalogue.pending.status = CooperativeStatus.APPROVED
    db.session.commit()
    assert found("cho duyet") == [catalogue.hidden.id]


def test_cooperative_and_category_renames_reach_their_products(catalogue):
    catalogue.ha_noi.name = "HTX Thanh niên Đông Anh"
    catalogue.food.name = "Đặc sản quê"
    db.session.commit()
    assert set(found("dong anh")) == {catalogue.duong.id, catalogue.mat_ong.id, catalogue.gao.id}
    # A top category's name reaches the products of its sub-categories too.
    assert set(found("dac san")) == {
        catalogue.duong.id,
        catalogue.ga.id,
        catalogue.mat_ong.id,
        catalogue.gao.id,
        catalogue.o_mai.id,
    }


def test_sold_out_and_restocked(catalogue):
    assert found("vải") == [catalogue.vai.id, catalogue.mat_ong.id]
    catalogue.vai.stock = 0
    catalogue.mat_ong.stock = 3
    db.session.commit()
    assert found("vải") == [catalogue.mat_ong.id, catalogue.vai.id]
    assert [s["id"] for s in suggest("vải")] == [catalogue.mat_ong.id, catalogue.vai.id]


def test_bulk_update_and_delete_statements_are_seen(catalogue):
    jam = factories.product(catalogue.luc_ngan, catalogue.fruit, name="Mứt quả", description="Làm từ vải.")
    factories.commit()
    assert found("vải")[0] == catalogue.vai.id
    db.session.execute(sa.update(Product).where(Product.id == catalogue.vai.id).values(stock=0))
    db.session.commit()
    assert found("vải")[0] == jam.id  # the lychee is sold out now
    db.session.execute(sa.update(Product).where(Product.slug == "gao-tam").values(name="Gạo lứt"))
    db.session.execute(
        sa.update(Cooperative).where(Cooperative.slug == "htx-luc-ngan").values(status=CooperativeStatus.SUSPENDED)
    )
    db.session.commit()
    assert found("gao lut") == [catalogue.gao.id]
    assert found("ga doi") == []
    db.session.execute(sa.update(Category).where(Category.slug == "thuc-pham").values(name="Đặc sản"))
    db.session.execute(sa.delete(Product).where(Product.slug == "duong-phen"))
    db.session.commit()
    assert set(found("dac san")) == {catalogue.mat_ong.id, catalogue.gao.id}


def test_rolled_back_change_is_not_applied(catalogue):
    search_products("")
    catalogue.vai.name = "Không lưu"
    db.session.flush()
    db.session.rollback()
    assert found("khong luu") == []
    assert found("vai thieu") == [catalogue.vai.id]


def test_failed_index_write_loses_nothing(catalogue, monkeypatch):
    """As if the process died between the database commit and the index write."""
    search_products("")

    def crash(self, timeout=None):
        raise OSError("disk gone")

    monkeypatch.setattr(SearchIndex, "apply_changes", crash)
    catalogue.gao.name = "Gạo ST25"
    db.session.commit()  # the commit itself succeeds
    assert get_index().status()["pending_changes"] == 1
    monkeypatch.undo()
    assert found("st25") == [catalogue.gao.id]  # the next search catches up first


def test_sync_command_applies_what_a_process_left(app, catalogue, runner):
    search_products("")
    app.config["SEARCH_APPLY_ON_COMMIT"] = False
    catalogue.gao.name = "Gạo ST25"
    catalogue.vai.status = ProductStatus.ARCHIVED
    db.session.commit()
    assert get_index().status()["pending_changes"] == 2
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0 and "Applied changes to 2 products" in result.output
    status = runner.invoke(args=["search", "status"]).output
    assert "pending_changes: 0" in status and "documents: 5" in status and "public_products: 5" in status
    app.config["SEARCH_APPLY_ON_COMMIT"] = True


def test_rebuild_command(app, catalogue, runner):
    search_products("")
    before = get_index().current_directory()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed 6 products" in result.output
    assert get_index().current_directory() != before
    assert found("vai thieu") == [catalogue.vai.id]


def _results(query, **kwargs):
    results = search_products(query, with_facets=True, per_page=50, **kwargs)
    return results.product_ids, results.total, results.facets


QUERIES = [("vai thieu", {}), ("", {}), ("gao", {}), ("duong", {"sort": "price_asc"}), ("mat ong vai", {})]


def test_rebuild_in_several_processes_finds_what_one_process_finds(app, catalogue, monkeypatch):
    """A large catalogue is indexed by forked processes, one segment each: the same results,
    totals and facet counts as a build in one process, and the index keeps taking changes."""
    search_products("")
    serial = [_results(q, **kw) for q, kw in QUERIES]
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 2)
    seen = []
    assert get_index().rebuild(progress=seen.append, processes=3) == 6
    assert sum(seen) == 6
    directory = get_index().current_directory()
    assert len(open_dir(str(directory)).reader().leaf_readers()) == 4  # three parts and the meta
    assert [_results(q, **kw) for q, kw in QUERIES] == serial
    catalogue.gao.name = "Gạo ST25"
    db.session.commit()
    assert found("st25") == [catalogue.gao.id]


def test_rebuild_fails_whole_when_a_process_fails(app, catalogue, monkeypatch):
    search_products("")
    before = get_index().current_directory()
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 2)

    def broken(row):
        if row.id == catalogue.gao.id:
            raise ValueError("unreadable product")
        return document(row)

    document = search_index.document
    monkeypatch.setattr(search_index, "document", broken)
    with pytest.raises(RuntimeError, match="unreadable product"):
        get_index().rebuild(processes=2)
    # The live index is untouched and no half-built directory is left behind.
    assert get_index().current_directory() == before
    assert sorted(p.name for p in before.parent.iterdir() if p.is_dir()) == [before.name]
    assert found("vai thieu") == [catalogue.vai.id]


SEGMENT_FILES = (".seg", ".pst", ".trm", ".col")


def _damage(directory, how):
    for path in directory.iterdir():
        if how == "garbage" and path.suffix in SEGMENT_FILES:
            path.write_bytes(os.urandom(path.stat().st_size))
        elif how == "truncated" and path.suffix in SEGMENT_FILES:
            path.write_bytes(path.read_bytes()[:64])
        elif how == "toc" and path.suffix == ".toc":
            path.write_bytes(b"not a table of contents")
    if how == "missing":
        shutil.rmtree(directory)


@pytest.mark.parametrize("how", ["garbage", "truncated", "toc", "missing"])
def test_damaged_index_is_rebuilt(catalogue, how):
    assert found("vai thieu") == [catalogue.vai.id]
    damaged = get_index().current_directory()
    # As found by the next process to start (cutting a file under this process's
    # memory map would kill it with SIGBUS; gunicorn would then start a fresh worker).
    get_index().forget()
    _damage(damaged, how)
    assert found("vai thieu") == [catalogue.vai.id]
    assert search_products("").total == 6
    assert get_index().current_directory() != damaged


def test_index_damaged_while_open_is_rebuilt(catalogue):
    """A searcher already open when the files are overwritten fails on read, then recovers."""
    assert found("ga") == [catalogue.ga.id, catalogue.gao.id]
    _damage(get_index().current_directory(), "garbage")
    assert found("ga") == [catalogue.ga.id, catalogue.gao.id]


def test_new_schema_version_builds_its_own_index(catalogue, monkeypatch):
    search_products("")
    old = get_index().current_directory()
    monkeypatch.setattr(search_index, "SCHEMA_VERSION", 99)
    get_index().forget()
    assert found("vai thieu") == [catalogue.vai.id]
    new = get_index().current_directory()
    assert new != old and new.name.startswith("v99-") and old.exists()


def test_index_of_another_schema_version_is_rebuilt(catalogue, monkeypatch):
    search_products("")
    old = get_index().current_directory()
    # The live directory claims another version in its meta document (say, copied by hand).
    get_index().forget()
    with open_dir(str(old)).writer() as writer:
        writer.update_document(**search_index.Meta(schema_version=99).to_document())
    assert found("vai thieu") == [catalogue.vai.id]
    assert get_index().current_directory() != old


def _rename_in_sql(product, name):
    """Change a product behind the ORM's back (no listener): only the log rows we write count."""
    table = Product.__table__
    db.session.execute(sa.update(table).where(table.c.id == product.id).values(name=name))


def _log(change_id, product):
    db.session.execute(sa.insert(SearchChange).values(id=change_id, product_id=product.id, created_at=sa.func.now()))


def test_change_committed_out_of_order_is_not_lost(catalogue):
    """PostgreSQL: a transaction holding a lower change id may commit after a higher one
    was applied. The skipped id stays open and is applied when it appears."""
    search_products("")
    mark = get_index().status()["mark"]
    _rename_in_sql(catalogue.gao, "Gạo lứt")
    _log(mark + 2, catalogue.gao)
    db.session.commit()
    assert found("gao lut") == [catalogue.gao.id]
    assert get_index().status()["open_ranges"] == 1
    _rename_in_sql(catalogue.duong, "Đường thốt nốt")
    _log(mark + 1, catalogue.duong)  # the slow transaction commits now
    db.session.commit()
    assert found("thot not") == [catalogue.duong.id]
    assert get_index().status()["open_ranges"] == 0


def test_emptied_change_log_rebuilds(catalogue):
    search_products("")
    db.session.execute(sa.delete(SearchChange))
    _rename_in_sql(catalogue.gao, "Gạo lứt")
    db.session.commit()
    assert found("gao lut") == [catalogue.gao.id]


def test_prune_keeps_the_newest_row(app, catalogue, runner):
    count = db.session.scalar(sa.select(sa.func.count(SearchChange.id)))
    db.session.execute(sa.update(SearchChange).values(created_at=datetime(2026, 1, 1)))
    db.session.commit()
    result = runner.invoke(args=["search", "prune", "--days", "7"])
    assert result.exit_code == 0 and f"Deleted {count - 1} change-log rows" in result.output
    assert db.session.scalar(sa.select(sa.func.count(SearchChange.id))) == 1


def test_index_that_missed_pruned_changes_is_rebuilt(app, catalogue):
    search_products("")
    app.config["SEARCH_APPLY_ON_COMMIT"] = False
    mark = get_index().status()["mark"]
    catalogue.gao.name = "Gạo lứt"
    db.session.commit()
    catalogue.duong.name = "Đường thốt nốt"
    db.session.commit()
    # The first of the two changes was pruned before this server caught up.
    db.session.execute(sa.delete(SearchChange).where(SearchChange.id <= mark + 1))
    db.session.commit()
    app.config["SEARCH_CHANGES_RETENTION_DAYS"] = 0
    before = get_index().current_directory()
    assert found("gao lut") == [catalogue.gao.id] and found("thot not") == [catalogue.duong.id]
    assert get_index().current_directory() != before


def test_busy_index_serves_results_and_catches_up_later(catalogue):
    """While another process holds the lock (a long rebuild), commits and searches go on."""
    import time

    from marketplace.search.index import file_lock

    index = get_index()
    index.catch_up_wait = 0.2
    search_products("")
    with file_lock(index.root / "lock", timeout=1):
        catalogue.gao.name = "Gạo lứt"
        started = time.monotonic()
        db.session.commit()  # waits 0.2 s for the lock, then leaves the change to later
        assert found("gao tam") == [catalogue.gao.id]  # stale, but an answer
        assert time.monotonic() - started < 1.0  # later attempts do not wait again
    assert found("gao lut") == [catalogue.gao.id]
