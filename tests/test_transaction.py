"""The request's one transaction: committed when the answer is a success, rolled back otherwise."""

from __future__ import annotations

import pytest
from flask import Blueprint, jsonify, redirect, render_template_string
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import StringField

from marketplace.catalog.models import Category
from marketplace.core.errors import Refused
from marketplace.core.transaction import attempt
from marketplace.extensions import db

probe = Blueprint("transaction_probe", __name__)


class NameForm(FlaskForm):
    name = StringField()


def _add(slug: str) -> None:
    db.session.add(Category(name=slug.title(), slug=slug))
    db.session.flush()


@probe.post("/probe/ok/<slug>")
def ok(slug):
    _add(slug)
    return "added"


@probe.post("/probe/not-found/<slug>")
def not_found(slug):
    _add(slug)
    return "gone", 404


@probe.post("/probe/crash/<slug>")
def crash(slug):
    _add(slug)
    raise RuntimeError("boom")


@probe.post("/probe/refused/<slug>")
def refused(slug):
    _add(slug)
    raise Refused("Không được phép.", field="name")


@probe.post("/api/v1/probe/refused/<slug>")
def api_refused(slug):
    _add(slug)
    raise Refused("Giá không hợp lệ.", field="price_vnd")


@probe.post("/probe/form/<slug>")
def form_view(slug):
    form = NameForm(meta={"csrf": False})
    with attempt(form) as outcome:
        _add(slug)
        if form.name.data == "bad":
            raise Refused("Tên này không dùng được.", field="name")
    if outcome.done:
        return jsonify(done=True)
    return render_template_string("{{ form.name.errors|join(',') }}", form=form)


@probe.post("/probe/twice/<slug>")
def sent_twice(slug):
    """A second category and one whose slug is taken: the double submission a view catches."""
    try:
        with attempt():
            _add(slug + "-other")
            _add(slug)
    except IntegrityError:
        return redirect("/already-there")
    return "added"


@probe.post("/probe/own-page/<slug>")
def own_page(slug):
    with attempt(show=False) as outcome:
        _add(slug)
        raise Refused("Hết hàng.", field="quantity")
    return render_template_string(
        "{{ refused.message }}|{{ get_flashed_messages()|length }}", refused=outcome.refused
    ), 409


@pytest.fixture
def probe_app(app):
    app.register_blueprint(probe)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _slugs():
    db.session.rollback()
    return set(db.session.scalars(db.select(Category.slug)))


def test_success_commits_and_errors_roll_back(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/ok/kept").status_code == 200
    assert client.post("/probe/not-found/dropped-404").status_code == 404
    assert client.post("/probe/crash/dropped-500").status_code == 500
    with probe_app.app_context():
        assert _slugs() == {"kept"}


def test_refused_rolls_back_and_says_why(probe_app):
    client = probe_app.test_client()
    page = client.post("/probe/refused/a", headers={"Referer": "http://localhost/form"})
    assert page.status_code == 302 and page.headers["Location"].endswith("/form")
    with client.session_transaction() as session:  # shown on the form's page, where it goes back
        assert ("error", "Không được phép.") in session["_flashes"]
    plain = client.post("/probe/refused/b")
    assert plain.status_code == 400 and "Không được phép." in plain.get_data(as_text=True)
    api = client.post("/api/v1/probe/refused/c")
    assert api.status_code == 400
    assert api.get_json() == {"error": "Giá không hợp lệ.", "details": {"price_vnd": "Giá không hợp lệ."}}
    with probe_app.app_context():
        assert _slugs() == set()


def test_attempt_shows_the_refusal_on_the_form_and_keeps_nothing(probe_app):
    client = probe_app.test_client()
    refused_page = client.post("/probe/form/refused", data={"name": "bad"})
    assert refused_page.status_code == 200
    assert refused_page.get_data(as_text=True) == "Tên này không dùng được."
    assert client.post("/probe/form/accepted", data={"name": "good"}).get_json() == {"done": True}
    with probe_app.app_context():
        assert _slugs() == {"accepted"}


def test_a_caught_exception_leaves_nothing_of_the_block(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/ok/taken").status_code == 200
    answer = client.post("/probe/twice/taken")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/already-there")
    with probe_app.app_context():
        assert _slugs() == {"taken"}


def test_attempt_can_leave_the_refusal_to_the_view(probe_app):
    client = probe_app.test_client()
    page = client.post("/probe/own-page/refused")
    # The view shows the message its own way: nothing is flashed for a later page.
    assert page.status_code == 409 and page.get_data(as_text=True) == "Hết hàng.|0"
    with client.session_transaction() as session:
        assert not session.get("_flashes")
    with probe_app.app_context():
        assert _slugs() == set()
