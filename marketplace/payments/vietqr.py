"""Bank transfers by VietQR: what a customer pays into which account, as text and as a QR code.

The payload is the NAPAS EMVCo string every Vietnamese banking app scans ("VietQR"):
the cooperative's bank (BIN) and account, the amount in đồng and the order number as the
transfer memo, so the cooperative can match the money to the order. Built with
`vietnam-qr-pay`; the QR picture is an inline SVG from `segno` (no styles: the CSP forbids them),
and the same code as a PNG for the customer to save and scan from the phone's gallery.
Both are imported where a payload or a picture is made: every web process imports this
module (the checkout, the API), few of them draw a QR code. The bank list is core.banks;
a cooperative's account is set with its other settings (cooperatives.services).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace.core.banks import bank_name
from marketplace.core.formatting import format_vnd
from marketplace.core.text import fold_accents

MEMO_MAX_LENGTH = 25  # banks cut transfer memos; an order number is 14 characters
PNG_SCALE = 8  # pixels a module: a VietQR code (version 6-7, 41-45 modules + border) is about 400 px


class NoBankAccount(Exception):
    """The cooperative has not given a bank account, so it cannot be paid by transfer."""

    def __init__(self, cooperative):
        super().__init__(f"Cooperative {cooperative.slug!r} has no bank account for transfers")
        self.cooperative = cooperative


@dataclass(frozen=True)
class Transfer:
    bank_bin: str
    bank_name: str
    account_number: str
    account_name: str
    amount_vnd: int
    memo: str
    payload: str
    svg: Markup


def has_bank_account(cooperative) -> bool:
    """The bank and account number are what a transfer needs (payments.bank_transfer offers it then)."""
    return bool(cooperative.bank_bin and cooperative.bank_account_number)


def transfer_for_part(part) -> Transfer:
    """What to transfer for one cooperative's part of an order. Raises NoBankAccount."""
    cooperative = part.cooperative
    if not has_bank_account(cooperative):
        raise NoBankAccount(cooperative)
    amount = max(part.total_vnd - (part.refunded_vnd or 0), 0)
    memo = transfer_memo(part.order.number)
    payload = vietqr_payload(cooperative.bank_bin, cooperative.bank_account_number, amount, memo)
    name = bank_name(cooperative.bank_bin)
    label = _(
        "VietQR code to pay %(amount)s to account %(account)s at %(bank)s",
        amount=format_vnd(amount),
        account=cooperative.bank_account_number,
        bank=name,
    )
    return Transfer(
        bank_bin=cooperative.bank_bin,
        bank_name=name,
        account_number=cooperative.bank_account_number,
        account_name=cooperative.bank_account_name or "",
        amount_vnd=amount,
        memo=memo,
        payload=payload,
        svg=qr_svg(payload, label),
    )


def transfer_memo(text: str) -> str:
    """ASCII letters, digits, spaces and dashes only, short enough for every bank."""
    memo = re.sub(r"[^A-Za-z0-9 -]+", " ", fold_accents(text))
    return " ".join(memo.split())[:MEMO_MAX_LENGTH].strip()


def vietqr_payload(bank_bin: str, account_number: str, amount_vnd: int, memo: str) -> str:
    """The NAPAS VietQR string (EMVCo TLV, currency 704, country VN, CRC16 at the end)."""
    from vietnam_qr_pay import QRPay

    qr = QRPay.init_viet_qr(bank_bin=bank_bin, bank_number=account_number, amount=str(amount_vnd), purpose=memo)
    return qr.build()


def qr_code(payload: str):
    """The QR code of a payload, the one both pictures draw: error correction M, never a
    Micro QR (banking apps do not read those)."""
    import segno

    return segno.make(payload, error="m", micro=False)


def qr_svg(payload: str, label: str) -> Markup:
    """An inline, scalable SVG QR code (viewBox, no width/height, no styles) labelled for screen readers."""
    svg = qr_code(payload).svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        title=label,
        svgclass="vietqr-code",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG picture, 8 pixels a module with the 4-module quiet zone, for
    banking apps that scan a QR from the phone's photo gallery."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="png", scale=PNG_SCALE, border=4)
    return buffer.getvalue()
