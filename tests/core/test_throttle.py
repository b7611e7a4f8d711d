"""Rate limits that hold under parallel requests (core/throttle.py).

Thirty clients at once, started together by a barrier, against limits of 5 sign-in
failures per email and 10 order lookups per client: exactly the limit is let through, on
the database the suite runs on (SQLite or PostgreSQL, DATABASE_URL) and on Redis
(TEST_REDIS_URL; skipped when it does not answer, failed with TEST_REQUIRE_REDIS=1).
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core import reads, throttle
from marketplace.core.mail import outbox
from marketplace.core.models import utcnow
from marketplace.core.throttle import Limit, ThrottleCounter
from marketplace.extensions import db
from tests import factories
from tests.accounts.conftest import use_english
from tests.cache_helpers import REDIS_TEST_URL, require_redis
from tests.conftest import empty_all_tables, make_app

PARALLEL = 30
LIMIT = Limit("test_action", "TEST_MAX", "TEST_MINUTES")


@pytest.fixture(params=["database", "redis"])
def counting_app(request, database_url, tmp_path):
    """The app counting in the database, or in Redis (a key prefix of this test's own)."""
    settings = {"REDIS_URL": "", "TEST_MAX": 5, "TEST_MINUTES": 15}
    if request.param == "redis":
        require_redis().close()
        settings.update(REDIS_URL=REDIS_TEST_URL, CACHE_KEY_PREFIX=f"throttle-test-{uuid.uuid4().hex[:10]}")
    app = make_app(database_url, tmp_path, **settings)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        reads.close(app)
        db.engine.dispose()


def at_once(count: int, work) -> list:
    """Run `work(n)` in `count` threads started together; their results (or errors), in order."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(n):
        start.wait(30)
        try:
            results[n] = work(n)
        except Exception as error:  # noqa: BLE001 - shown by the test's assertion
            results[n] = repr(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_parallel_takes_let_exactly_the_limit_through(counting_app):
    def take(_n):
        with counting_app.app_context():
            try:
                return bool(throttle.take(LIMIT, "ip:203.0.113.5"))
            finally:
                db.session.remove()

    results = at_once(PARALLEL, take)

    assert sorted(results, key=str) == [False] * 25 + [True] * 5


def test_a_refused_take_counts_nothing(counting_app):
    assert throttle.take(LIMIT, "k", amount=3)
    assert not throttle.take(LIMIT, "k", amount=3)  # 6 > 5: refused, nothing counted
    assert throttle.take(LIMIT, "k", amount=2)  # so 3 + 2 still fits
    assert not throttle.take(LIMIT, "k")
    assert not throttle.take(LIMIT, "other", amount=6)  # more than the limit on its own


def test_all_keys_or_none(counting_app):
    assert throttle.take(LIMIT, "full", amount=5)
    refused = throttle.take(LIMIT, "fresh", "full")
    assert not refused and 14 * 60 < refused.retry_after <= 15 * 60
    assert throttle.take(LIMIT, "fresh", amount=5)  # "fresh" was not counted by the refused take


def test_give_back_and_forget(counting_app):
    assert throttle.take(LIMIT, "k", amount=5)
    throttle.give_back(LIMIT, "k", amount=2)
    assert throttle.take(LIMIT, "k", amount=2)
    assert not throttle.take(LIMIT, "k")
    throttle.forget(LIMIT, "k")
    assert throttle.take(LIMIT, "k", amount=5)


def test_the_window_starts_at_the_first_attempt_and_ends_with_it(counting_app, monkeypatch):
    if counting_app.config["REDIS_URL"]:
        pytest.skip("Redis expires a key by its own clock, the window after the key's first count")
    now = utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: now)
    assert throttle.take(LIMIT, "k", amount=4)
    monkeypatch.setattr(throttle, "utcnow", lambda: now + timedelta(minutes=10))
    assert throttle.take(LIMIT, "k")
    refused = throttle.take(LIMIT, "k")
    assert not refused and refused.wait_minutes == 5  # 15 minutes after the first one, not the last
    monkeypatch.setattr(throttle, "utcnow", lambda: now + timedelta(minutes=15))
    assert throttle.take(LIMIT, "k", amount=5)  # a new window


def test_keys_that_the_database_cannot_store_are_counted_by_their_digest(counting_app):
    for key in ("email:a\x00b@example.vn", "email:\ud800@example.vn", "x" * 5000):
        assert throttle.take(LIMIT, key, amount=5)
        assert not throttle.take(LIMIT, key)


def test_expired_rows_are_pruned_when_a_key_starts_a_window(app):
    app.config.update(TEST_MAX=5, TEST_MINUTES=15, REDIS_URL="")
    for n in range(3):
        throttle.take(LIMIT, f"old{n}")
    db.session.execute(
        sa.update(ThrottleCounter).values(window_start=ThrottleCounter.window_start - timedelta(hours=1))
    )
    db.session.commit()

    throttle.take(LIMIT, "new")

    assert db.session.scalars(sa.select(ThrottleCounter.key)).all() == ["new"]


def test_counting_after_the_request_has_written(app, make):
    """SQLite lets one connection write at a time: a count taken after the request's own
    writes joins its transaction rather than waiting for it."""
    app.config.update(TEST_MAX=5, TEST_MINUTES=15)
    make.user()
    db.session.flush()
    assert throttle.take(LIMIT, "k", amount=5)
    assert not throttle.take(LIMIT, "k")
    db.session.commit()


# --- through the pages, as the black-box run did ----------------------------------------------


def test_thirty_parallel_wrong_passwords_for_one_email_check_exactly_five(counting_app, monkeypatch):
    factories.user(email="lan@example.vn")
    factories.commit()
    checked = []
    real_check = User.check_password

    def counting_check(user, password):
        checked.append(password)
        return real_check(user, password)

    monkeypatch.setattr(User, "check_password", counting_check)

    def guess(n):
        client = counting_app.test_client()
        use_english(client)
        response = client.post("/account/login", data={"email": "lan@example.vn", "password": f"guess-{n:04d}"})
        return response.status_code, "Email or password is incorrect." in response.get_data(as_text=True)

    answers = at_once(PARALLEL, guess)

    assert sorted(answers, key=str) == [(200, True)] * 5 + [(429, False)] * 25
    assert len(checked) == 5


def test_thirty_parallel_wrong_order_lookups_look_up_exactly_ten(counting_app):
    counting_app.config["ORDER_LOOKUP_MAX_FAILURES"] = 10

    def look_up(n):
        client = counting_app.test_client()
        return client.post(
            "/orders/lookup", data={"number": "DH-2026-000001", "contact": f"0900000{n:03d}"}
        ).status_code

    answers = at_once(PARALLEL, look_up)

    assert sorted(answers) == [422] * 10 + [429] * 20


def test_thirty_parallel_reset_requests_for_one_address_send_exactly_three(counting_app):
    factories.user(email="lan@example.vn")
    factories.commit()

    def ask(_n):
        return counting_app.test_client().post("/account/reset", data={"email": "lan@example.vn"}).status_code

    answers = at_once(PARALLEL, ask)

    assert sorted(answers) == [302] * 3 + [429] * 27
    assert len(outbox()) == 3


def test_redis_that_does_not_answer_leaves_the_counting_to_the_database(database_url, tmp_path):
    app = make_app(database_url, tmp_path, REDIS_URL="redis://127.0.0.1:1/0", TEST_MAX=2, TEST_MINUTES=15)
    with app.app_context():
        try:
            assert throttle.take(LIMIT, "k", amount=2)
            assert not throttle.take(LIMIT, "k")
            assert db.session.scalar(sa.select(ThrottleCounter.count)) == 2
        finally:
            db.session.remove()
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()
