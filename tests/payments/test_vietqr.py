"""Bank transfers by VietQR: the payload a banking app scans, and the QR picture on the page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from vietnam_qr_pay import QRPay

from marketplace.cooperatives.services import update_payment_settings
from marketplace.core import banks as bank_list
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.payments import vietqr
from tests import factories as f


def tlv(text: str) -> dict[str, str]:
    """EMVCo tag-length-value fields, parsed by hand (independent of the library that built them)."""
    fields, position = {}, 0
    while position < len(text):
        tag, length = text[position : position + 2], int(text[position + 2 : position + 4])
        fields[tag] = text[position + 4 : position + 4 + length]
        position += 4 + length
    assert position == len(text), "fields overrun the payload"
    return fields


def crc16_ccitt(text: str) -> str:
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


@pytest.fixture
def part(app):
    coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        bank_bin="970436",
        bank_account_number="1023456789",
        bank_account_name="HTX VAI THIEU LUC NGAN",
        delivery_fee_vnd=30_000,
    )
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    f.commit()
    order = f.order([(lychee, 2)], payment_method="bank_transfer")
    f.commit()
    return order.parts[0]


def test_payload_carries_bank_account_amount_and_order_number(part):
    transfer = vietqr.transfer_for_part(part)
    assert (transfer.bank_bin, transfer.bank_name) == ("970436", "Vietcombank")
    assert (transfer.account_number, transfer.account_name) == ("1023456789", "HTX VAI THIEU LUC NGAN")
    assert transfer.amount_vnd == 270_000
    assert transfer.memo == part.order.number and re.fullmatch(r"DH-\d{4}-\d{6}", transfer.memo)

    root = tlv(transfer.payload)
    assert root["00"] == "01" and root["01"] == "12"  # a dynamic QR: the amount is fixed
    account = tlv(root["38"])
    assert account["00"] == "A000000727"  # NAPAS
    assert tlv(account["01"]) == {"00": "970436", "01": "1023456789"}
    assert account["02"] == "QRIBFTTA"  # transfer to an account number
    assert (root["53"], root["54"], root["58"]) == ("704", "270000", "VN")
    assert tlv(root["62"])["08"] == transfer.memo
    assert transfer.payload[-8:-4] == "6304"
    assert root["63"] == crc16_ccitt(transfer.payload[:-4])

    decoded = QRPay(transfer.payload)
    assert decoded.is_valid
    assert (decoded.consumer.bank_bin, decoded.consumer.bank_number, decoded.amount) == (
        "970436",
        "1023456789",
        "270000",
    )
    assert decoded.additional_data.purpose == transfer.memo


def test_amount_leaves_out_what_was_refunded(part):
    part.refunded_vnd = 70_000
    transfer = vietqr.transfer_for_part(part)
    assert transfer.amount_vnd == 200_000
    assert tlv(transfer.payload)["54"] == "200000"


def test_a_tampered_payload_fails_its_checksum(part):
    payload = vietqr.transfer_for_part(part).payload
    assert not QRPay(payload.replace("270000", "970000")).is_valid


def test_qr_code_is_an_accessible_scalable_svg_without_styles(part):
    svg = str(vietqr.transfer_for_part(part).svg)
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    opening = svg[: svg.index(">")]
    assert 'role="img"' in opening and 'viewBox="0 0 ' in opening
    assert "width=" not in opening and "height=" not in opening  # CSS sizes it
    label = re.search(r'aria-label="([^"]+)"', opening).group(1)
    assert "1023456789" in label and "Vietcombank" in label
    assert f"<title>{label}</title>" in svg
    assert "style" not in svg.lower()


def test_memo_is_short_ascii():
    assert vietqr.transfer_memo("DH-2026-000123") == "DH-2026-000123"
    assert vietqr.transfer_memo("Đơn hàng số 12 — cảm ơn!") == "Don hang so 12 cam on"
    assert len(vietqr.transfer_memo("x" * 60)) == vietqr.MEMO_MAX_LENGTH


def test_a_cooperative_without_bank_account_cannot_be_paid_by_transfer(app):
    coop = f.cooperative("HTX Chưa có tài khoản", bank_bin="970436", bank_account_name="HTX A")  # no number
    product = f.product(coop, price_vnd=50_000, stock=5)
    f.commit()
    order = f.order([(product, 1)])
    f.commit()
    with pytest.raises(vietqr.NoBankAccount, match="no bank account"):
        vietqr.transfer_for_part(order.parts[0])


def test_bank_list_for_the_select():
    banks = dict(bank_list.banks())
    expected = {
        "970436": "Vietcombank",
        "970415": "VietinBank",
        "970418": "BIDV",
        "970405": "Agribank",
        "970407": "Techcombank",
        "970416": "ACB",
        "970432": "VPBank",
        "970403": "Sacombank",
        "970423": "TPBank",
    }
    assert expected.items() <= banks.items()
    assert banks["970422"].startswith("MB")
    assert len(banks) == len(bank_list.banks())  # one entry per BIN, merged banks not twice
    names = [name for _, name in bank_list.banks()]
    assert names == sorted(names, key=str.casefold)
    assert bank_list.bank_name("970436") == "Vietcombank"
    assert bank_list.bank_name("123456") == "123456"


def test_settings_refuse_a_half_given_account(app):
    coop = f.cooperative("HTX Mật ong")
    f.commit()
    with pytest.raises(Refused) as refused:
        update_payment_settings(coop, {"delivery_fee_vnd": 0, "bank_bin": "970436"})
    assert refused.value.field == "bank_bin"
    db.session.rollback()
    update_payment_settings(
        coop,
        {
            "delivery_fee_vnd": 0,
            "bank_bin": "970436",
            "bank_account_number": "0011223344",
            "bank_account_name": "Hợp tác xã Mật ong",
        },
    )
    assert coop.bank_account_name == "HOP TAC XA MAT ONG"


def test_demo_cooperatives_take_bank_transfers_and_offer_pickup(app):
    from marketplace.cooperatives.models import Cooperative, CooperativeStatus
    from marketplace.demo.loader import load_demo
    from marketplace.orders.payment_methods import offered_for

    load_demo(image_width=96)
    db.session.commit()
    approved = db.session.scalars(
        sa.select(Cooperative).where(Cooperative.status == CooperativeStatus.APPROVED).order_by(Cooperative.slug)
    ).all()
    with_bank = [c for c in approved if vietqr.has_bank_account(c)]
    assert len(with_bank) >= len(approved) - 1 and any(c.offers_pickup for c in approved)
    assert any(not c.offers_pickup for c in approved) and any(c.free_delivery_from_vnd for c in approved)
    for coop in with_bank:
        assert bank_list.is_known_bank(coop.bank_bin) and coop.bank_account_number.isdigit()
        assert coop.bank_account_name.isascii() and coop.bank_account_name == coop.bank_account_name.upper()
    assert "bank_transfer" in [method.code for method in offered_for(with_bank[:2])]

    product = next(p for p in with_bank[0].products if p.stock)
    order = f.order([(product, 1)], payment_method="bank_transfer")
    f.commit()
    decoded = QRPay(vietqr.transfer_for_part(order.parts[0]).payload)
    assert decoded.is_valid and decoded.consumer.bank_number == with_bank[0].bank_account_number
