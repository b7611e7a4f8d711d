"""Bank transfer by VietQR: offered when every cooperative of the order has a bank account;
the customer makes one transfer to each cooperative (payments.vietqr), which records it when
the money arrives. The order page, the confirmation email and the API show what to transfer
for each part still to be paid."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

from marketplace.orders.models import PartStatus, PaymentStatus
from marketplace.orders.payment_methods import PaymentMethodType
from marketplace.payments import vietqr

logger = logging.getLogger(__name__)

CODE = "bank_transfer"


class BankTransfer(PaymentMethodType):
    code = CODE
    label = _l("Bank transfer (VietQR)")
    api_availability = "bank_transfer when every cooperative of the order has a bank account"
    mark_received = _l("Mark transfer received")
    templates = {
        "order_head": "payments/bank_transfer/order_head.html",
        "order_summary": "payments/bank_transfer/order_summary.html",
        "order_part": "payments/bank_transfer/order_part.html",
        "checkout_option": "payments/bank_transfer/checkout_option.html",
        "confirmation_part": "payments/bank_transfer/confirmation_part",
    }
    api_properties = {
        "transfers": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/BankTransfer"},
            "description": "Unpaid bank transfer orders: one transfer per cooperative still to be paid.",
        },
    }
    api_schemas = {
        "BankTransfer": {
            "type": "object",
            "required": [
                "cooperative",
                "bank_name",
                "account_number",
                "account_name",
                "amount_vnd",
                "memo",
                "vietqr_payload",
            ],
            "additionalProperties": False,
            "properties": {
                "cooperative": {"type": "string", "description": "Slug of the cooperative to pay."},
                "bank_name": {"type": "string"},
                "account_number": {"type": "string"},
                "account_name": {"type": "string"},
                "amount_vnd": {"type": "integer", "minimum": 0},
                "memo": {"type": "string", "description": "Transfer content to use, so the payment is matched."},
                "vietqr_payload": {"type": "string", "description": "VietQR (EMVCo) text to show as a QR code."},
            },
        },
    }

    def available(self, cooperatives) -> bool:
        return all(vietqr.has_bank_account(cooperative) for cooperative in cooperatives)

    def details(self, order) -> dict:
        """{"transfers": {part id: Transfer (None when it cannot be made)}} for the parts still to be paid."""
        return {"transfers": {part.id: transfer_for(part) for part in order.parts if awaits_transfer(part)}}

    def api_fields(self, order) -> dict:
        return {"transfers": transfers_json(order)} if order.payment_status == PaymentStatus.UNPAID else {}


def awaits_transfer(part) -> bool:
    """A part of a bank-transfer order still to be paid: not cancelled, no payment received."""
    return (
        part.order.payment_method == CODE and part.status != PartStatus.CANCELLED and part.payment_received_at is None
    )


def transfer_for(part):
    """The VietQR transfer of a part (None, logged, when it cannot be made)."""
    try:
        return vietqr.transfer_for_part(part)
    except Exception:
        logger.exception("No VietQR transfer for order %s part %s", part.order.number, part.id)
        return None


def transfers_json(order) -> list[dict]:
    """What to pay each cooperative still waiting for its bank transfer, as VietQR (the API)."""
    transfers = []
    for part in order.parts:
        if part.status == PartStatus.CANCELLED or part.payment_received_at is not None:
            continue
        try:
            transfer = vietqr.transfer_for_part(part)
        except vietqr.NoBankAccount:  # removed since the order was placed: the cooperative arranges payment
            continue
        transfers.append(
            {
                "cooperative": part.cooperative.slug,
                "bank_name": transfer.bank_name,
                "account_number": transfer.account_number,
                "account_name": transfer.account_name,
                "amount_vnd": transfer.amount_vnd,
                "memo": transfer.memo,
                "vietqr_payload": transfer.payload,
            }
        )
    return transfers
