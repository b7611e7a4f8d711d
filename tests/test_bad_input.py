"""Bad input on every form and odd URLs: a clear answer, never a 500, never unescaped HTML.

Each form is read from its page as a browser would see it (its fields, current values
and options); then each field in turn gets empty, huge, negative, HTML and emoji input
while the others keep sensible values, so every field's own limits are reached (a
value too long for its database column shows up on PostgreSQL only).
"""

from __future__ import annotations

import io
import itertools
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Agency, Role, User
from marketplace.catalog.models import Category, Product, ProductImage
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in

SCRIPT = "<script>alert(1)</script>"
BAD_TEXT = {
    "empty": "",
    "blank": "   ",
    "huge": "x" * 10_000,
    "huge-accented": "ạ" * 10_000,
    "negative": "-5",
    "huge-number": "9" * 40,
    "decimal": "1.5e3",
    "script": SCRIPT,
    "emoji": "Mật ong 🍯🐝",
    "nul": "a\x00b",
}
TEXT_TYPES = {"text", "email", "tel", "number", "search", "password", "date", "url", None}
_counter = itertools.count(1)


class FormReader(HTMLParser):
    """The forms of a page: action, method and fields with their current values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].append(
                    {"name": a["name"], "type": kind, "value": None, "option": a.get("value", "y")}
                )
                return
            self._form["fields"].append(
                {"name": a["name"], "type": kind, "value": a.get("value", ""), "option": a.get("value")}
            )
        elif tag == "select" and a.get("name"):
            self._select = {
                "name": a["name"],
                "type": "select",
                "value": None,
                "options": [],
                "multiple": "multiple" in a,
            }
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "type": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select["value"] is None and self._select["options"] and not self._select["multiple"]:
                self._select["value"] = self._select["options"][0]
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea["value"] = self._textarea["value"].removeprefix("\n")
            self._textarea = None


def read_form(client, page_url: str, action_part: str) -> dict:
    response = client.get(page_url)
    assert response.status_code == 200, page_url
    reader = FormReader()
    reader.feed(response.get_data(as_text=True))
    forms = [f for f in reader.forms if f["method"] == "post" and action_part in (f["action"] or page_url)]
    assert forms, f"no form posting to {action_part} on {page_url}"
    return forms[0]


def baseline(form: dict, valid: dict) -> dict:
    """The form as the page filled it, with `valid` values where the page leaves fields empty."""
    data = {}
    for field in form["fields"]:
        if field["type"] == "file":
            continue
        if field["value"] is not None:
            data.setdefault(field["name"], field["value"])
    n = next(_counter)
    for name, value in valid.items():
        data[name] = value.format(n=n) if isinstance(value, str) else value
    return data


def assert_sound(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: HTTP {response.status_code}"
    assert SCRIPT not in response.get_data(as_text=True), f"{where}: unescaped HTML"


def fuzz_form(client, page_url: str, action_part: str, valid: dict | None = None, files: dict | None = None) -> int:
    """Post the form once as the page fills it, then once per (field, bad value). Returns the count."""
    form = read_form(client, page_url, action_part)
    action = form["action"] or page_url
    valid = valid or {}
    posts = 0

    def post(data, label):
        nonlocal posts
        posts += 1
        content = {**data, **{k: (io.BytesIO(v[0]), v[1]) for k, v in (files or {}).items()}}
        response = client.post(action, data=content, follow_redirects=True)
        assert_sound(response, f"{action} {label}")

    post(baseline(form, valid), "as filled")
    for field in form["fields"]:
        name = field["name"]
        if name == "csrf_token" or name.endswith("-csrf_token"):
            continue
        if field["type"] in TEXT_TYPES or field["type"] in ("textarea", "hidden"):
            for label, value in BAD_TEXT.items():
                post({**baseline(form, valid), name: value}, f"{name}={label}")
        elif field["type"] == "select":
            for value in ("999999", "", "-1", SCRIPT):
                post({**baseline(form, valid), name: value}, f"{name}={value!r}")
        elif field["type"] in ("checkbox", "radio"):
            post({**baseline(form, valid), name: SCRIPT}, f"{name}=script")
    return posts


# --- the people and records the forms act on ----------------------------------------------


@pytest.fixture
def world(make):
    agency = make.agency("Tỉnh đoàn Bắc Ninh")
    parent = make.category("Trái cây", slug="trai-cay")
    category = make.category("Vải thiều", parent=parent, slug="vai-thieu")
    coop = make.cooperative("HTX Thanh niên Vải thiều", slug="vai-thieu")
    pending = make.cooperative("HTX Chờ duyệt", slug="cho-duyet", status=CooperativeStatus.PENDING)
    product = make.product(coop, category, slug="vai-tuoi", name="Vải tươi", sku="VT-1")
    db.session.add(ProductImage(product=product, stem="a" * 32, alt_text="ảnh", position=0))
    db.session.add(ProductImage(product=product, stem="b" * 32, alt_text="ảnh 2", position=1))
    manager = make.manager(coop, email="quanly@example.vn")
    staff = make.staff(agency, email="canbo@example.vn")
    admin = make.admin(email="admin@example.vn")
    customer = make.user(Role.CUSTOMER, email="khach@example.vn")
    make.commit()
    return {
        "agency": agency,
        "parent": parent,
        "category": category,
        "coop": coop,
        "pending": pending,
        "product": product,
        "manager": manager,
        "staff": staff,
        "admin": admin,
        "customer": customer,
    }


def client_of(app, user=None):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


PASSWORD = "mat-khau-moi-an-toan"
NOT_AN_IMAGE = (b"<?php echo 1; ?>", "anh.jpg")
TEXT_AS_CSV = ("dòng 1\n".encode() * 3, "sanpham.csv")


def test_account_forms(app, world):
    anonymous = client_of(app)
    assert (
        fuzz_form(
            anonymous,
            "/account/register",
            "/account/register",
            {"email": "moi{n}@example.vn", "full_name": "Nguyễn Văn Mới", "password": PASSWORD, "confirm": PASSWORD},
        )
        > 40
    )
    fuzz_form(
        client_of(app), "/account/login", "/account/login", {"email": "khach@example.vn", "password": "sai-mat-khau"}
    )
    fuzz_form(client_of(app), "/account/reset", "/account/reset", {"email": "khach@example.vn"})
    customer = client_of(app, world["customer"])
    fuzz_form(customer, "/account/profile", "/account/profile", {"full_name": "Lê Thị Hồng"})
    fuzz_form(
        customer,
        "/account/profile",
        "/account/password",
        {"current_password": "sai", "password": PASSWORD, "confirm": PASSWORD},
    )

    # The sensible values did get through: the bad ones were refused field by field.
    assert db.session.scalar(select(User).where(User.email.like("moi%@example.vn")))


def test_admin_forms(app, world):
    admin = client_of(app, world["admin"])
    fuzz_form(
        admin,
        "/admin/users/new",
        "/admin/users/new",
        {"email": "nguoi{n}@example.vn", "full_name": "Người mới", "password": PASSWORD, "role": "customer"},
    )
    fuzz_form(admin, f"/admin/users/{world['manager'].id}/edit", "/edit")
    fuzz_form(admin, "/admin/agencies/new", "/admin/agencies/new", {"name": "Cơ quan {n}"})
    fuzz_form(admin, f"/admin/agencies/{world['agency'].id}/edit", "/edit")

    assert db.session.scalar(select(User).where(User.email.like("nguoi%@example.vn")))
    assert db.session.scalar(select(Agency).where(Agency.name.like("Cơ quan %")))


def test_workspace_forms(app, world):
    app.config["UPLOAD_FILES_PER_HOUR"] = 0  # no hourly budget: this sends a file with most of its posts
    manager = client_of(app, world["manager"])
    coop, product = world["coop"], world["product"]
    base = f"/workspace/{coop.slug}"
    fuzz_form(
        manager,
        "/workspace/register",
        "/workspace/register",
        {
            "name": "HTX Mới {n}",
            "province_code": str(coop.province_code),
            "ward_code": str(coop.ward_code),
            "member_count": "10",
            "youth_member_count": "5",
        },
    )
    fuzz_form(manager, f"{base}/profile", "/profile", files={"logo": NOT_AN_IMAGE})
    fuzz_form(
        manager,
        f"{base}/products/new",
        "/products/new",
        {
            "name": "Sản phẩm {n}",
            "sku": "SP-{n}",
            "category_id": str(world["category"].id),
            "price_vnd": "150000",
            "stock": "5",
        },
    )
    fuzz_form(manager, f"{base}/products/{product.id}/edit", "/edit")
    fuzz_form(
        manager,
        f"{base}/products/{product.id}/edit",
        "/images",
        {"alt_text": "Ảnh vải"},
        files={"photos": NOT_AN_IMAGE},
    )
    fuzz_form(manager, f"{base}/products/", "/quick")
    fuzz_form(manager, f"{base}/products/import", "/import", files={"file": TEXT_AS_CSV})

    assert db.session.scalar(select(Cooperative).where(Cooperative.name.like("HTX Mới %")))
    assert db.session.scalar(select(Product).where(Product.sku.like("SP-%")))


def test_order_workspace_forms(app, world):
    from tests.factories import order

    placed = order([(world["product"], 1)])
    db.session.commit()
    manager = client_of(app, world["manager"])
    base = f"/workspace/{world['coop'].slug}/orders/{placed.parts[0].id}"
    fuzz_form(manager, base, "/payment-received")
    fuzz_form(manager, base, "/status")  # the first step button: confirm
    fuzz_form(manager, base, "/cancel", {"reason": "Hết hàng"})

    db.session.refresh(placed)
    assert placed.parts[0].cancel_reason == "Hết hàng"


def test_storefront_order_forms(app, world):
    from marketplace.orders.models import Order
    from tests.factories import BAC_NINH, LUC_NGAN, order

    product = world["product"]
    guest = client_of(app)
    fuzz_form(guest, "/products/vai-tuoi", "/cart/add")
    fuzz_form(guest, "/cart", "/cart/update")
    fuzz_form(guest, "/orders/lookup", "/orders/lookup", {"number": "DH-2026-000001", "contact": "0912345678"})
    fuzz_form(guest, "/cart", "/cart/remove")
    guest.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    fuzz_form(
        guest,
        "/checkout",
        "/checkout",
        {
            "name": "Nguyễn Thị Lan",
            "phone": "0912345678",
            "email": "lan{n}@example.vn",
            "province_code": str(BAC_NINH),
            "ward_code": str(LUC_NGAN),
            "street": "Số 12",
        },
    )
    placed = order([(product, 1)])
    db.session.commit()
    fuzz_form(guest, f"/orders/{placed.number}?token={placed.tracking_token}", "/cancel")

    assert db.session.scalar(select(Order).where(Order.contact_email.like("lan%@example.vn")))


def test_agency_forms(app, world):
    staff = client_of(app, world["staff"])
    pending = world["pending"]
    fuzz_form(staff, f"/agency/cooperatives/{pending.slug}", "/suspend", {"reason": "Hồ sơ thiếu"})
    fuzz_form(staff, f"/agency/cooperatives/{world['coop'].slug}", "/suspend", {"reason": "Hồ sơ thiếu"})
    fuzz_form(staff, f"/agency/cooperatives/{pending.slug}", "/approve")
    fuzz_form(staff, "/agency/categories/new", "/agency/categories/new", {"name": "Danh mục {n}"})
    fuzz_form(staff, f"/agency/categories/{world['category'].id}/edit", "/edit")

    assert db.session.scalar(select(Category).where(Category.name.like("Danh mục %")))


def test_review_forms(app, make, world):
    """Refusing, asking for documents, answering and reopening (issue 16)."""
    waiting = make.cooperative("HTX Bổ sung", slug="bo-sung", status=CooperativeStatus.PENDING)
    applicant = make.manager(waiting, email="ungvien@example.vn")
    make.commit()
    staff = client_of(app, world["staff"])
    fuzz_form(staff, "/agency/cooperatives/bo-sung", "/request-documents", {"documents_request": "Giấy phép"})
    fuzz_form(client_of(app, applicant), "/workspace/bo-sung/", "/answer", {"answer": "Đã gửi"})
    fuzz_form(staff, "/agency/cooperatives/bo-sung", "/refuse", {"refusal": "Không đủ điều kiện"})
    fuzz_form(staff, "/agency/cooperatives/bo-sung", "/reopen", {"reopen_reason": "Đã bổ sung"})
    db.session.expire_all()
    assert waiting.status == CooperativeStatus.PENDING


# --- files --------------------------------------------------------------------------------

CSV_HEADER = "cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description\n"
BAD_CSV_FILES = {
    "binary": bytes(range(256)) * 4,
    "xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "utf-16": CSV_HEADER.encode("utf-16"),
    "nul in a cell": (CSV_HEADER + "vai-thieu,SP-1,Vải\x00,Trái cây,kg,1000,1,,,\n").encode(),
    "nul in the slug": (CSV_HEADER + "vai\x00thieu,SP-1,Vải,Trái cây,kg,1000,1,,,\n").encode(),
    "huge cell": (CSV_HEADER + "vai-thieu,SP-1," + "x" * 200_000 + ",Trái cây,kg,1000,1,,,\n").encode(),
    "huge values": (
        CSV_HEADER + f"vai-thieu,{'S' * 5000},{'x' * 5000},{'y' * 5000},kg,{'9' * 40},{'9' * 40},9,{'z' * 5000},\n"
    ).encode(),
    "negative": (CSV_HEADER + "vai-thieu,SP-1,Vải,Trái cây,kg,-1000,-1,-3,,\n").encode(),
    "script": (CSV_HEADER + f"vai-thieu,SP-1,{SCRIPT},{SCRIPT},kg,1000,1,,{SCRIPT},{SCRIPT}\n").encode(),
    "quotes": (CSV_HEADER + 'vai-thieu,"SP-1,Vải\n').encode(),
    "many columns": (CSV_HEADER.strip() + ",x" * 10_000 + "\n").encode(),
    "header only": CSV_HEADER.encode(),
    "empty": b"",
}


@pytest.mark.parametrize("kind", BAD_CSV_FILES)
def test_bad_csv_files_are_refused_with_a_message(app, world, kind):
    manager = client_of(app, world["manager"])
    before = {p.sku for p in world["coop"].products}

    response = manager.post(
        f"/workspace/{world['coop'].slug}/products/import",
        data={"file": (io.BytesIO(BAD_CSV_FILES[kind]), "sanpham.csv")},
        follow_redirects=True,
    )

    assert_sound(response, kind)
    db.session.expire_all()
    if kind not in ("header only", "script"):  # HTML in a product name is only text, shown escaped
        assert {p.sku for p in world["coop"].products} == before


BAD_PICTURES = {
    "text as jpg": (b"hello", "anh.jpg"),
    "empty": (b"", "anh.png"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "anh.svg"),
    "truncated png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 10, "anh.png"),
    "script name": (b"hello", f"{SCRIPT}.jpg"),
    "long name": (b"hello", "a" * 5000 + ".jpg"),
}


@pytest.mark.parametrize("kind", BAD_PICTURES)
def test_bad_pictures_are_refused_with_a_message(app, world, kind):
    manager = client_of(app, world["manager"])
    coop, product = world["coop"], world["product"]
    content, name = BAD_PICTURES[kind]

    photo = manager.post(
        f"/workspace/{coop.slug}/products/{product.id}/images",
        data={"photos": (io.BytesIO(content), name), "alt_text": "Ảnh"},
        follow_redirects=True,
    )
    logo = manager.post(
        f"/workspace/{coop.slug}/profile",
        data={
            **baseline(read_form(manager, f"/workspace/{coop.slug}/profile", "/profile"), {}),
            "logo": (io.BytesIO(content), name),
        },
        follow_redirects=True,
    )

    assert_sound(photo, f"photo {kind}")
    assert_sound(logo, f"logo {kind}")
    db.session.expire_all()
    assert len(product.images) == 2 and coop.logo_filename is None


# --- odd addresses ------------------------------------------------------------------------

ODD_URLS = [
    "/products?page=-1",
    "/products?page=0",
    "/products?page=99999999999999999999",
    "/products?page=abc",
    "/products?per_page=-5",
    "/products?sort=<script>",
    "/products?category=%00",
    "/products?province=-1",
    "/products?province=99999999999999999999",
    "/products?ocop_min=7",
    "/products?youth=maybe",
    "/products?category=khong-co&category=vai-thieu",
    "/products/x?page=-1",
    "/products/%00",
    "/products/" + "a" * 5000,
    "/cooperatives/%00",
    "/cooperatives/" + "a" * 5000,
    "/cooperatives/?page=-1&province=abc",
    "/categories/%00",
    "/categories/vai-thieu?page=-3&sort=x",
    "/categories/" + "é" * 3000,
    "/api/v1/products?page=-1",
    "/api/v1/products?page=99999999999999999999",
    "/api/v1/cooperatives?page=99999999999999999999",
    "/cooperatives/?page=99999999999999999999",
    "/categories/vai-thieu?page=99999999999999999999",
    "/api/v1/products?per_page=100000",
    "/api/v1/products/99999999999999999999",
    "/api/v1/cooperatives/%00",
    "/api/v1/products?category=%00",
    "/api/v1/provinces/99999999999/wards",
    "/media/products/%00-thumb.webp",
    "/media/products/../../etc/passwd-thumb.webp",
    "/media/logos/x-huge.webp",
    "/lang/%00?next=/",
    "/lang/en?next=//evil.example",
    "/account/login?next=%00",
    "/account/reset/" + "a" * 5000,
    "/account/reset/%00",
    "/orders/%00",
    "/orders/" + "a" * 5000,
    "/orders/DH-2026-000001?token=" + "x" * 5000,
    "/orders/DH-2026-000001?token=%00",
    "/account/orders?page=-1",
    "/account/orders?page=99999999999999999999",
    "/checkout?x=%00",
    "/cart?page=%00",
]
PRIVATE_ODD_URLS = [
    "/workspace/vai-thieu/products/999999/edit",
    "/workspace/vai-thieu/products/99999999999999999999/edit",
    "/workspace/vai-thieu/products/?page=-1&status=<script>",
    "/workspace/vai-thieu/products/?q=%00",
    "/workspace/" + "a" * 5000 + "/",
    "/workspace/%00/",
    "/workspace/?q=" + "x" * 10_000,
    "/agency/cooperatives?status=<script>",
    "/agency/cooperatives/%00",
    "/agency/categories/999999/edit",
    "/admin/users?role=<script>&q=%00",
    "/admin/users?page=-1",
    "/admin/users?page=99999999999999999999",
    "/workspace/vai-thieu/products/?page=99999999999999999999",
    "/agency/cooperatives?page=99999999999999999999",
    "/agency/cooperatives?status=all&page=99999999999999999999",
    "/admin/users/999999/edit",
    "/admin/agencies/999999/edit",
    "/workspace/vai-thieu/orders/?status=<script>&page=-1",
    "/workspace/vai-thieu/orders/?page=99999999999999999999",
    "/workspace/vai-thieu/orders/99999999999999999999",
    "/workspace/vai-thieu/orders/999999/packing-slip",
]


def test_odd_addresses_get_a_clear_answer(app, world):
    anonymous, admin = client_of(app), client_of(app, world["admin"])
    answers = {url: anonymous.get(url) for url in ODD_URLS}
    answers.update({url: admin.get(url) for url in PRIVATE_ODD_URLS})

    assert {url: r.status_code for url, r in answers.items() if r.status_code >= 500} == {}
    for url, response in answers.items():
        assert_sound(response, url)
    assert answers["/workspace/vai-thieu/products/999999/edit"].status_code == 404
    assert answers["/cooperatives/%00"].status_code in (400, 404)
    assert answers["/products?page=99999999999999999999"].status_code == 400
    assert answers["/api/v1/products?page=99999999999999999999"].json["details"]
    assert answers["/workspace/vai-thieu/products/99999999999999999999/edit"].status_code == 404
    assert answers["/admin/users?page=99999999999999999999"].status_code == 404


# --- the defects this file found, each pinned down ------------------------------------------


def test_quick_update_refuses_a_number_too_large_for_the_database(app, world):
    manager = client_of(app, world["manager"])
    product = world["product"]
    stock = product.stock
    manager.get("/lang/en")

    page = manager.post(
        f"/workspace/{world['coop'].slug}/products/{product.id}/quick",
        data={f"p{product.id}-stock": "9" * 40, f"p{product.id}-price_vnd": "150000"},
        follow_redirects=True,
    )

    assert page.status_code == 200
    assert "The stock is too high." in page.get_data(as_text=True)
    db.session.refresh(product)
    assert product.stock == stock


@pytest.mark.parametrize("url", ["/cooperatives/%00", "/products?category=a%00b"])
def test_a_nul_character_in_the_address_is_a_bad_request(client, world, url):
    assert client.get(url).status_code == 400


def test_a_nul_character_in_a_form_is_a_bad_request_and_changes_nothing(app, world):
    customer = client_of(app, world["customer"])

    response = customer.post("/account/profile", data={"full_name": "Lê\x00Hồng"})

    assert response.status_code == 400
    db.session.refresh(world["customer"])
    assert "\x00" not in world["customer"].full_name


def import_page(app, world, content: bytes) -> str:
    manager = client_of(app, world["manager"])
    manager.get("/lang/en")
    page = manager.post(
        f"/workspace/{world['coop'].slug}/products/import",
        data={"file": (io.BytesIO(content), "sanpham.csv")},
    )
    assert page.status_code == 200
    return page.get_data(as_text=True)


def imported_skus(world) -> set[str]:
    db.session.expire_all()
    return {p.sku for p in world["coop"].products}


def test_a_nul_character_in_a_csv_cell_is_that_cells_error_and_nothing_is_imported(app, world):
    before = imported_skus(world)
    content = (
        CSV_HEADER + "vai-thieu,SP-1,Vải,Trái cây,kg,1000,1,,,\n" + "vai-thieu,SP-2,Vải\x00,Trái cây,kg,1000,1,,,\n"
    ).encode()

    page = import_page(app, world, content)

    assert "Nothing was imported" in page
    assert '<td class="num">3</td><td>name</td><td>contains a NUL character</td>' in page
    assert imported_skus(world) == before


@pytest.mark.parametrize("number", [str(2**31), str(2**63), "9" * 5000])
def test_a_csv_number_no_column_holds_is_that_cells_error(app, world, number):
    before = imported_skus(world)
    content = (CSV_HEADER + f"vai-thieu,SP-1,Vải,Trái cây,kg,1000,{number},,,\n").encode()

    page = import_page(app, world, content)

    assert "<td>stock</td><td>must be at most" in page
    assert imported_skus(world) == before


@pytest.mark.parametrize(
    "typed,message", [("-5", "The number cannot be negative."), ("1,5", "whole number"), ("   ", "Enter the ")]
)
def test_a_number_that_is_not_whole_gets_one_message_not_too_high(app, world, typed, message):
    manager = client_of(app, world["manager"])
    manager.get("/lang/en")

    page = manager.post(
        f"/workspace/{world['coop'].slug}/products/new",
        data={
            "name": "Vải",
            "category_id": world["category"].id,
            "sku": "V-2",
            "unit": "kg",
            "price_vnd": typed,
            "stock": typed,
            "status": "draft",
        },
    ).get_data(as_text=True)

    assert page.count(message) == 2  # price and stock
    assert "too high" not in page


def test_a_form_sent_without_its_token_says_it_expired(csrf_app):
    client = csrf_app.test_client()
    client.get("/lang/en")

    page = client.post("/account/login", data={"email": "khach@example.vn", "password": "x"})

    assert page.status_code == 400
    assert "This form has expired" in page.get_data(as_text=True)
    assert "could not be understood" in client.get("/cooperatives/%00").get_data(as_text=True)


LISTING_PARAMETERS = (
    "category",
    "cooperative",
    "province",
    "ocop_min",
    "youth",
    "sort",
    "page",
    "per_page",
    "q",
    "status",
)
BAD_PARAMETER_VALUES = ("", "-1", "9" * 30, "1.5", SCRIPT, "🍯", "x" * 5000, "%_'\"")


@pytest.mark.parametrize(
    "path",
    ["/products", "/categories/vai-thieu", "/cooperatives/", "/search", "/api/v1/products", "/api/v1/cooperatives"],
)
def test_every_listing_parameter_copes_with_nonsense(client, world, path):
    answers = {
        (name, value): client.get(path, query_string={name: value})
        for name in LISTING_PARAMETERS
        for value in BAD_PARAMETER_VALUES
    }

    assert {key: r.status_code for key, r in answers.items() if r.status_code >= 500} == {}
    for key, response in answers.items():
        assert_sound(response, f"{path} {key}")
        if path.startswith("/api/") and response.status_code >= 400:
            assert response.is_json and response.json["error"], key
