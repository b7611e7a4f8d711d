"""Bank transfers by VietQR: what a customer pays into which account, as text and as a QR code.

The payload is the NAPAS EMVCo string every Vietnamese banking app scans ("VietQR"):
the cooperative's bank (BIN) and account, the amount in đồng and the order number as the
transfer memo, so the cooperative can match the money to the order. Built with
`vietnam-qr-pay`; the QR picture is an inline SVG from `segno` (no styles: the CSP forbids them),
and the same code as a PNG for the customer to save and scan from the phone's gallery.
Both are imported where a payload or a picture is made, and the bank list read on first use:
every web process imports this module (the checkout, the API, the cooperative's settings),
few of them draw a QR code.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace.core.errors import Refused
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


def banks() -> list[tuple[str, str]]:
    """(BIN, short name) of the banks that receive VietQR transfers, by name, for a select."""
    return sorted(_banks().items(), key=lambda item: item[1].casefold())


def bank_name(bin_: str | None) -> str:
    """The bank's short name ("Vietcombank"), or the BIN itself if we do not know it."""
    return _banks().get(bin_ or "", bin_ or "")


def is_known_bank(bin_: str | None) -> bool:
    return (bin_ or "") in _banks()


def has_bank_account(cooperative) -> bool:
    """The bank and account number are what a transfer needs (as orders.services.payment_methods_for)."""
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
        scale=1, border=4, omitsize=True, title=label, svgclass="vietqr-code", lineclass=None,
        dark="#000", light="#fff",
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG picture, 8 pixels a module with the 4-module quiet zone, for
    banking apps that scan a QR from the phone's photo gallery."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="png", scale=PNG_SCALE, border=4)
    return buffer.getvalue()


def update_payment_settings(cooperative, data: dict) -> None:
    """Set the delivery fee, free-delivery threshold, pickup and bank account the checkout offers.

    The form checks each field; this keeps the rules whoever calls it: amounts not negative,
    and the bank account given whole (bank, number, holder) or not at all. Raises Refused.
    """
    fee, free_from = data.get("delivery_fee_vnd"), data.get("free_delivery_from_vnd")
    if fee is None or fee < 0:
        raise Refused(_("Enter the delivery fee, 0 if delivery is free."), "delivery_fee_vnd")
    if free_from is not None and free_from < 0:
        raise Refused(_("The number cannot be negative."), "free_delivery_from_vnd")
    bank_bin = data.get("bank_bin") or None
    number = data.get("bank_account_number") or None
    holder = normalise_account_name(data.get("bank_account_name") or "") or None
    if any((bank_bin, number, holder)) and not all((bank_bin, number, holder)):
        raise Refused(_("Give the bank, the account number and the account holder, or none of them."), "bank_bin")
    if bank_bin and not is_known_bank(bank_bin):
        raise Refused(_("Choose a bank from the list."), "bank_bin")
    if number and not re.fullmatch(r"[0-9]{6,19}", number):
        raise Refused(_("Enter the account number: 6 to 19 digits, no letters."), "bank_account_number")
    cooperative.delivery_fee_vnd = fee
    cooperative.free_delivery_from_vnd = free_from
    cooperative.offers_pickup = bool(data.get("offers_pickup"))
    cooperative.bank_bin, cooperative.bank_account_number, cooperative.bank_account_name = bank_bin, number, holder


def normalise_account_name(name: str) -> str:
    """'Hợp tác xã  Mật ong' -> 'HOP TAC XA MAT ONG', as banks print account holders."""
    return " ".join(fold_accents(name).upper().split())


@lru_cache(maxsize=1)
def _banks() -> dict[str, str]:
    """{BIN: short name} of the banks that receive VietQR transfers."""
    from vietnam_qr_pay import BanksObject

    found: dict[str, str] = {}
    for bank in BanksObject.values():
        if bank.bin and not bank.deprecated and bank.viet_qr_status >= 0:
            found.setdefault(bank.bin, bank.short_name)
    return found
