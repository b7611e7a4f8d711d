"""One transaction per request, committed or rolled back in one place.

Views parse, check access, call services and return: they do not commit. When the
response is a success (status below 400) the request's transaction is committed after
the view has returned; any other answer, and any exception, rolls it back. Services
flush and never commit, so a request's changes land together or not at all.

A business rule that refuses (`Refused`) and is not caught rolls back and answers:
JSON 400 `{"error", "details": {field: message}}` on the API; on a page, the message
flashed and the visitor sent back where the form was (or a 400 page). A view that shows
the refusal next to a form field uses `attempt(form)` instead:

    with attempt(form) as outcome:
        services.do_something(...)
    if outcome.done:
        flash(...); return redirect(...)
    return render_template(..., form=form)

A commit in the middle of a request (before calling a payment provider, or to keep a
counted failed attempt while the answer is a refusal) is `commit_now()`, with the reason
next to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, flash, g, has_request_context, redirect, render_template, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marketplace.core.errors import Refused, api_error, wants_json
from marketplace.extensions import db

logger = logging.getLogger(__name__)


def commit_now() -> None:
    """Commit what the request has done so far, before it ends. Say why where you call it."""
    db.session.commit()


def roll_back() -> None:
    db.session.rollback()


@dataclass
class Outcome:
    refused: Refused | None = None

    @property
    def done(self) -> bool:
        return self.refused is None


@contextmanager
def attempt(form=None, *, show: bool = True) -> Iterator[Outcome]:
    """Run a service call. On `Refused`: roll back, show the message next to its form field
    (flashed when there is no form or no such field), and carry on with `outcome.refused`
    set. `show=False` when the view shows `outcome.refused` itself (on a page that is not
    a WTForms form, or a form placing it in its own way). The changes are flushed at the
    end of the block, so a broken constraint surfaces here (as IntegrityError) rather than
    at the commit after the view; any exception that leaves the block has rolled the
    changes back first, so a view that catches it (a form sent twice at once) may answer
    with a redirect without committing half of them."""
    from marketplace.core.forms import attach_error

    outcome = Outcome()
    try:
        yield outcome
        db.session.flush()
    except Refused as error:
        roll_back()
        outcome.refused = error
        if not show:
            return
        if form is not None:
            attach_error(form, error)
        else:
            flash(error.message, "error")
    except Exception:
        roll_back()
        raise


def _same_site_referrer() -> str | None:
    """Where the refused form was, if it was on this site."""
    referrer = request.referrer
    if referrer and urlsplit(referrer).netloc in ("", request.host):
        return referrer
    return None


def handle_refused(error: Refused):
    roll_back()
    if wants_json():
        return api_error(400, error.message, {error.field: error.message} if error.field else None)
    back = _same_site_referrer()
    if request.method != "GET" and back:
        flash(error.message, "error")
        return redirect(back)
    return render_template("errors/400.html", refusal=error.message), 400


def _note_write(session, _flush_context) -> None:
    if has_request_context():
        g.database_written = True


def _wrote() -> bool:
    session = db.session
    return bool(g.get("database_written") or session.new or session.dirty or session.deleted)


def _commit_or_roll_back(response: Response) -> Response:
    if response.status_code < 400:
        # The commit may fail (a constraint checked at commit, the database gone): the
        # exception then goes to the error handlers, which roll back and answer 500.
        db.session.commit()
    elif _wrote():
        # Only when this request changed something: the session's end rolls back anyway,
        # and a request that wrote nothing leaves whatever else the session holds alone.
        roll_back()
    return response


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _note_write):
        event.listen(Session, "after_flush", _note_write)
    app.after_request(_commit_or_roll_back)
    app.register_error_handler(Refused, handle_refused)
