"""Orders through the JSON API: place one, then follow it with its tracking token.

For third-party clients: no cookies are read (an API order is a guest order, whoever
is signed in on the browser), so the blueprint's CSRF exemption protects nothing
that could be forged. Same rules as the web checkout (orders.services.place_order):
one transaction, nothing written when anything is refused. Error reasons in English.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import force_locale

from marketplace.api.idempotency import idempotent
from marketplace.api.views import bp
from marketplace.cooperatives.models import Cooperative
from marketplace.core.errors import Refused, api_error
from marketplace.core.routing import MAX_ID
from marketplace.extensions import csrf, db
from marketplace.orders import notifications, payment_methods, services
from marketplace.orders.models import Order, OrderPart
from marketplace.orders.payment_methods import PaymentUnavailable
from marketplace.orders.services import Checkout, OutOfStock

logger = logging.getLogger(__name__)

ORDER_NUMBER = re.compile(r"DH-\d{4}-\d{6,12}")
# Refused.field from the services -> where that value is in the request body.
FIELD_PATHS = {
    "name": "contact.name",
    "phone": "contact.phone",
    "email": "contact.email",
    "province_code": "address.province",
    "ward_code": "address.ward",
    "street": "address.street",
}


class InvalidOrder(Exception):
    """The request body cannot be an order: {JSON path: reason}."""

    def __init__(self, details: dict[str, str]):
        super().__init__("Invalid order")
        self.details = details


@bp.errorhandler(InvalidOrder)
def invalid_order(error: InvalidOrder):
    return api_error(400, "Invalid order", error.details)


# --- reading the request ------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(body: dict, key: str, errors: dict) -> dict | None:
    """body[key], an object; None (the error already given) when it is not one."""
    value = body.get(key)
    if not isinstance(value, dict):
        errors[key] = "required, an object"
        return None
    return value


def _text(parent: dict | None, key: str, path: str, errors: dict, required: bool = True) -> str:
    if parent is None:
        return ""
    value = parent.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        errors[path] = "required, a string" if required else "must be a string"
        return ""
    return value


def _code(parent: dict | None, key: str, path: str, errors: dict) -> int | None:
    if parent is None:
        return None
    value = parent.get(key)
    if not _is_int(value):
        errors[path] = "required, the official numeric code"
        return None
    return value


def _lines(body: dict, errors: dict) -> list[tuple[int, int]]:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        errors["items"] = "required, a list of at least one {product_id, quantity}"
        return []
    if len(items) > services.MAX_LINES:
        errors["items"] = f"at most {services.MAX_LINES} lines"
        return []
    lines = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"items[{n}]"] = "must be an object {product_id, quantity}"
            continue
        product_id, quantity = item.get("product_id"), item.get("quantity")
        if not _is_int(product_id):
            errors[f"items[{n}].product_id"] = "required, an integer"
        elif not 1 <= product_id <= MAX_ID:  # an INTEGER column: a larger one is no product (and overflows)
            errors[f"items[{n}].product_id"] = f"must be between 1 and {MAX_ID}"
        if not _is_int(quantity):
            errors[f"items[{n}].quantity"] = "required, an integer"
        elif not 1 <= quantity <= services.MAX_QUANTITY:
            errors[f"items[{n}].quantity"] = f"must be between 1 and {services.MAX_QUANTITY}"
        lines.append((product_id, quantity))
    return lines


DELIVERY_VALUES = ("home", "pickup", "fair_booth")


def _delivery(body: dict, errors: dict) -> dict[int, str]:
    """{"<cooperative slug>": "home"|"pickup"|"fair_booth"} -> {cooperative id: method}.
    fair_booth: pickup at the cooperative's booth at a fair that is on now (place_order
    finds the booth and refuses when there is none)."""
    chosen = body.get("delivery", {})
    if not isinstance(chosen, dict):
        errors["delivery"] = 'an object {"<cooperative slug>": "home", "pickup" or "fair_booth"}'
        return {}
    for slug, method in chosen.items():
        if method not in DELIVERY_VALUES:
            errors[f"delivery.{slug}"] = 'must be "home", "pickup" or "fair_booth"'
    if not chosen or errors:
        return {}
    ids = dict(
        db.session.execute(sa.select(Cooperative.slug, Cooperative.id).where(Cooperative.slug.in_(chosen))).all()
    )
    for slug in chosen:
        if slug not in ids:
            errors[f"delivery.{slug}"] = "unknown cooperative"
    return {ids[slug]: method for slug, method in chosen.items() if slug in ids}


def read_order_request() -> tuple[list[tuple[int, int]], Checkout]:
    """The lines and checkout of the request body, or InvalidOrder naming every bad field."""
    if not request.is_json:
        raise InvalidOrder({"body": "send the order as JSON (Content-Type: application/json)"})
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidOrder({"body": "not valid JSON"})
    if not isinstance(body, dict):
        raise InvalidOrder({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    lines = _lines(body, errors)
    contact = _object(body, "contact", errors)
    address = _object(body, "address", errors)
    checkout = Checkout(
        name=_text(contact, "name", "contact.name", errors),
        phone=_text(contact, "phone", "contact.phone", errors),
        email=_text(contact, "email", "contact.email", errors, required=False),  # optional: the phone is the contact
        province_code=_code(address, "province", "address.province", errors),
        ward_code=_code(address, "ward", "address.ward", errors),
        street=_text(address, "street", "address.street", errors),
        payment_method=_text(body, "payment_method", "payment_method", errors),
        note=_text(body, "note", "note", errors, required=False),
    )
    if errors:  # no database work for a body that is wrong anyway
        raise InvalidOrder(errors)
    checkout.delivery = _delivery(body, errors)
    if errors:
        raise InvalidOrder(errors)
    return lines, checkout


# --- the answer ---------------------------------------------------------------------------------


def order_page_url(order: Order) -> str:
    """The customer's web page of the order, as the status emails link it."""
    return url_for("orders.order_page", number=order.number, token=order.tracking_token, _external=True)


def booth_json(booth) -> dict | None:
    """Where a fair_booth part is picked up (None when the booth has been deleted since)."""
    if booth is None:
        return None
    return {
        "number": booth.number,
        "fair": {"slug": booth.fair.slug, "name": booth.fair.name, "ends_at": booth.fair.ends_at.isoformat() + "Z"},
    }


def part_json(part: OrderPart) -> dict:
    return {
        "cooperative": {"slug": part.cooperative.slug, "name": part.cooperative.name},
        "status": part.status.value,
        "delivery_method": part.delivery_method.value,
        "pickup_booth": booth_json(part.booth) if part.booth_id is not None else None,
        "items": [
            {
                "product_id": item.product_id,
                "name": item.product_name,
                "unit": item.unit,
                "unit_price_vnd": item.unit_price_vnd,
                "quantity": item.quantity,
                "line_total_vnd": item.line_total_vnd,
            }
            for item in part.items
        ],
        "items_total_vnd": part.items_total_vnd,
        "delivery_fee_vnd": part.delivery_fee_vnd,
        "total_vnd": part.total_vnd,
    }


def order_json(order: Order, started: dict | None = None) -> dict:
    """The order as the API shows it; `started` is what starting its payment gave, for the
    answer to placeOrder only (card: its client_secret)."""
    # One query for the parts' cooperatives rather than one each (held here while serialising);
    # a just-placed order has them in the session already and skips it.
    missing = {
        part.cooperative_id
        for part in order.parts
        if db.session.identity_map.get(db.session.identity_key(Cooperative, part.cooperative_id)) is None
    }
    held = []  # the loaded cooperatives stay in the session's identity map while this object lives
    if missing:
        held = db.session.scalars(sa.select(Cooperative).where(Cooperative.id.in_(missing))).all()  # noqa: F841
    payment = {
        "method": order.payment_method,
        "status": order.payment_status.value,
        "expires_at": order.expires_at.isoformat() + "Z" if order.expires_at else None,
        **payment_methods.of(order).api_fields(order),  # bank transfer: what to transfer
        **(started or {}),
    }
    return {
        "number": order.number,
        "tracking_token": order.tracking_token,
        "status": services.order_status(order).value,
        "payment": payment,
        "parts": [part_json(part) for part in order.parts],
        "items_total_vnd": order.items_total_vnd,
        "delivery_total_vnd": order.delivery_total_vnd,
        "total_vnd": order.total_vnd,
        "url": order_page_url(order),
    }


# --- endpoints ----------------------------------------------------------------------------------


@bp.post("/orders")
@csrf.exempt
@idempotent  # Idempotency-Key: a retried request gets the first answer (api/idempotency.py)
def place_order():
    lines, checkout = read_order_request()
    with force_locale("en"):
        # A refusal is answered in the API's own terms; an error answer rolls the request back.
        try:
            order = services.place_order(lines, checkout, user=None)
            started = payment_methods.of(order).start(order)  # card: its PaymentIntent
        except OutOfStock as refused:
            return api_error(409, refused.message, {"product_id": refused.product.id, "remaining": refused.remaining})
        except PaymentUnavailable:  # a Refused too, but the client's request was fine: try again later
            method = payment_methods.label(checkout.payment_method)
            return api_error(
                503, f"{method} payments are unavailable right now; try again later or choose another method"
            )
        except Refused as refused:
            field = FIELD_PATHS.get(refused.field, refused.field or "body")
            return api_error(400, "Invalid order", {field: str(refused.message)})
        answer = order_json(order, started)
    location = url_for("api.order", number=order.number, token=order.tracking_token, _external=True)
    notifications.order_placed(order)  # the web checkout's mails, queued in this transaction, sent after the commit
    logger.info("Order %s placed through the API", answer["number"])
    response = api_json(answer, 201)
    response.headers["Location"] = location  # built before the commit: no reload of the order
    return response


@bp.get("/orders/<number>")
def order(number: str):
    token = request.args.get("token", "")
    # What cannot be a number or a token (too long, not ASCII, a NUL) is simply not found.
    if not (ORDER_NUMBER.fullmatch(number) and len(token) <= 100 and token.isascii() and token.isprintable()):
        return api_error(404, "Order not found")
    found = services.order_by_token(number, token)
    if found is None:
        return api_error(404, "Order not found")
    with force_locale("en"):
        return api_json(order_json(found))


def api_json(data: dict, status: int = 200):
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # holds a contact's order and its token
    return response
