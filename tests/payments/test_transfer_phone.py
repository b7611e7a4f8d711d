"""Paying by VietQR on the phone that shows the order: the QR as a PNG to save, values to copy."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from marketplace.core.models import utcnow
from marketplace.orders import services
from marketplace.orders.models import PartStatus
from marketplace.payments import vietqr
from tests import factories as f
from tests.cooperatives.helpers import sign_in

SCALE, BORDER = 8, 4


@pytest.fixture
def shop(app):
    """Two cooperatives taking bank transfers, one that does not."""
    lychee_coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=20_000,
        bank_bin="970436",
        bank_account_number="1023456789",
        bank_account_name="HTX VAI THIEU LUC NGAN",
    )
    honey_coop = f.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        bank_bin="970415",
        bank_account_number="113366668888",
        bank_account_name="HOP TAC XA MAT ONG SOC SON",
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    owner = f.user(email="khach@example.vn")
    stranger = f.user(email="nguoi.la@example.vn")
    f.commit()
    return type("Shop", (), locals())


@pytest.fixture
def order(shop):
    """A bank-transfer order of the two cooperatives, placed by a signed-in customer."""
    placed = f.order([(shop.lychee, 5), (shop.honey, 1)], payment_method="bank_transfer", user=shop.owner)
    f.commit()
    return placed


def part_of(order, cooperative):
    return next(part for part in order.parts if part.cooperative_id == cooperative.id)


def png_url(order, part, token=None):
    url = f"/orders/{order.number}/parts/{part.id}/vietqr.png"
    return f"{url}?token={token}" if token is not None else url


def png_modules(data: bytes) -> list[list[bool]]:
    """The dark modules of a QR picture drawn SCALE pixels a module inside a BORDER quiet zone."""
    image = Image.open(io.BytesIO(data)).convert("L")
    size = image.width // SCALE - 2 * BORDER
    return [
        [
            image.getpixel(((BORDER + x) * SCALE + SCALE // 2, (BORDER + y) * SCALE + SCALE // 2)) < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of segno's inline SVG (one stroked path of horizontal runs, 1 unit a module)."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1)) - 2 * BORDER
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    modules = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path):
        values = [float(n) for n in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
        else:
            for column in range(int(x), int(x + values[0])):
                modules[int(y) - BORDER][column - BORDER] = True
            x += values[0]
    return modules


def test_token_holder_downloads_the_qr_as_a_png_made_from_the_page_s_payload(client, shop, order):
    lychee = part_of(order, shop.lychee_coop)
    response = client.get(png_url(order, lychee, order.tracking_token))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == f'attachment; filename="vietqr-{order.number}-vai-thieu.png"'
    assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]

    image = Image.open(io.BytesIO(response.data))
    image.verify()
    assert image.format == "PNG" and image.width == image.height
    assert 300 <= image.width <= 600  # large enough for a scanner, small enough to send
    picture = png_modules(response.data)

    transfer = vietqr.transfer_for_part(lychee)
    assert transfer.amount_vnd == 620_000 and "54066200005802VN" in transfer.payload
    assert picture == [list(row) for row in vietqr.qr_code(transfer.payload).matrix]
    page = client.get(f"/orders/{order.number}?token={order.tracking_token}").get_data(as_text=True)
    svgs = re.findall(r'<svg [^>]*class="vietqr-code".*?</svg>', page, re.S)
    assert len(svgs) == 2 and picture in [svg_modules(svg) for svg in svgs]  # the same QR as on the page


def test_signed_in_owner_downloads_without_token_and_strangers_get_404(client, shop, order):
    honey = part_of(order, shop.honey_coop)
    assert client.get(png_url(order, honey)).status_code == 404  # nobody signed in, no token
    assert client.get(png_url(order, honey, "not-the-token")).status_code == 404
    assert client.get(png_url(order, honey, "ĐH" * 80)).status_code == 404

    sign_in(client, shop.stranger)
    assert client.get(png_url(order, honey)).status_code == 404

    sign_in(client, shop.owner)
    response = client.get(png_url(order, honey))
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert f'filename="vietqr-{order.number}-mat-ong.png"' in response.headers["Content-Disposition"]


def test_no_qr_for_another_order_s_part_or_one_not_to_be_paid_by_transfer(client, shop, order):
    other = f.order([(shop.lychee, 1)], payment_method="bank_transfer")
    cod = f.order([(shop.lychee, 1)], payment_method="cod")
    f.commit()
    token = order.tracking_token
    assert client.get(png_url(order, other.parts[0], token)).status_code == 404
    assert client.get(f"/orders/{order.number}/parts/999999/vietqr.png?token={token}").status_code == 404
    assert client.get(f"/orders/DH-2026-999999/parts/{order.parts[0].id}/vietqr.png?token={token}").status_code == 404
    assert client.get(png_url(cod, cod.parts[0], cod.tracking_token)).status_code == 404

    lychee, honey = part_of(order, shop.lychee_coop), part_of(order, shop.honey_coop)
    services.change_part_status(lychee, PartStatus.CANCELLED, by=None, actor="customer")
    honey.payment_received_at = utcnow()
    f.commit()
    assert client.get(png_url(order, lychee, token)).status_code == 404
    assert client.get(png_url(order, honey, token)).status_code == 404


def test_order_page_gives_each_value_to_copy_and_the_amount_in_digits(client, shop, order):
    page = client.get(f"/orders/{order.number}?token={order.tracking_token}").get_data(as_text=True)
    assert "Đơn này cần 2 lần chuyển khoản, mỗi hợp tác xã một lần." in page
    lychee, honey = part_of(order, shop.lychee_coop), part_of(order, shop.honey_coop)
    for part, account, amount in ((lychee, "1023456789", "620000"), (honey, "113366668888", "275000")):
        key = f"transfer-{part.id}"
        assert f'id="{key}-account">{account}<' in page
        assert f'id="{key}-amount">{amount}<' in page
        assert re.search(rf'<code class="copy-value" id="{key}-memo">{order.number}</code>', page)
        for value in ("account", "amount", "memo"):  # hidden until static/js/copy.js shows them
            assert re.search(
                rf'<button type="button" [^>]*data-copy-target="{key}-{value}"[^>]*hidden>Sao chép</button>', page
            )
        assert f'href="{png_url(order, part, order.tracking_token)}"' in page
    assert "Tải ảnh QR" in page and 'role="status" aria-live="polite"' in page
    assert "/static/js/copy.js" in page and "/static/css/transfer.css" in page


def test_one_transfer_needs_no_count_and_card_or_cash_orders_no_copy_script(client, shop):
    single = f.order([(shop.lychee, 1)], payment_method="bank_transfer")
    cod = f.order([(shop.lychee, 1), (shop.honey, 1)], payment_method="cod")
    f.commit()
    page = client.get(f"/orders/{single.number}?token={single.tracking_token}").get_data(as_text=True)
    assert "Tải ảnh QR" in page and "lần chuyển khoản" not in page
    page = client.get(f"/orders/{cod.number}?token={cod.tracking_token}").get_data(as_text=True)
    assert "Tải ảnh QR" not in page and "copy.js" not in page and "lần chuyển khoản" not in page
