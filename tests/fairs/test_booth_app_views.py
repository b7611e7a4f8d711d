"""The booth app's pages: who may open them, the list of booths, the manifest and the service
worker, and that none of them is kept by a cache it should not be kept by."""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from datetime import timedelta

import pytest

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.booth_access import HELPER_SESSION_KEY
from marketplace.fairs.models import BoothHelper, BoothStatus, FairStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    now = utcnow()
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho")
    soon = f.fair(
        "Hội chợ Xuân", slug="hoi-cho-xuan", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=5)
    )
    later = f.fair(
        "Hội chợ Hè", slug="hoi-cho-he", starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=33)
    )
    past = f.fair("Hội chợ Thu", slug="hoi-cho-thu", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=7))
    booth = f.booth(fair, coop, [(lychee, 99_000)], number="A12")
    soon_booth = f.booth(soon, coop, [lychee], number="S1")
    f.booth(later, coop, [lychee], number="L1")
    f.booth(past, coop, [lychee], number="P1")
    pending = f.booth(
        f.fair("Hội chợ Đông", slug="hoi-cho-dong"), coop, [lychee], number=None, status=BoothStatus.PENDING
    )
    other_booth = f.booth(fair, other_coop, [], number="B3")
    manager = f.manager(coop)
    other_manager = f.manager(other_coop)
    f.commit()
    return type("Setup", (), locals())


def helper_of(booth) -> BoothHelper:
    now = utcnow()
    helper = BoothHelper(
        booth_id=booth.id,
        name="Lê Thị Bán",
        code_hash=hashlib.sha256(secrets.token_bytes(8)).hexdigest(),
        session_token=secrets.token_hex(16),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=3),
    )
    db.session.add(helper)
    db.session.commit()
    return helper


def test_a_manager_opens_the_app_of_their_booth_only(client, setup):
    sign_in(client, setup.manager)
    response = client.get(f"/booth/{setup.booth.id}/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert f'<link rel="manifest" href="/booth/{setup.booth.id}/manifest.webmanifest">' in page
    assert "Gian hàng A12" in page and "Hội chợ Nông sản Bắc Ninh" in page
    assert "<script>" not in page  # the CSP forbids inline scripts: the settings are JSON data
    config = json.loads(html.unescape(page.split("data-config='", 1)[1].split("'", 1)[0]))
    assert config["state_url"] == f"/booth/{setup.booth.id}/state.json"
    assert config["sync_url"] == f"/booth/{setup.booth.id}/sync"
    assert config["strings"]["status_pending"] == "chưa đồng bộ"
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]

    assert client.get(f"/booth/{setup.other_booth.id}/").status_code == 403
    assert client.get("/booth/999999/").status_code == 404


def test_signed_out_the_app_offers_both_sign_ins_and_comes_back(client, setup):
    response = client.get(f"/booth/{setup.booth.id}/")
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert f"/account/login?next=/booth/{setup.booth.id}/" in page
    assert 'href="/booth/sign-in"' in page  # fairs.booth_signin_views: a helper lands on their booth


def test_a_helper_opens_their_booth_and_nothing_else(client, setup):
    helper = helper_of(setup.booth)
    with client.session_transaction() as session:
        session[HELPER_SESSION_KEY] = f"{helper.id}:{helper.session_token}"
    assert client.get(f"/booth/{setup.booth.id}/").status_code == 200
    assert "Lê Thị Bán" in client.get(f"/booth/{setup.booth.id}/").get_data(as_text=True)
    assert client.get(f"/booth/{setup.soon_booth.id}/").status_code == 403
    response = client.get("/booth/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/booth/{setup.booth.id}/")


def test_the_booth_list_has_the_approved_booths_on_now_or_within_a_week(client, setup):
    assert client.get("/booth/").status_code == 401
    sign_in(client, setup.manager)
    response = client.get("/booth/")
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert f'href="/booth/{setup.booth.id}/"' in page and f'href="/booth/{setup.soon_booth.id}/"' in page
    for absent in ("Hội chợ Hè", "Hội chợ Thu", "Hội chợ Đông", "B3"):
        assert absent not in page
    sign_in(client, setup.other_manager)
    page = client.get("/booth/").get_data(as_text=True)
    assert f'href="/booth/{setup.other_booth.id}/"' in page and "Gian hàng A12" not in page


def test_the_manifest_installs_the_booth_app(client, setup):
    response = client.get(f"/booth/{setup.booth.id}/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "Gian hàng A12 · Hội chợ Nông sản Bắc Ninh"
    assert manifest["short_name"] == "Gian hàng A12"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        f"/booth/{setup.booth.id}/",
        "/booth/",
        "standalone",
    )
    assert manifest["theme_color"] == "#1b6b3a"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for src in icons.values():
        picture = client.get(src)
        assert picture.status_code == 200 and picture.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/booth/{setup.pending.id}/manifest.webmanifest").status_code == 404
    setup.fair.status = FairStatus.DRAFT
    db.session.commit()
    assert client.get(f"/booth/{setup.booth.id}/manifest.webmanifest").status_code == 404


def test_the_service_worker_precaches_the_shell_and_changes_with_it(client, setup, app, tmp_path):
    response = client.get("/booth/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    for asset in ("/static/js/booth-app.js", "/static/css/booth-app.css", "/static/vendor/qrcode-generator-2.0.4.js"):
        assert f'"{asset}"' in script
    assert "state.json" not in script  # the state and the sync never go through its caches
    version = script.split('const VERSION = "', 1)[1].split('"', 1)[0]
    assert len(version) == 16
    assert client.get("/booth/sw.js").get_data(as_text=True) == script  # same files, same worker


def test_the_fair_workspace_links_the_booth_app(client, setup):
    sign_in(client, setup.manager)
    page = client.get("/workspace/vai-thieu/fairs/hoi-cho/booth").get_data(as_text=True)
    assert f'href="/booth/{setup.booth.id}/" data-booth-app-link' in page
