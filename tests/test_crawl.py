"""Every page a visitor can reach, crawled as each kind of visitor on the demo data.

For each role (anonymous, customer, cooperative manager, agency staff, admin) the crawl
signs in through the real login form, follows every same-site GET link from the home
page and from the visitor's own start pages, and checks each HTML page the way a
screen reader, the CSP and a careful reviewer would. Then it replays the private URLs
the admin found as every other role: role boundaries hold on real pages, not only on
the routes the feature tests thought of.
"""

from __future__ import annotations

import io
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import Product
from marketplace.demo import data
from marketplace.demo.loader import load_demo
from marketplace.extensions import db
from marketplace.program.models import SupportedCooperative, TrainingClass
from tests.conftest import empty_all_tables, make_app

# Every workspace has its certificates and batches pages too (issue 18): the admin reaches each
# cooperative's order and packing-slip pages within this budget.
MAX_PAGES = 1300
# Filter and sort links multiply: a few variants of each path show its behaviour.
MAX_QUERY_VARIANTS = 12
# A report's period and grouping links multiply per cooperative: fewer variants there.
MAX_REPORT_VARIANTS = 3
# Order and batch pages are alike and the demo has a few hundred past orders: a few of each
# workspace's (and their packing slips, a batch's labels) show their behaviour without using up
# the page budget.
MAX_ORDER_PAGES = 4
ORDER_PAGE = re.compile(r"(/workspace/[^/]+/(?:orders|batches)/|/agency/batches/)\d+(/.*)?")
SKIPPED_PREFIXES = ("/static/", "/media/", "/lang/")
PRIVATE_PREFIXES = ("/workspace", "/agency", "/admin")
# Anyone signed in may see their (possibly empty) list of cooperatives and register one.
OPEN_TO_SIGNED_IN = {"/workspace/", "/workspace/register"}

MANAGER = data.USERS[3]  # manages Lục Ngạn lychees, Chũ noodles and Tân Sơn
OTHER_MANAGER = data.USERS[4]  # manages only Yên Thế hill chicken
# Manages Cam Bố Hạ (waiting for approval) and Nấm sạch Vân Sơn, which the agency asked for documents.
APPLICANT = next(u for u in data.USERS if u.email == "quanly.moi@demo-htx.vn")
ASKED = "htx-thanh-nien-nam-sach-van-son"
STAFF = next(u for u in data.USERS if u.role == Role.AGENCY_STAFF)
ADMIN = next(u for u in data.USERS if u.role == Role.ADMIN)
CUSTOMER = next(u for u in data.USERS if u.role == Role.CUSTOMER)
VISITORS = {
    "anonymous": None,
    "customer": CUSTOMER,
    "manager": MANAGER,
    "applicant": APPLICANT,
    "staff": STAFF,
    "admin": ADMIN,
}
START_PAGES = {
    "anonymous": ["/"],
    "customer": ["/", "/account/profile", "/workspace/"],
    "manager": ["/", "/account/profile", "/workspace/"],
    "applicant": ["/workspace/"],
    "staff": ["/", "/account/profile", "/agency/"],
    "admin": ["/", "/account/profile", "/workspace/", "/agency/", "/admin/"],
}


class PageParser(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.titles = 0
        self.h1s = 0
        self.links: list[str] = []
        self.images_without_alt: list[str] = []
        self.fields: list[dict] = []
        self.label_targets: set[str] = set()
        self.inline_styles: list[str] = []
        self.inline_scripts = 0
        self.post_forms: list[dict] = []
        self.ids: list[str] = []
        self._form = None
        self._labels_open = 0
        self._svg_depth = 0  # an inline SVG's <title> names the drawing, not the page

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if "style" in a:
            self.inline_styles.append(tag)
        if tag == "svg":
            self._svg_depth += 1
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "title" and not self._svg_depth:
            self.titles += 1
        elif tag == "h1":
            self.h1s += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "img" and "alt" not in a:
            self.images_without_alt.append(a.get("src", "?"))
        elif tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        elif tag == "label":
            self._labels_open += 1
            if a.get("for"):
                self.label_targets.add(a["for"])
        elif tag == "form":
            self._form = {"action": a.get("action"), "csrf": False}
            if (a.get("method") or "get").lower() == "post":
                self.post_forms.append(self._form)
        elif tag in ("input", "select", "textarea"):
            kind = (a.get("type") or "text").lower() if tag == "input" else tag
            # A prefixed form's token is "<prefix>-csrf_token"; Flask-WTF accepts it.
            if tag == "input" and (a.get("name") or "").endswith("csrf_token") and self._form is not None:
                self._form["csrf"] = True
            if kind not in ("hidden", "submit", "button", "reset", "image"):
                self.fields.append({**a, "_tag": tag, "_wrapped": self._labels_open > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels_open = max(0, self._labels_open - 1)
        elif tag == "form":
            self._form = None
        elif tag == "svg":
            self._svg_depth = max(0, self._svg_depth - 1)

    def unlabelled_fields(self) -> list[str]:
        return [
            f"{f['_tag']} name={f.get('name')}"
            for f in self.fields
            if not (
                f.get("id") in self.label_targets or f.get("aria-label") or f.get("aria-labelledby") or f["_wrapped"]
            )
        ]


def page_problems(parser: PageParser, language: str) -> list[str]:
    problems = []
    if parser.html_lang != language:
        problems.append(f"<html lang={parser.html_lang!r}>, expected {language!r}")
    if parser.titles != 1:
        problems.append(f"{parser.titles} <title> elements")
    if parser.h1s != 1:
        problems.append(f"{parser.h1s} <h1> elements")
    if parser.images_without_alt:
        problems.append(f"images without alt: {parser.images_without_alt[:3]}")
    if unlabelled := parser.unlabelled_fields():
        problems.append(f"fields without a label: {unlabelled}")
    if duplicated := sorted({i for i in parser.ids if parser.ids.count(i) > 1}):
        problems.append(f"duplicate ids: {duplicated[:5]}")
    if dangling := sorted(parser.label_targets - set(parser.ids)):
        problems.append(f"labels for missing fields: {dangling[:5]}")
    if parser.inline_styles:
        problems.append(f"style= attributes on {parser.inline_styles[:5]}")
    if parser.inline_scripts:
        problems.append(f"{parser.inline_scripts} inline <script>")
    if missing := [f["action"] for f in parser.post_forms if not f["csrf"]]:
        problems.append(f"POST forms without csrf_token: {missing}")
    return problems


@dataclass
class Crawl:
    statuses: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)


def same_site_path(href: str, base: str) -> str | None:
    """The local URL (path + query) a link points at, or None for other sites and skipped paths."""
    parts = urlsplit(urljoin("http://localhost" + base, href))
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    if parts.path.startswith(SKIPPED_PREFIXES) or parts.path.startswith("/account/logout"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_problem(response) -> str | None:
    """Why a .docx download is not a document a word processor opens (None: it is)."""
    from docx import Document

    if "attachment" not in response.headers.get("Content-Disposition", ""):
        return "a .docx not sent as an attachment"
    try:
        document = Document(io.BytesIO(response.data))
    except Exception as error:  # any failure to open is the finding
        return f"python-docx cannot open it: {error!r}"
    if not any(p.text.strip() for p in document.paragraphs):
        return "an empty document"
    return None


def get(client, url: str):
    return client.get(url)


def crawl(client, starts: list[str], language: str) -> Crawl:
    """Breadth first, private pages before storefront ones, so the page budget covers
    every workspace, agency and admin page before the (shared) storefront."""
    result = Crawl()
    private, public = deque(), deque()
    for url in starts:
        (private if url.startswith(PRIVATE_PREFIXES) else public).append(url)
    seen = set(starts)
    variants: dict[str, int] = {}
    while (private or public) and len(result.statuses) < MAX_PAGES:
        url = (private or public).popleft()
        response = get(client, url)
        result.statuses[url] = response.status_code
        if response.status_code >= 400:  # a link on one of our pages leads nowhere
            result.problems[url] = [f"HTTP {response.status_code}"]
            continue
        if response.status_code == 200 and response.mimetype == DOCX:
            if problem := docx_problem(response):
                result.problems[url] = [problem]
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        if problems := page_problems(parser, language):
            result.problems[url] = problems
        for href in parser.links:
            target = same_site_path(href, url)
            if target is None or target in seen:
                continue
            path = target.split("?")[0]
            if order_page := ORDER_PAGE.fullmatch(path):
                pattern = order_page[1] + "#" + (order_page[2] or "")
                variants[pattern] = variants.get(pattern, 0) + 1
                if variants[pattern] > MAX_ORDER_PAGES:
                    continue
            if "?" in target:
                variants[path] = variants.get(path, 0) + 1
                if variants[path] > (MAX_REPORT_VARIANTS if "/reports/" in path else MAX_QUERY_VARIANTS):
                    continue
            seen.add(target)
            (private if target.startswith(PRIVATE_PREFIXES) else public).append(target)
    return result


def sign_in(client, visitor) -> None:
    if visitor is None:
        return
    form = get(client, "/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
    assert token, "the login form has no CSRF token"
    response = client.post(
        "/account/login",
        data={"email": visitor.email, "password": visitor.password, "csrf_token": token.group(1) or token.group(2)},
    )
    assert response.status_code == 302, f"{visitor.email} could not sign in"


def choose_language(client, language: str) -> None:
    if language != "vi":
        assert get(client, f"/lang/{language}?next=/").status_code == 302


def place_an_order() -> None:
    """One order from the first manager's cooperative, so its order pages are crawled too."""
    from marketplace.cooperatives.models import Cooperative
    from tests.factories import order

    cooperative = db.session.scalar(select(Cooperative).where(Cooperative.slug == MANAGER.cooperatives[0]))
    product = next(p for p in cooperative.products if p.is_public and p.stock > 0)
    order([(product, 1)])


@pytest.fixture(scope="module")
def demo_app(database_url, tmp_path_factory):
    # CSRF on, as in production: the pages must carry their tokens.
    app = make_app(database_url, tmp_path_factory.mktemp("crawl"), WTF_CSRF_ENABLED=True)
    with app.app_context():
        load_demo(image_width=96)
        place_an_order()
        db.session.commit()
        yield app
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def crawls(demo_app):
    """The crawl of each visitor in Vietnamese, and the admin's again in English."""
    results = {}
    for (name, visitor), language in [*((item, "vi") for item in VISITORS.items()), (("admin", ADMIN), "en")]:
        client = demo_app.test_client()
        choose_language(client, language)
        sign_in(client, visitor)
        results[name, language] = crawl(client, START_PAGES[name], language)
    return results


@pytest.fixture(scope="module")
def private_urls(crawls):
    """The workspace, agency and admin pages the admin reached (which is all of them)."""
    admin = crawls["admin", "vi"].statuses
    assert {u: s for u, s in admin.items() if s >= 400} == {}
    urls = [u for u, status in admin.items() if u.startswith(PRIVATE_PREFIXES) and status == 200]
    assert len(urls) > 30
    return urls


@pytest.mark.parametrize("visitor,language", [*((name, "vi") for name in VISITORS), ("admin", "en")])
def test_every_reachable_page_is_sound(crawls, visitor, language):
    result = crawls[visitor, language]

    assert result.problems == {}


def test_the_checks_catch_what_they_are_meant_to():
    parser = PageParser()
    parser.feed(
        '<html><head></head><body><h1>A</h1><h1>B</h1><img src="x.png" style="width:1px">'
        '<form method="post" action="/x"><input name="q"><label>Wrapped <input name="ok"></label>'
        '<select id="s" aria-label="Sort"></select><input type="hidden" name="h"></form>'
        "<script>alert(1)</script></body></html>"
    )

    problems = page_problems(parser, "vi")

    assert len(problems) == 8, problems
    assert "fields without a label: ['input name=q']" in problems


def test_the_crawl_reaches_every_part_of_the_site(crawls):
    admin = crawls["admin", "vi"].statuses
    products = db.session.scalars(select(Product).join(Product.cooperative)).all()
    for product in products:
        assert f"/workspace/{product.cooperative.slug}/products/{product.id}/edit" in admin
    storefront = crawls["anonymous", "vi"].statuses
    for product in products:
        if product.is_public:
            assert f"/products/{product.slug}" in storefront
    for expected in ("/cooperatives/", "/categories/", "/account/register"):
        assert any(url.startswith(expected) for url in storefront), expected
    for expected in ("/workspace/", "/agency/cooperatives/", "/agency/categories/", "/admin/users", "/admin/agencies"):
        assert any(url.startswith(expected) for url in admin), expected
    assert any(re.fullmatch(r"/workspace/[^/]+/products/\d+/edit", url) for url in admin)
    assert any(url.endswith("/export.csv") for url in admin)
    assert any(re.fullmatch(r"/workspace/[^/]+/orders/\d+", url) for url in admin)
    assert any(re.fullmatch(r"/workspace/[^/]+/orders/\d+/packing-slip", url) for url in admin)
    staff = crawls["staff", "vi"].statuses
    drafts = [u for u, status in staff.items() if u.startswith("/agency/program/report.docx?") and status == 200]
    assert any("year=programme" in u for u in drafts) and any(re.search(r"year=\d{4}", u) for u in drafts)
    assert staff.get("/agency/program/history") == admin.get("/agency/program/history") == 200
    assert any(re.fullmatch(r"/agency/program/history\?kind=\w+&record=\d+", url) for url in staff)


def test_the_crawl_reaches_a_request_for_documents_and_its_answer_form(demo_app, crawls):
    """The applicant's workspace shows the agency's request with the form answering it; the staff
    reach the cooperative's review page, which shows the request too."""
    assert crawls["applicant", "vi"].statuses.get(f"/workspace/{ASKED}/") == 200
    client = demo_app.test_client()
    sign_in(client, APPLICANT)
    workspace = client.get(f"/workspace/{ASKED}/").get_data(as_text=True)
    assert f'action="/workspace/{ASKED}/answer"' in workspace
    assert data.DOCUMENTS_REQUEST in workspace
    assert crawls["staff", "vi"].statuses.get(f"/agency/cooperatives/{ASKED}") == 200
    client = demo_app.test_client()
    sign_in(client, STAFF)
    review = client.get(f"/agency/cooperatives/{ASKED}").get_data(as_text=True)
    assert data.DOCUMENTS_REQUEST in review


def test_the_crawl_reaches_the_shoppers_pages(crawls):
    """Reviews, saved addresses and order actions: the demo has what makes each page appear."""
    customer = crawls["customer", "vi"].statuses
    for pattern in (
        r"/account/addresses",
        r"/account/addresses/\d+/edit",
        r"/account/reviews",
        r"/account/reviews/items/\d+",
        r"/orders/DH-\d{4}-\d+",
    ):
        assert any(re.fullmatch(pattern, url.split("?")[0]) and status == 200 for url, status in customer.items()), (
            pattern
        )
    assert any(
        re.fullmatch(r"/workspace/[^/]+/reviews/", url.split("?")[0]) for url in crawls["manager", "vi"].statuses
    )
    assert any(url.split("?")[0] == "/agency/reviews/" for url in crawls["staff", "vi"].statuses)


def test_anonymous_visitors_are_sent_to_sign_in_on_private_pages(demo_app, crawls, private_urls):
    assert not [
        u
        for u, status in crawls["anonymous", "vi"].statuses.items()
        if u.startswith(PRIVATE_PREFIXES) and status == 200
    ]
    client = demo_app.test_client()
    for url in private_urls:
        response = get(client, url)
        assert response.status_code == 302, url
        assert urlsplit(response.location).path == "/account/login", url


def expected_status(visitor: str, url: str) -> int:
    path = url.split("?")[0]
    if visitor == "admin":
        return 200
    if path in OPEN_TO_SIGNED_IN:
        return 200
    if path.startswith("/workspace/"):
        slug = path.split("/")[2]
        own = {"manager": MANAGER.cooperatives, "applicant": APPLICANT.cooperatives}.get(visitor, ())
        return 200 if slug in own else 403
    if path.startswith("/agency"):
        return 200 if visitor == "staff" else 403
    return 403  # /admin


PROGRAMME_RECORD_CHANGE = re.compile(r"/agency/program/(training|cooperatives)/(\d+)/(edit|delete)")


def programme_record_owner(url: str) -> int | None:
    kind, record_id, _action = PROGRAMME_RECORD_CHANGE.fullmatch(url).groups()
    model = TrainingClass if kind == "training" else SupportedCooperative
    return db.session.get(model, int(record_id)).owner_agency_id


def staff_agency_id() -> int:
    return db.session.scalar(select(User.agency_id).where(User.email == STAFF.email))


@pytest.mark.parametrize("visitor", ["customer", "manager", "applicant", "staff"])
def test_private_pages_answer_only_their_owners(demo_app, private_urls, visitor):
    client = demo_app.test_client()
    sign_in(client, VISITORS[visitor])

    wrong, problems = {}, {}
    for url in private_urls:
        response = get(client, url)
        expected = expected_status(visitor, url)
        # Staff of an agency that did not organise an activity read it but are sent back from its edit form.
        if expected == 200 and visitor == "staff" and re.fullmatch(r"/agency/promotion/\d+/edit", url):
            expected = response.status_code if response.status_code == 302 else 200
        # A programme record is changed only by the agency that recorded it (and admins).
        if expected == 200 and visitor == "staff" and PROGRAMME_RECORD_CHANGE.fullmatch(url):
            expected = 200 if programme_record_owner(url) == staff_agency_id() else 403
        if response.status_code != expected:
            wrong[url] = response.status_code
        if response.mimetype == "text/html" and not problems:  # the 403 page is a page too
            parser = PageParser()
            parser.feed(response.get_data(as_text=True))
            problems = {url: page_problems(parser, "vi")} if page_problems(parser, "vi") else {}

    assert wrong == {}
    assert problems == {}


def test_another_manager_is_refused_the_first_managers_pages(demo_app, private_urls):
    own = [u for u in private_urls if u.split("/")[2:3] and u.split("/")[2] in MANAGER.cooperatives]
    assert len(own) > 10
    client = demo_app.test_client()
    sign_in(client, OTHER_MANAGER)

    assert {url: get(client, url).status_code for url in own} == {url: 403 for url in own}
