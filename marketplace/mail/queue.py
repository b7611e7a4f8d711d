"""The email queue (a transactional outbox): emails are queued in the transaction that
causes them and sent after it has committed.

    register(kind, handler, preload=None)   # at import: handler(object_id) sends the email(s)
    queue_email(kind, object_id)            # in the change's transaction; never commits
    deliver_due(limit=..., now=...)         # claim due jobs, send them, record the outcome

A job is a `QueuedEmail` row. Nothing is rendered when it is queued (that is the expensive
part); the handler loads the row it is about and renders the email when it is sent. A
rolled-back change queues nothing; a committed one keeps its jobs even if the process dies
right after the commit.

Senders claim jobs with a lease: a conditional UPDATE of `claimed_until` that only succeeds
while the job is still unclaimed (or its lease ran out), checked by its row count, so any
number of senders (threads, processes, machines) may run at once and none sends a job
another has claimed. A sender that dies lets its jobs go when the lease runs out.

Who sends is the MAIL_QUEUE setting (see `init_app`):

- `inline`: the request (or command) that queued mail sends it itself, right after its
  commit, before it ends (tests; the simplest setup).
- `thread` (default): each process runs one sender thread, started with its first
  request (after gunicorn forks), woken when a request of that process queued mail and
  otherwise looking every POLL_SECONDS for retries and jobs left by dead processes.
  Commands (`marketplace orders ...`) send their own mail before they exit.
- `worker`: web processes only queue; `marketplace mail work` (a service) or
  `marketplace mail send` (cron) sends.

A failing handler is retried after BACKOFF (1 min, 5 min, 30 min, 2 h, 6 h) and given up
(`failed_at`) after MAX_ATTEMPTS; an unknown kind or a row that no longer exists is given up
at once. Either way it is logged and the other jobs are sent.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event

from marketplace.core.mail import one_connection
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.mail.models import QueuedEmail

logger = logging.getLogger(__name__)

MODES = ("inline", "thread", "worker")
MAX_ATTEMPTS = 6
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
LEASE = timedelta(minutes=10)
BATCH = 50
POLL_SECONDS = 30.0
# A woken sender thread waits this long first, so that the mail of the next requests joins the batch
# (one claim and one load for many orders, not for each: less work taken from the requests).
GATHER_SECONDS = 0.5

# session.info keys: jobs added in the session's current transaction, ids committed since.
QUEUED = "mail_queued"
COMMITTED = "mail_committed"


class Gone(Exception):
    """Raised by a handler when the row its job is about no longer exists: nothing to send, ever."""


@dataclass(frozen=True)
class Kind:
    handler: Callable[[int], None]
    preload: Callable[[list[int]], object] | None = None


_kinds: dict[str, Kind] = {}


def register(kind: str, handler: Callable[[int], None], preload: Callable[[list[int]], object] | None = None) -> None:
    """Name a job. `handler(object_id)` sends its email(s) with core.mail.send_email and raises
    on failure (the job is retried) or Gone (it is given up). `preload(object_ids)`, if given,
    loads the rows of a whole batch into the session first (in as few queries as it can) and
    returns them (they are kept referenced while the batch is sent)."""
    _kinds[kind] = Kind(handler, preload)


def queue_email(kind: str, object_id: int) -> QueuedEmail:
    """Queue a job in the current transaction (the caller commits; a rollback drops it)."""
    if kind not in _kinds:
        raise LookupError(f"No email job registered as {kind!r}")
    if object_id is None:
        raise ValueError(f"{kind}: the row must have an id (flush it first)")
    job = QueuedEmail(kind=kind, object_id=object_id, base_url=request.url_root if has_request_context() else "")
    db.session.add(job)
    db.session.info.setdefault(QUEUED, []).append(job)
    return job


# --- which jobs a commit queued ------------------------------------------------------------------


def _after_commit(session) -> None:
    jobs = session.info.pop(QUEUED, None)
    if not jobs:
        return
    ids = [state.key[1][0] for state in map(sa.inspect, jobs) if state.key is not None]
    if ids:
        session.info.setdefault(COMMITTED, []).extend(ids)


def _after_soft_rollback(session, _previous_transaction) -> None:
    # Jobs of a rolled-back (sub)transaction have left the session; the others stay queued.
    jobs = session.info.get(QUEUED)
    if jobs:
        session.info[QUEUED] = [job for job in jobs if job in session]


def take_committed() -> list[int]:
    """The ids of the jobs this app context's session committed and nobody has taken yet."""
    if not db.session.registry.has():
        return []
    return db.session.info.pop(COMMITTED, None) or []


# --- delivering ------------------------------------------------------------------------------------


@dataclass
class Delivery:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __iadd__(self, other: Delivery) -> Delivery:  # noqa: PYI034
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        return self


def _due(now: datetime):
    return sa.and_(
        QueuedEmail.sent_at.is_(None),
        QueuedEmail.failed_at.is_(None),
        QueuedEmail.send_after <= now,
        sa.or_(QueuedEmail.claimed_until.is_(None), QueuedEmail.claimed_until < now),
    )


def _update(job_id: int, **values):
    """A Core UPDATE of one job (no ORM bookkeeping: the session's copies are not used after)."""
    return sa.update(QueuedEmail.__table__).where(QueuedEmail.__table__.c.id == job_id).values(**values)


def claim(limit: int, now: datetime, ids: Iterable[int] | None = None) -> list[int]:
    """Claim up to `limit` due jobs (only among `ids` if given) for LEASE; their ids.

    A conditional UPDATE (still unsent, unclaimed or its lease run out) that returns the
    rows it changed: a job another sender claimed first is simply not among them. On
    PostgreSQL the candidates are first locked with SKIP LOCKED, so senders skip each
    other's jobs instead of waiting (and never deadlock); SQLite runs one writer at a time."""
    table = QueuedEmail.__table__
    query = sa.select(table.c.id).where(_due(now)).order_by(table.c.send_after, table.c.id).limit(limit)
    if ids is not None:
        query = query.where(table.c.id.in_(list(ids)))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        candidates = list(db.session.scalars(query))
        claimed = []
        if candidates:
            claimed = sorted(
                db.session.scalars(
                    sa.update(table)
                    .where(table.c.id.in_(candidates), _due(now))
                    .values(claimed_until=now + LEASE, attempts=table.c.attempts + 1)
                    .returning(table.c.id)
                )
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return claimed


def deliver_due(limit: int = BATCH, now: datetime | None = None, ids: Iterable[int] | None = None) -> Delivery:
    """Claim up to `limit` due jobs (only among `ids` if given), send them and record each
    outcome as soon as it is known (its own autocommitted UPDATE). Uses the app context's
    session to load rows (and commits the claim in it), so callers holding work of their
    own in that session should run this in an app context of its own."""
    fixed_now = now
    now = now or utcnow()
    ids = list(ids) if ids is not None else None
    if ids is not None and not ids:
        return Delivery()
    claimed = claim(limit if ids is None else len(ids), now, ids)
    outcome = Delivery(claimed=len(claimed))
    if not claimed:
        return outcome
    session = db.session()
    started = time.monotonic()
    loaded: list = []
    with _marks_connection() as marks, one_connection():
        try:
            jobs = session.scalars(
                sa.select(QueuedEmail).where(QueuedEmail.id.in_(claimed)).order_by(QueuedEmail.id)
            ).all()
            loaded = _preload(jobs)  # held: the session's identity map only keeps rows someone references
            for index, job in enumerate(jobs):
                if time.monotonic() - started > LEASE.total_seconds() / 2:
                    # Slow mail server: let the rest go before the lease runs out and another sender takes them.
                    table = QueuedEmail.__table__
                    marks.execute(
                        sa.update(table)
                        .where(table.c.id.in_([j.id for j in jobs[index:]]))
                        .values(claimed_until=None, attempts=table.c.attempts - 1)
                    )
                    break
                result = _run(job, fixed_now or utcnow(), marks)
                setattr(outcome, result, getattr(outcome, result) + 1)
        finally:
            session.rollback()
            loaded.clear()
    return outcome


@contextmanager
def _marks_connection():
    """An autocommit connection for the outcome of each job: one statement, one round trip,
    committed at once. On PostgreSQL without waiting for the disk (synchronous_commit off):
    a database crash in the next moment could lose a mark, and that email would be sent
    again when its lease runs out -- the same as a sender dying between send and mark."""
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    postgres = connection.dialect.name == "postgresql"
    try:
        if postgres:
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
        yield connection
        if postgres:
            connection.exec_driver_sql("RESET synchronous_commit")
    finally:
        connection.close()


def _preload(jobs: list[QueuedEmail]) -> list:
    loaded = []
    by_kind: dict[str, list[int]] = {}
    for job in jobs:
        by_kind.setdefault(job.kind, []).append(job.object_id)
    for name, object_ids in by_kind.items():
        kind = _kinds.get(name)
        if kind is not None and kind.preload is not None:
            try:
                loaded.append(kind.preload(object_ids))
            except Exception:  # only a shortcut: each handler loads what it needs anyway
                db.session.rollback()
                logger.warning("Preloading %d %s jobs failed", len(object_ids), name, exc_info=True)
    return loaded


def _run(job: QueuedEmail, now: datetime, marks) -> str:
    """Send one claimed job and record the outcome: "sent", "retrying" or "failed"."""
    job_id, name, object_id, attempts = job.id, job.kind, job.object_id, job.attempts
    kind = _kinds.get(name)
    try:
        if kind is None:
            raise Gone(f"no email job registered as {name!r}")
        with current_app.test_request_context(base_url=job.base_url or None):
            kind.handler(object_id)
    except Gone as gone:
        logger.error("Email job %s (%s %s) given up: %s", job_id, name, object_id, gone)
        statement = _update(job_id, failed_at=now, claimed_until=None, last_error=str(gone) or "gone")
        outcome = "failed"
    except Exception as error:
        if isinstance(error, sa.exc.SQLAlchemyError):
            db.session.rollback()  # the next jobs need a working session
        message = f"{type(error).__name__}: {error}"[:2000]
        if attempts >= MAX_ATTEMPTS:
            logger.exception(
                "Email job %s (%s %s) failed %d times, given up: %s", job_id, name, object_id, attempts, message
            )
            statement = _update(job_id, failed_at=now, claimed_until=None, last_error=message)
            outcome = "failed"
        else:
            delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
            logger.warning(
                "Email job %s (%s %s) failed (attempt %d), retrying in %s: %s",
                job_id,
                name,
                object_id,
                attempts,
                delay,
                message,
                exc_info=True,
            )
            statement = _update(job_id, send_after=now + delay, claimed_until=None, last_error=message)
            outcome = "retrying"
    else:
        statement = _update(job_id, sent_at=now, claimed_until=None)
        outcome = "sent"
    marks.execute(statement)
    return outcome


def deliver_all(now: datetime | None = None, limit: int = BATCH) -> Delivery:
    """Send everything due now, batch after batch (a job that fails waits for its retry time)."""
    total = Delivery()
    while True:
        batch = deliver_due(limit=limit, now=now)
        total += batch
        if batch.claimed < limit:
            return total


def deliver_in_own_context(app: Flask, ids: list[int] | None = None) -> Delivery | None:
    """Send (the given, else all due) jobs in an app context of their own: a session that
    shares nothing with the caller's. Never raises: what is not sent stays queued."""
    try:
        with app.app_context():
            return deliver_due(ids=ids) if ids is not None else deliver_all()
    except Exception:
        logger.exception("Sending queued email failed; it stays queued")
        return None


def status(now: datetime | None = None) -> dict:
    """Counts for `marketplace mail status` and monitoring."""
    now = now or utcnow()
    pending = sa.and_(QueuedEmail.sent_at.is_(None), QueuedEmail.failed_at.is_(None))
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(pending),
            sa.func.count().filter(pending, QueuedEmail.send_after <= now),
            sa.func.count().filter(pending, QueuedEmail.attempts > 0, QueuedEmail.claimed_until.is_(None)),
            sa.func.count().filter(QueuedEmail.failed_at.is_not(None)),
            sa.func.count().filter(QueuedEmail.sent_at.is_not(None)),
            sa.func.min(QueuedEmail.created_at).filter(pending),
        )
    ).one()
    oldest = row[5]
    return {
        "pending": row[0],
        "due": row[1],
        "retrying": row[2],
        "failed": row[3],
        "sent": row[4],
        "oldest_pending": oldest,
        "oldest_pending_age": (now - oldest) if oldest else None,
    }


# --- the per-process sender thread ---------------------------------------------------------------------

_sender_lock = threading.Lock()


class Sender(threading.Thread):
    """One per process (per app): sends when woken, and every POLL_SECONDS anyway."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="mail-sender", daemon=True)
        self.app = app
        self.pid = os.getpid()
        self.poll_seconds = float(app.config.get("MAIL_QUEUE_POLL_SECONDS", POLL_SECONDS))
        self.gather_seconds = float(app.config.get("MAIL_QUEUE_GATHER_SECONDS", GATHER_SECONDS))
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._woken.set()  # a first look at once: jobs left by processes that died

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            if self._woken.wait(self.poll_seconds):
                self._stopping.wait(self.gather_seconds)
            self._woken.clear()
            if self._stopping.is_set():
                return
            deliver_in_own_context(self.app)


def sender_for(app: Flask) -> Sender:
    """This process's sender thread, started on first use (so after gunicorn forks)."""
    sender = app.extensions.get("mail_sender")
    if sender is None or sender.pid != os.getpid() or not sender.is_alive():
        with _sender_lock:
            sender = app.extensions.get("mail_sender")
            if sender is None or sender.pid != os.getpid() or not sender.is_alive():
                sender = Sender(app)
                sender.start()
                app.extensions["mail_sender"] = sender
    return sender


# --- wiring --------------------------------------------------------------------------------------------


def mode(app: Flask | None = None) -> str:
    return (app or current_app).config["MAIL_QUEUE"]


def send_committed(exc=None) -> None:
    """teardown_request / teardown_appcontext: the mail this context's commits queued.

    inline: sent now. thread: the sender thread is woken, inside a request (outside one,
    e.g. a command about to exit, it is sent now). worker: left to the mail worker."""
    ids = take_committed()
    if not ids:
        return
    app = current_app._get_current_object()
    if mode(app) == "worker":
        return
    if mode(app) == "thread" and has_request_context():
        sender_for(app).wake()
        return
    deliver_in_own_context(app, ids)


def _start_sender() -> None:
    sender_for(current_app._get_current_object())


def init_app(app: Flask) -> None:
    from marketplace.config import ConfigError

    app.config.setdefault("MAIL_QUEUE", "thread")
    if app.config["MAIL_QUEUE"] not in MODES:
        raise ConfigError(f"MAIL_QUEUE must be one of {', '.join(MODES)}, not {app.config['MAIL_QUEUE']!r}.")
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
    if app.config["MAIL_QUEUE"] == "thread":
        app.before_request(_start_sender)
    # Registered after Flask-SQLAlchemy's, so run before it removes the session.
    app.teardown_request(send_committed)
    app.teardown_appcontext(send_committed)
