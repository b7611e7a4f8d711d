"""Senders: leases keep concurrent senders from sending a job twice; failures are retried, then given up."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.mail import queue
from marketplace.mail.models import QueuedEmail
from marketplace.orders import notifications
from tests import factories as f
from tests.mail.conftest import jobs

calls: list[int] = []
calls_lock = threading.Lock()


def ping(object_id: int) -> None:
    """A test job: records that it ran (with a pause, so that senders overlap)."""
    time.sleep(0.002)
    with calls_lock:
        calls.append(object_id)


def broken(object_id: int) -> None:
    raise OSError("mail server down")


queue.register("test_ping", ping)
queue.register("test_broken", broken)


@pytest.fixture(autouse=True)
def no_calls():
    calls.clear()
    yield
    calls.clear()


def queue_committed(*jobs_to_queue) -> None:
    for kind, object_id in jobs_to_queue:
        queue.queue_email(kind, object_id)
    db.session.commit()
    queue.take_committed()  # these tests send them themselves


def test_concurrent_senders_never_send_a_job_twice(app):
    queue_committed(*(("test_ping", n) for n in range(60)))
    start = threading.Barrier(3)
    errors = []

    def sender():
        try:
            with app.app_context():
                start.wait()
                while queue.deliver_due(limit=4).claimed:
                    pass
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sorted(calls) == list(range(60)) and max(Counter(calls).values()) == 1
    assert all(job.sent_at is not None and job.attempts == 1 and job.claimed_until is None for job in jobs())


def test_a_job_claimed_by_another_sender_waits_for_its_lease_to_run_out(app):
    queue_committed(("test_ping", 1))
    now = utcnow()
    assert queue.claim(10, now) == [jobs()[0].id]  # a sender that died with the job claimed

    assert queue.deliver_due(now=now + timedelta(minutes=5)).claimed == 0
    assert calls == []
    later = queue.deliver_due(now=now + queue.LEASE + timedelta(seconds=1))
    assert later.sent == 1 and calls == [1] and jobs()[0].attempts == 2


def test_a_failing_job_is_retried_with_backoff_then_given_up_and_the_others_are_sent(app):
    queue_committed(("test_broken", 1), ("test_ping", 2))
    now = utcnow()

    first = queue.deliver_due(now=now)

    assert (first.sent, first.retrying, first.failed) == (1, 1, 0) and calls == [2]
    failing = next(job for job in jobs() if job.kind == "test_broken")
    assert failing.attempts == 1 and failing.sent_at is None and failing.failed_at is None
    assert "OSError: mail server down" in failing.last_error and failing.claimed_until is None
    assert failing.send_after == now + timedelta(minutes=1)
    assert queue.deliver_due(now=now + timedelta(seconds=59)).claimed == 0  # not due yet

    delays = [failing.send_after - now]
    for attempt in range(2, queue.MAX_ATTEMPTS + 1):
        now = failing.send_after
        outcome = queue.deliver_due(now=now)
        failing = next(job for job in jobs() if job.kind == "test_broken")
        assert failing.attempts == attempt
        if attempt < queue.MAX_ATTEMPTS:
            assert outcome.retrying == 1 and failing.failed_at is None
            delays.append(failing.send_after - now)
        else:
            assert outcome.failed == 1 and failing.failed_at == now

    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    assert queue.deliver_due(now=now + timedelta(days=30)).claimed == 0
    counts = queue.status(now)
    assert (counts["pending"], counts["failed"], counts["sent"]) == (0, 1, 1)


def test_an_unknown_kind_and_a_vanished_order_are_given_up_at_once(app, outbox):
    db.session.add(QueuedEmail(kind="retired_kind", object_id=7))
    queue_committed(("order_confirmation", 999_999), ("test_ping", 3))

    outcome = queue.deliver_due()

    assert (outcome.sent, outcome.failed, outcome.retrying) == (1, 2, 0) and calls == [3]
    given_up = {job.kind: job for job in jobs() if job.failed_at is not None}
    assert set(given_up) == {"retired_kind", "order_confirmation"}
    assert "retired_kind" in given_up["retired_kind"].last_error
    assert "999999" in given_up["order_confirmation"].last_error
    assert given_up["order_confirmation"].attempts == 1 and outbox == []


def test_mail_send_reports_what_failed(app, runner):
    queue_committed(("test_broken", 1), ("test_ping", 2))

    result = runner.invoke(args=["mail", "send"])

    assert result.exit_code == 0
    assert "Sent 1 queued email job(s); 1 failed and will be retried; 0 given up." in result.output
    status = runner.invoke(args=["mail", "status"]).output
    assert "Pending: 1 (0 due now, 1 waiting to retry)" in status and "Failed (given up): 0" in status


def test_the_order_emails_are_rendered_from_a_batch_loaded_in_a_few_queries(app, outbox):
    """Ten orders' emails (30 jobs) load their rows in a handful of queries, not one per lazy attribute."""
    import sqlalchemy as sa

    cooperatives = [f.cooperative(f"HTX {n}", slug=f"htx-{n}", email=f"htx{n}@example.vn") for n in range(3)]
    products = [f.product(c, stock=100) for c in cooperatives]
    for n in range(10):
        notifications.order_placed(f.order([(p, 1) for p in products], email=f"khach{n}@example.vn"))
    db.session.commit()
    queue.take_committed()
    selects = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "queued_emails" not in statement:
            selects.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.app_context():
            outcome = queue.deliver_due(limit=50)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    assert outcome.sent == 40 and len(outbox) == 40
    assert len(selects) <= 8, selects


@pytest.mark.parametrize(("mode", "sent"), [("thread", True), ("inline", True), ("worker", False)])
def test_a_command_that_queues_mail_sends_it_before_it_exits_unless_a_worker_does(database_url, tmp_path, mode, sent):
    """E.g. `marketplace orders ...` from cron: no request ends, no sender thread outlives the command."""
    import click
    from flask.cli import with_appcontext

    from tests.conftest import empty_all_tables, make_app

    app = make_app(database_url, tmp_path, MAIL_QUEUE=mode)

    @app.cli.command("queue-a-ping")
    @with_appcontext
    def queue_a_ping():
        queue.queue_email("test_ping", 42)
        db.session.commit()
        click.echo("queued")

    try:
        result = app.test_cli_runner().invoke(args=["queue-a-ping"])  # no app context around it, as from a shell

        assert result.exit_code == 0 and "queued" in result.output
        assert calls == ([42] if sent else [])
        assert "mail_sender" not in app.extensions
    finally:
        with app.app_context():
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()
