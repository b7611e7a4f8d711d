"""Booth helpers (issue 17): a manager gives a named helper a booth-only code; the helper signs in
with it, can use that booth's app, and every other page treats them as an anonymous visitor."""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g, session
from werkzeug.exceptions import HTTPException

from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import booth_access, helpers
from marketplace.fairs.models import BoothHelper, BoothStatus, FairStatus, OnSiteSale
from tests import factories as f
from tests.cache_helpers import REDIS_TEST_URL, require_redis
from tests.conftest import empty_all_tables, make_app
from tests.cooperatives.helpers import sign_in

CODE = re.compile(r"data-helper-code>([A-Z2-9]{4}-[A-Z2-9]{4})<")


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, unit="hộp")
    honey = f.product(other_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho")
    booth = f.booth(fair, coop, [(lychee, 100_000)], number="A12")
    other_booth = f.booth(fair, other_coop, [honey], number="B3")
    manager = f.manager(coop, full_name="Trần Văn Quản")
    other_manager = f.manager(other_coop)
    customer = f.user()
    f.commit()
    return type("Setup", (), locals())


def helpers_url(coop_slug="vai-thieu", fair_slug="hoi-cho") -> str:
    return f"/workspace/{coop_slug}/fairs/{fair_slug}/helpers"


def add_helper(client, setup, name="Lê Thị Phụ") -> str:
    """Add a helper through the manager's page; the code it shows."""
    sign_in(client, setup.manager)
    page = client.post(helpers_url(), data={"name": name})
    assert page.status_code == 200, page.get_data(as_text=True)
    match = CODE.search(page.get_data(as_text=True))
    assert match, "the code is not on the page"
    with client.session_transaction() as s:
        s.clear()
    return match.group(1)


def helper_named(name: str) -> BoothHelper:
    db.session.expire_all()
    return db.session.scalar(sa.select(BoothHelper).where(BoothHelper.name == name))


@contextmanager
def request_with_session(app, value: str | None = None):
    """A request context whose session holds `value` as the helper's, and nobody signed in with an
    account (the tests hold one app context open, so `g` keeps the last request's user)."""
    with app.test_request_context():
        for name in list(g):
            g.pop(name)
        if value is not None:
            session[booth_access.HELPER_SESSION_KEY] = value
        yield


def signed_in_helper_client(app, code: str):
    client = app.test_client()
    answer = client.post("/booth/sign-in", data={"code": code})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client, answer


# --- the rules -----------------------------------------------------------------------------------


def test_a_code_is_short_unambiguous_and_only_its_hash_is_kept(setup):
    s = setup
    helper, code = helpers.create_helper(s.booth, "  Lê   Thị Phụ ", s.manager)
    db.session.commit()

    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert not set(code.replace("-", "")) & set("01OIL")
    assert helper.name == "Lê Thị Phụ" and helper.booth_id == s.booth.id and helper.created_by_id == s.manager.id
    assert helper.code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert code.replace("-", "") not in repr(db.session.execute(sa.select(BoothHelper.__table__)).all())
    # From a day before the fair to a day after it (the evening's sync).
    assert helper.valid_from == s.fair.starts_at - timedelta(days=1)
    assert helper.valid_until == s.fair.ends_at + timedelta(days=1)
    # Lower case, spaces or no dash: the same code.
    assert helpers.helper_for_code(code.lower().replace("-", " ")) == helper
    assert helpers.helper_for_code(code.replace("-", "")) == helper
    other, other_code = helpers.create_helper(s.booth, "Hai", s.manager)
    assert other_code != code and other.session_token != helper.session_token


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_helper_needs_a_name(setup, name):
    with pytest.raises(Refused) as refused:
        helpers.create_helper(setup.booth, name, setup.manager)
    assert refused.value.field == "name"


def test_only_an_approved_booth_of_a_fair_not_over_gets_helpers(setup):
    s = setup
    s.booth.status = BoothStatus.PENDING
    with pytest.raises(Refused):
        helpers.create_helper(s.booth, "Hai", s.manager)
    s.booth.status = BoothStatus.APPROVED
    with pytest.raises(Refused):
        helpers.create_helper(s.booth, "Hai", s.manager, now=s.fair.ends_at)
    s.fair.status = FairStatus.CLOSED
    with pytest.raises(Refused):
        helpers.create_helper(s.booth, "Hai", s.manager)
    s.fair.status = FairStatus.PUBLISHED
    # An upcoming fair: yes, for a helper who comes on the first day.
    later = f.fair(starts_at=utcnow() + timedelta(days=10))
    assert helpers.create_helper(f.booth(later, s.coop), "Hai", s.manager)[0].valid_from > utcnow()


def test_a_booth_has_at_most_twenty_active_helpers(setup):
    s = setup
    made = [helpers.create_helper(s.booth, f"Phụ {n}", s.manager)[0] for n in range(helpers.MAX_ACTIVE_HELPERS)]
    with pytest.raises(Refused):
        helpers.create_helper(s.booth, "Thêm", s.manager)
    helpers.revoke_helper(made[0], s.manager)
    assert helpers.create_helper(s.booth, "Thêm", s.manager)[0].id


def test_a_code_works_only_within_its_dates_and_until_revoked(setup):
    s = setup
    helper, code = helpers.create_helper(s.booth, "Hai", s.manager)
    assert helpers.helper_for_code(code, helper.valid_from) == helper
    assert helpers.helper_for_code(code, helper.valid_from - timedelta(seconds=1)) is None
    assert helpers.helper_for_code(code, helper.valid_until - timedelta(seconds=1)) == helper
    assert helpers.helper_for_code(code, helper.valid_until) is None
    assert helpers.helper_for_code("K7MX-4QPA") is None and helpers.helper_for_code("") is None
    token = helper.session_token
    helpers.revoke_helper(helper, s.manager)
    assert helper.revoked_at is not None and helper.session_token != token
    assert helpers.helper_for_code(code) is None


# --- signing in ----------------------------------------------------------------------------------


def test_a_helper_signs_in_with_the_code_typed_loosely_and_lands_on_the_booth(app, setup):
    code = add_helper(app.test_client(), setup)
    page = app.test_client().get("/booth/sign-in").get_data(as_text=True)
    assert 'autocomplete="off"' in page and 'inputmode="text"' in page and 'name="code"' in page

    client, answer = signed_in_helper_client(app, " " + code.lower().replace("-", " ") + " ")

    assert answer.headers["Location"].endswith(f"/booth/{setup.booth.id}/")
    assert "Expires=" in answer.headers["Set-Cookie"]  # kept when the phone closes the browser
    helper = helper_named("Lê Thị Phụ")
    assert helper.last_signed_in_at is not None
    with client.session_transaction() as s:
        assert s[booth_access.HELPER_SESSION_KEY] == f"{helper.id}:{helper.session_token}"
        assert "_user_id" not in s
    # The sign-in page now says who is signed in, and signing out ends it.
    assert "Lê Thị Phụ" in client.get("/booth/sign-in").get_data(as_text=True)
    out = client.post("/booth/sign-out")
    assert out.status_code == 302 and out.headers["Location"].endswith("/booth/sign-in")
    with client.session_transaction() as s:
        assert booth_access.HELPER_SESSION_KEY not in s


def test_the_qr_address_fills_the_code_in(app, setup):
    page = app.test_client().get("/booth/sign-in?code=k7mx4qpa").get_data(as_text=True)
    assert 'value="K7MX-4QPA"' in page
    assert app.test_client().get("/booth/sign-in?code=" + "<x>" * 20).status_code == 200


@pytest.mark.parametrize("code", ["WRNG-CODE", "K7MX-4QPA", "", "x" * 500, "K7MX-4QP\x00"])
def test_a_wrong_code_is_a_form_error_and_changes_nothing(app, setup, code):
    add_helper(app.test_client(), setup)
    client = app.test_client()
    answer = client.post("/booth/sign-in", data={"code": code})
    assert answer.status_code == 400
    if "\x00" not in code:  # a NUL byte is refused before any view (core's bad-input guard)
        assert 'class="field-error"' in answer.get_data(as_text=True)
    assert helper_named("Lê Thị Phụ").last_signed_in_at is None
    with client.session_transaction() as s:
        assert booth_access.HELPER_SESSION_KEY not in s


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_code_outside_its_dates_is_refused(app, setup, when):
    code = add_helper(app.test_client(), setup)
    helper = helper_named("Lê Thị Phụ")
    if when == "before":  # the fair moved to next month
        helper.valid_from = utcnow() + timedelta(days=30)
        helper.valid_until = utcnow() + timedelta(days=35)
    else:
        helper.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert app.test_client().post("/booth/sign-in", data={"code": code}).status_code == 400


def test_revoking_refuses_the_code_and_ends_an_open_session(app, setup):
    manager = app.test_client()
    code = add_helper(manager, setup)
    client, _answer = signed_in_helper_client(app, code)
    with client.session_transaction() as s:
        value = s[booth_access.HELPER_SESSION_KEY]
    helper = helper_named("Lê Thị Phụ")
    with request_with_session(app, value):
        assert booth_access.booth_actor(setup.booth.id).helper.id == helper.id

    sign_in(manager, setup.manager)
    revoked = manager.post(f"{helpers_url()}/{helper.id}/revoke")
    assert revoked.status_code == 302
    assert "Revoked" in manager.get(helpers_url()).get_data(as_text=True) or "Đã thu hồi" in manager.get(
        helpers_url()
    ).get_data(as_text=True)

    db.session.expire_all()
    with request_with_session(app, value):
        with pytest.raises(HTTPException) as refused:
            booth_access.booth_actor(setup.booth.id, json=True)
        assert refused.value.response.status_code == 401
    assert app.test_client().post("/booth/sign-in", data={"code": code}).status_code == 400


def test_a_helper_of_another_booth_is_forbidden_here(app, setup):
    helper, code = helpers.create_helper(setup.other_booth, "Bên kia", setup.other_manager)
    db.session.commit()
    with request_with_session(app):
        booth_access.sign_in_helper(helper)
        assert booth_access.booth_actor(setup.other_booth.id).helper == helper
        with pytest.raises(HTTPException) as refused:
            booth_access.booth_actor(setup.booth.id)
        assert refused.value.code == 403


def test_someone_signed_in_with_an_account_is_asked_to_sign_out_first(app, setup):
    code = add_helper(app.test_client(), setup)
    client = app.test_client()
    sign_in(client, setup.customer)
    assert "data-signed-in-account" in client.get("/booth/sign-in").get_data(as_text=True)
    answer = client.post("/booth/sign-in", data={"code": code})
    assert answer.status_code == 400
    with client.session_transaction() as s:
        assert booth_access.HELPER_SESSION_KEY not in s
    assert helper_named("Lê Thị Phụ").last_signed_in_at is None


def test_signing_in_with_an_account_ends_the_helper_session_on_that_phone(app, setup):
    code = add_helper(app.test_client(), setup)
    client, _ = signed_in_helper_client(app, code)
    login = client.post("/account/login", data={"email": setup.customer.email, "password": f.PASSWORD})
    assert login.status_code == 302
    with client.session_transaction() as s:
        assert booth_access.HELPER_SESSION_KEY not in s
    # Signing the account out does not bring the helper back.
    client.post("/account/logout")
    assert client.get(f"/booth/{setup.booth.id}/").status_code == 401


def test_wrong_codes_are_slowed_down_per_device(app, setup):
    code = add_helper(app.test_client(), setup)
    app.config.update(BOOTH_SIGN_IN_MAX_FAILURES=3)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/booth/sign-in", data={"code": "WRNG-CODE"}).status_code == 400
    refused = client.post("/booth/sign-in", data={"code": code})  # even the right one, for a while
    assert refused.status_code == 429
    assert "minutes" in refused.get_data(as_text=True) or "phút" in refused.get_data(as_text=True)
    other_device = app.test_client()
    other_device.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert other_device.post("/booth/sign-in", data={"code": code}).status_code == 302


def test_wrong_codes_are_counted_in_redis_too(database_url, tmp_path):
    require_redis()
    redis_app = make_app(
        database_url,
        tmp_path,
        REDIS_URL=REDIS_TEST_URL,
        CACHE_KEY_PREFIX=f"helpers-test-{uuid.uuid4().hex[:10]}",
        BOOTH_SIGN_IN_MAX_FAILURES=2,
    )
    with redis_app.app_context():
        try:
            client = redis_app.test_client()
            statuses = [client.post("/booth/sign-in", data={"code": "WRNG-CODE"}).status_code for _ in range(3)]
            assert statuses == [400, 400, 429]
        finally:
            db.session.remove()
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()


# --- the manager's page --------------------------------------------------------------------------


def test_the_manager_sees_the_code_once_with_the_address_and_a_qr_code(app, setup):
    client = app.test_client()
    sign_in(client, setup.manager)
    booth_page = client.get("/workspace/vai-thieu/fairs/hoi-cho/booth").get_data(as_text=True)
    assert f'href="{helpers_url()}"' in booth_page

    page = client.post(helpers_url(), data={"name": "Lê Thị Phụ"}).get_data(as_text=True)
    code = CODE.search(page).group(1)
    assert "http://localhost/booth/sign-in" in page and "<svg" in page and 'class="booth-helper-qr"' in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]

    listing = client.get(helpers_url()).get_data(as_text=True)
    assert "Lê Thị Phụ" in listing and code not in listing and code.replace("-", "") not in listing
    helper = helper_named("Lê Thị Phụ")
    f.commit()
    # Sales the helper recorded are counted on the list.
    db.session.add(
        OnSiteSale(
            booth=setup.booth,
            product_id=setup.lychee.id,
            product_name="Vải thiều sấy",
            unit="hộp",
            quantity=1,
            unit_price_vnd=100_000,
            total_vnd=100_000,
            payment="cash",
            helper_id=helper.id,
        )
    )
    db.session.commit()
    row = client.get(helpers_url()).get_data(as_text=True).split(f'data-helper="{helper.id}"', 1)[1]
    assert '<td class="num">1</td>' in row.split("</tr>", 1)[0]


@pytest.mark.parametrize("name", ["  ", "x" * 101])
def test_a_bad_name_is_a_form_error(app, setup, name):
    client = app.test_client()
    sign_in(client, setup.manager)
    answer = client.post(helpers_url(), data={"name": name})
    assert answer.status_code == 400 and 'class="field-error"' in answer.get_data(as_text=True)
    assert "100" in answer.get_data(as_text=True) or not name.strip()
    assert db.session.scalar(sa.select(sa.func.count(BoothHelper.id))) == 0


def test_only_the_cooperatives_managers_reach_the_helpers_page(app, setup):
    code = add_helper(app.test_client(), setup)
    helper_id = helper_named("Lê Thị Phụ").id
    anonymous = app.test_client()
    assert "/account/login" in anonymous.get(helpers_url()).headers["Location"]
    helper_client, _answer = signed_in_helper_client(app, code)
    assert "/account/login" in helper_client.get(helpers_url()).headers["Location"]
    assert "/account/login" in helper_client.post(helpers_url(), data={"name": "Tôi"}).headers["Location"]
    assert "/account/login" in helper_client.post(f"{helpers_url()}/{helper_id}/revoke").headers["Location"]
    for user in (setup.other_manager, setup.customer):
        client = app.test_client()
        sign_in(client, user)
        assert client.get(helpers_url()).status_code == 403
        assert client.post(helpers_url(), data={"name": "Tôi"}).status_code == 403
        assert client.post(f"{helpers_url()}/{helper_id}/revoke").status_code == 403
    # Another cooperative's manager cannot revoke through their own booth either.
    other = app.test_client()
    sign_in(other, setup.other_manager)
    assert other.post(f"{helpers_url('mat-ong')}/{helper_id}/revoke").status_code == 404
    assert helper_named("Lê Thị Phụ").revoked_at is None
    assert db.session.scalar(sa.select(sa.func.count(BoothHelper.id))) == 1


# --- THE KEY TEST: a helper's sign-in opens nothing but the booth -------------------------------


SKIPPED_ENDPOINTS = {"static", "media.image", "media.logo", "i18n.switch_language"}
BOOTH_PAGES = "/booth/"  # the booth's own pages (sign-in, app, sync): tested apart


def fill(rule, values: dict[str, list]) -> list[str]:
    """Every URL of `rule` with its arguments taken from `values` (all combinations)."""
    names = sorted(rule.arguments)
    if any(name not in values for name in names):
        return []
    urls = []
    for combination in itertools.product(*(values[name] for name in names)):
        try:
            urls.append(rule.build(dict(zip(names, combination)))[1])
        except Exception:  # noqa: BLE001 - a value of the wrong type for this rule
            continue
    return urls


def test_a_helper_is_an_anonymous_visitor_everywhere_but_the_booth(app, setup):
    s = setup
    order = f.order([(s.lychee, 1)], user=s.customer)
    f.commit()
    code = add_helper(app.test_client(), s)
    helper_client, _answer = signed_in_helper_client(app, code)
    part = order.parts[0]
    values = {
        "slug": [s.coop.slug, s.fair.slug, s.lychee.slug],
        "coop_slug": [s.coop.slug],
        "fair_slug": [s.fair.slug],
        "booth_id": [s.booth.id],
        "number": [order.number, s.booth.number],
        "part_id": [part.id],
        "product_id": [s.lychee.id],
        "user_id": [s.manager.id],
        "address_id": [1],
        "agency_id": [1],
        "category_id": [1],
        "activity_id": [1],
        "evidence_id": [1],
        "training_id": [1],
        "supported_id": [1],
        "target_id": [1],
        "item_id": [1],
        "code": [s.booth.code],
        "token": ["x"],
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS or rule.rule.startswith(BOOTH_PAGES):
            continue
        urls.extend(fill(rule, values) if rule.arguments else [rule.rule])
    must_cover = [
        "/account/profile",
        "/agency/",
        "/admin/",
        "/account/orders",
        f"/workspace/{s.coop.slug}/",
        f"/workspace/{s.coop.slug}/orders/",
        f"/workspace/{s.coop.slug}/orders/{part.id}",
        f"/workspace/{s.coop.slug}/fairs/{s.fair.slug}/sales",
        f"/workspace/{s.coop.slug}/fairs/{s.fair.slug}/booth",
        helpers_url(),
        f"/orders/{order.number}",
    ]
    assert set(must_cover) <= set(urls)
    assert any(url.startswith("/api/v1/") for url in urls)

    private = []
    for url in urls:
        anonymous = app.test_client().get(url)
        as_helper = helper_client.get(url)
        assert (as_helper.status_code, as_helper.headers.get("Location")) == (
            anonymous.status_code,
            anonymous.headers.get("Location"),
        ), url
        if as_helper.status_code != 200:
            assert as_helper.status_code in (301, 302, 308, 400, 401, 403, 404, 405), url
            private.append(url)
        if as_helper.status_code == 200 and as_helper.mimetype == "text/html":
            page = as_helper.get_data(as_text=True)
            assert "Lê Thị Phụ" not in page and s.manager.email not in page, url
    assert set(must_cover) <= set(private) and len(private) > 40
    assert any(url.startswith("/api/v1/") for url in private)
    # The helper's session is still there: it opened nothing because it is booth-only.
    with helper_client.session_transaction() as stored:
        assert booth_access.HELPER_SESSION_KEY in stored

    # And writing is refused: recording or voiding a sale on the manager's sales page.
    sale = OnSiteSale(
        booth=s.booth,
        product_id=s.lychee.id,
        product_name="Vải thiều sấy",
        unit="hộp",
        quantity=1,
        unit_price_vnd=100_000,
        total_vnd=100_000,
        payment="cash",
    )
    db.session.add(sale)
    db.session.commit()
    sales = f"/workspace/{s.coop.slug}/fairs/{s.fair.slug}/sales"
    stock = db.session.get(type(s.lychee), s.lychee.id).stock
    for url, data in (
        (sales, {"product_id": s.lychee.id, "quantity": 1, "payment": "cash"}),
        (f"{sales}/{sale.id}/void", {"reason": "nhầm"}),
    ):
        answer = helper_client.post(url, data=data)
        assert answer.status_code in (302, 401, 403) and "/account/login" in answer.headers.get(
            "Location", "/account/login"
        )
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(OnSiteSale.id))) == 1
    assert db.session.get(OnSiteSale, sale.id).voided_at is None
    assert db.session.get(type(s.lychee), s.lychee.id).stock == stock


def test_the_booth_app_names_who_sells(app, setup):
    helper, _code = helpers.create_helper(setup.booth, "Lê Thị Phụ", setup.manager)
    db.session.commit()
    with request_with_session(app):
        booth_access.sign_in_helper(helper)
        assert booth_access.booth_actor(setup.booth.id).name == "Lê Thị Phụ"
    with request_with_session(app):
        from flask_login import login_user

        login_user(setup.manager)
        actor = booth_access.booth_actor(setup.booth.id)
        assert actor.is_manager and actor.name == "Trần Văn Quản"
