"""The OpenAPI 3.1 description of the JSON API (catalogue and orders), written by hand.

Kept next to api/views.py: a change to an endpoint, parameter or field belongs
in both. tests/api/test_openapi.py checks that every route is described and that
every listed parameter is one the endpoint really reads; tests/api/contract.py
validates every request the tests send to the API, and every answer, against it.
"""

from __future__ import annotations

from copy import deepcopy

from marketplace.catalog.models import OCOP_STARS, UNITS
from marketplace.catalog.queries import MAX_PER_PAGE, SORTS
from marketplace.core.routing import MAX_ID
from marketplace.orders import idempotency, payment_methods
from marketplace.orders.models import DeliveryMethod, PartStatus, PaymentStatus
from marketplace.orders.services import MAX_LINES, MAX_QUANTITY
from marketplace.promotion.reports import API_GROUP_BYS, GROUPINGS

PAYMENT_STATUSES = [s.value for s in PaymentStatus]
PART_STATUSES = [s.value for s in PartStatus]
DELIVERY_METHODS = [m.value for m in DeliveryMethod]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_REQUEST = {"$ref": "#/components/responses/BadRequest"}
NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
# Answers served from the storefront cache the same to everyone (core.page_cache.cached_json).
NOT_MODIFIED = {"$ref": "#/components/responses/NotModified"}

PAGE = _query(
    "page",
    "Page number, from 1. A page past the last one returns no items.",
    {"type": "integer", "minimum": 1, "default": 1},
)
PER_PAGE = _query(
    "per_page", "Items per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 24}
)
PROVINCE = _query(
    "province",
    "Official numeric code of the cooperative's province (see /provinces). Names are not accepted.",
    {"type": "integer"},
)
YOUTH = _query(
    "youth",
    "1 or true: youth cooperatives only; 0 or false: the others only. Omit for all.",
    {"type": "string", "enum": ["1", "0", "true", "false"]},
)

PRODUCT_PARAMETERS = [
    _query(
        "q",
        'Words to search for, as typed: accents and capitals are optional ("vai thieu" finds "Vải thiều"), '
        "a word of 4 letters or more may have one typo, and the last word may be the start of a word. Every "
        "word must match the name, description, category, cooperative, origin or province. Combines with every "
        "filter below; ranked by relevance unless another sort is given. Only the first 200 characters "
        "(10 words) are used. Empty or blank: no search, the plain list.",
        {"type": "string"},
    ),
    _query(
        "category",
        "Category slug. A top category includes its sub-categories.",
        {"type": "string"},
    ),
    _query("cooperative", "Slug of an approved cooperative.", {"type": "string"}),
    PROVINCE,
    _query(
        "ocop_min",
        "Minimum OCOP star rating. Products without a rating are left out when this is given.",
        {"type": "integer", "minimum": min(OCOP_STARS), "maximum": max(OCOP_STARS)},
    ),
    YOUTH,
    _query(
        "sort",
        "relevance: best match for q first, products in stock before sold-out ones (the default when q is "
        "given; without q, the same as newest); newest: most recently listed first (the default without q); "
        "price_asc / price_desc: by price.",
        {"type": "string", "enum": ["relevance", *SORTS]},
    ),
    PAGE,
    PER_PAGE,
]

COOPERATIVE_PARAMETERS = [PROVINCE, YOUTH, PAGE, PER_PAGE]

SCHEMAS = {
    "CategoryRef": {
        "type": "object",
        "required": ["id", "name", "slug"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string"},
        },
    },
    "CooperativeRef": {
        "type": "object",
        "required": ["id", "name", "slug"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string"},
        },
    },
    "Product": {
        "type": "object",
        "required": [
            "id",
            "name",
            "slug",
            "sku",
            "price_vnd",
            "regular_price_vnd",
            "fair_price",
            "unit",
            "stock",
            "ocop_stars",
            "certificates",
            "rating",
            "units_sold",
            "category",
            "origin",
            "cooperative",
            "url",
            "batches",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "sku": {"type": "string", "description": "The cooperative's own stock-keeping code."},
            "price_vnd": {
                "type": "integer",
                "minimum": 0,
                "description": "The current price in whole Vietnamese đồng: the fair price while one applies "
                "(what an order placed now pays), else the regular price.",
            },
            "regular_price_vnd": {"type": "integer", "minimum": 0, "description": "The regular price, fair or not."},
            "fair_price": {
                "type": ["object", "null"],
                "description": "The fair price that applies now (the lowest when the product is at several fairs "
                "that are on), or null. It ends by itself at ends_at; searching and sorting by price use the "
                "regular price.",
                "required": ["price_vnd", "fair", "ends_at"],
                "additionalProperties": False,
                "properties": {
                    "price_vnd": {"type": "integer", "minimum": 1},
                    "fair": {
                        "type": "object",
                        "required": ["slug", "name"],
                        "additionalProperties": False,
                        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "ends_at": {"type": "string", "format": "date-time", "description": "UTC; the end is exclusive."},
                },
            },
            "unit": {"type": "string", "description": "Selling unit, in Vietnamese.", "examples": UNITS[:4]},
            "stock": {"type": "integer", "minimum": 0},
            "ocop_stars": {
                "type": ["integer", "null"],
                "enum": [*OCOP_STARS, None],
                "description": "From the product's valid OCOP certificate today (the highest stars), else null.",
            },
            "certificates": {
                "type": "array",
                "description": "The certificates valid today (verified by agency staff, issued, not expired): "
                "the product's own, then its cooperative's. An expired or unverified certificate is never listed.",
                "items": {
                    "type": "object",
                    "required": [
                        "kind",
                        "name",
                        "ocop_stars",
                        "number",
                        "issuer",
                        "issued_on",
                        "expires_on",
                        "verified",
                        "scope",
                    ],
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"type": "string", "enum": ["ocop", "vietgap", "organic", "food_safety", "other"]},
                        "name": {
                            "type": "string",
                            "description": "The kind's name, or what an 'other' certificate is.",
                        },
                        "ocop_stars": {"type": ["integer", "null"], "enum": [*OCOP_STARS, None]},
                        "number": {"type": "string"},
                        "issuer": {"type": "string"},
                        "issued_on": {"type": "string", "format": "date"},
                        "expires_on": {
                            "type": ["string", "null"],
                            "format": "date",
                            "description": "The first day (in Vietnam) it is no longer valid; null: no expiry.",
                        },
                        "verified": {"type": "boolean"},
                        "scope": {"type": "string", "enum": ["product", "cooperative"]},
                    },
                },
            },
            "rating": {
                "type": "object",
                "required": ["average", "count"],
                "additionalProperties": False,
                "description": "Verified buyers' visible reviews: average stars (one decimal; null with no review) "
                "and how many. The reviews themselves: GET /products/{id}/reviews.",
                "properties": {
                    "average": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
                    "count": {"type": "integer", "minimum": 0},
                },
            },
            "units_sold": {
                "type": "integer",
                "minimum": 0,
                "description": 'Units in order parts that were delivered ("Đã bán" on the storefront).',
            },
            "category": _ref("CategoryRef"),
            "origin": {"type": "string"},
            "cooperative": _ref("CooperativeRef"),
            "url": {"type": "string", "format": "uri", "description": "The product's storefront page."},
            "batches": {
                "type": "array",
                "items": _ref("BatchRef"),
                "description": "The product's batches (lots) that are not recalled, latest production first "
                "(at most 20).",
            },
        },
    },
    "BatchRef": {
        "type": "object",
        "required": ["code", "produced_on", "best_before", "trace_url"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "maxLength": 20, "description": "The lot code printed on the pack."},
            "produced_on": {"type": "string", "format": "date", "description": "Production or harvest date."},
            "best_before": {"type": ["string", "null"], "format": "date"},
            "trace_url": {
                "type": "string",
                "format": "uri",
                "description": "The batch's public trace page: its GS1 Digital Link (/01/<GTIN>/10/<lot>) when "
                "the product has a GTIN, else its short link /t/<code>.",
            },
        },
    },
    "Unit": {
        "type": "object",
        "required": ["code", "name"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "name": {"type": "string"}},
    },
    "Cooperative": {
        "type": "object",
        "required": [
            "id",
            "name",
            "slug",
            "province",
            "ward",
            "is_youth",
            "member_count",
            "youth_member_count",
            "founded_on",
            "url",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "province": _ref("Unit"),
            "ward": _ref("Unit"),
            "is_youth": {"type": "boolean"},
            "member_count": {"type": "integer", "minimum": 0},
            "youth_member_count": {"type": "integer", "minimum": 0},
            "founded_on": {"type": ["string", "null"], "format": "date"},
            "url": {"type": "string", "format": "uri", "description": "The cooperative's storefront page."},
        },
    },
    "ProductPage": {
        "type": "object",
        "required": ["items", "total", "page", "pages"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": _ref("Product")},
            "total": {"type": "integer", "minimum": 0, "description": "Items on all pages."},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
        },
    },
    "CooperativePage": {
        "type": "object",
        "required": ["items", "total", "page", "pages"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": _ref("Cooperative")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
        },
    },
    "UnitList": {
        "type": "object",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": _ref("Unit")}},
    },
    "OrderRequest": {
        "type": "object",
        "required": ["items", "contact", "address", "payment_method"],
        "additionalProperties": False,
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_LINES,
                "items": {
                    "type": "object",
                    "required": ["product_id", "quantity"],
                    "additionalProperties": False,
                    "properties": {
                        "product_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                    },
                },
                "description": "Lines of the same product are added together.",
            },
            "contact": {
                "type": "object",
                "required": ["name", "phone"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "maxLength": 120},
                    "phone": {
                        "type": "string",
                        "description": "A Vietnamese mobile number, e.g. 0912 345 678: the order's contact, and how a "
                        "guest finds the order again.",
                    },
                    "email": {
                        "anyOf": [
                            {"type": "string", "format": "email", "maxLength": 254},
                            {"type": "string", "maxLength": 0},
                            {"type": "null"},
                        ],
                        "description": "Optional. When given (a valid address), the order confirmation and status "
                        "emails go there; left out, null or empty, the order is placed without email.",
                    },
                },
            },
            "address": {
                "type": "object",
                "required": ["province", "ward", "street"],
                "additionalProperties": False,
                "properties": {
                    "province": {"type": "integer", "description": "Official province code (see /provinces)."},
                    "ward": {"type": "integer", "description": "Official code of a ward of that province."},
                    "street": {"type": "string", "maxLength": 200},
                },
            },
            "delivery": {
                "type": "object",
                "description": "Per cooperative slug: home delivery (the default), pickup where offered, or "
                "fair_booth: pickup at the cooperative's booth at a fair that is on now (free; refused when it has "
                "none, e.g. the fair has ended).",
                "additionalProperties": {"type": "string", "enum": DELIVERY_METHODS},
            },
            "payment_method": {"type": "string"},  # the registered methods: see _payment_methods
            "note": {"type": "string", "maxLength": 1000},
        },
    },
    "OrderItem": {
        "type": "object",
        "required": ["product_id", "name", "unit", "unit_price_vnd", "quantity", "line_total_vnd"],
        "additionalProperties": False,
        "properties": {
            "product_id": {"type": ["integer", "null"], "description": "null once the product is deleted."},
            "name": {"type": "string", "description": "As it was when ordered."},
            "unit": {"type": "string"},
            "unit_price_vnd": {"type": "integer", "minimum": 0},
            "quantity": {"type": "integer", "minimum": 1},
            "line_total_vnd": {"type": "integer", "minimum": 0},
        },
    },
    "OrderPart": {
        "type": "object",
        "required": [
            "cooperative",
            "status",
            "delivery_method",
            "pickup_booth",
            "items",
            "items_total_vnd",
            "delivery_fee_vnd",
            "total_vnd",
        ],
        "additionalProperties": False,
        "properties": {
            "cooperative": {
                "type": "object",
                "required": ["slug", "name"],
                "additionalProperties": False,
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            },
            "status": {"type": "string", "enum": PART_STATUSES},
            "delivery_method": {"type": "string", "enum": DELIVERY_METHODS},
            "pickup_booth": {
                "type": ["object", "null"],
                "description": "For delivery_method fair_booth: the booth and fair where the part is picked up "
                "(while the fair is on, until ends_at); null otherwise.",
                "required": ["number", "fair"],
                "additionalProperties": False,
                "properties": {
                    "number": {"type": ["string", "null"]},
                    "fair": {
                        "type": "object",
                        "required": ["slug", "name", "ends_at"],
                        "additionalProperties": False,
                        "properties": {
                            "slug": {"type": "string"},
                            "name": {"type": "string"},
                            "ends_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
            "items": {"type": "array", "items": _ref("OrderItem")},
            "items_total_vnd": {"type": "integer", "minimum": 0},
            "delivery_fee_vnd": {"type": "integer", "minimum": 0},
            "total_vnd": {"type": "integer", "minimum": 0},
        },
    },
    "Payment": {
        "type": "object",
        "required": ["method", "status", "expires_at"],
        "additionalProperties": False,
        "properties": {
            "method": {"type": "string"},  # the registered methods: see _payment_methods
            "status": {"type": "string", "enum": PAYMENT_STATUSES},
            "expires_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "Card orders: cancelled unless paid by then (UTC). Otherwise null.",
            },
        },
    },
    "Order": {
        "type": "object",
        "required": [
            "number",
            "tracking_token",
            "status",
            "payment",
            "parts",
            "items_total_vnd",
            "delivery_total_vnd",
            "total_vnd",
            "url",
        ],
        "additionalProperties": False,
        "properties": {
            "number": {"type": "string", "examples": ["DH-2026-000123"]},
            "tracking_token": {"type": "string", "description": "Keep it secret: whoever holds it reads the order."},
            "status": {
                "type": "string",
                "enum": PART_STATUSES,
                "description": "The least advanced status of the parts still going.",
            },
            "payment": _ref("Payment"),
            "parts": {
                "type": "array",
                "items": _ref("OrderPart"),
                "description": "One per cooperative, in the cooperatives' alphabetical order.",
            },
            "items_total_vnd": {"type": "integer", "minimum": 0},
            "delivery_total_vnd": {"type": "integer", "minimum": 0},
            "total_vnd": {"type": "integer", "minimum": 0},
            "url": {"type": "string", "format": "uri", "description": "The order's web page for the customer."},
        },
    },
    "OutOfStockError": {
        "type": "object",
        "required": ["error", "details"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string"},
            "details": {
                "type": "object",
                "required": ["product_id", "remaining"],
                "additionalProperties": False,
                "properties": {
                    "product_id": {"type": "integer"},
                    "remaining": {"type": "integer", "minimum": 0},
                },
            },
        },
        "examples": [{"error": "Only 2 left of Mật ong rừng.", "details": {"product_id": 17, "remaining": 2}}],
    },
    "Error": {
        "type": "object",
        "required": ["error", "details"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string"},
            "details": {
                "type": "object",
                "description": "For 400: each bad parameter or field (as a JSON path: contact.phone, "
                "items[0].quantity; body for the body as a whole), with the reason.",
                "additionalProperties": {"type": "string"},
            },
        },
        "examples": [{"error": "Invalid query parameters", "details": {"page": "must be at least 1"}}],
    },
}

PATHS = {
    "/products": {
        "get": {
            "operationId": "listProducts",
            "summary": "Public products",
            "description": "Active products of approved cooperatives, searched (q), filtered, sorted and paged.",
            "tags": ["products"],
            "parameters": PRODUCT_PARAMETERS,
            "responses": {"200": _json(_ref("ProductPage"), "One page of products."), "400": BAD_REQUEST},
        }
    },
    "/products/{product_id}": {
        "get": {
            "operationId": "getProduct",
            "summary": "One public product",
            "tags": ["products"],
            "parameters": [{"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": _json(_ref("Product"), "The product."), "404": NOT_FOUND},
        }
    },
    "/cooperatives": {
        "get": {
            "operationId": "listCooperatives",
            "summary": "Approved cooperatives",
            "description": "Sorted by name.",
            "tags": ["cooperatives"],
            "parameters": COOPERATIVE_PARAMETERS,
            "responses": {
                "200": _json(_ref("CooperativePage"), "One page of cooperatives."),
                "304": NOT_MODIFIED,
                "400": BAD_REQUEST,
            },
        }
    },
    "/cooperatives/{slug}": {
        "get": {
            "operationId": "getCooperative",
            "summary": "One approved cooperative",
            "tags": ["cooperatives"],
            "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("Cooperative"), "The cooperative."), "304": NOT_MODIFIED, "404": NOT_FOUND},
        }
    },
    "/provinces": {
        "get": {
            "operationId": "listProvinces",
            "summary": "Provinces and centrally-run cities (since the 2025 reform)",
            "tags": ["places"],
            "responses": {"200": _json(_ref("UnitList"), "Every province, in Vietnamese alphabetical order.")},
        }
    },
    "/provinces/{code}/wards": {
        "get": {
            "operationId": "listWards",
            "summary": "Wards and communes of a province",
            "tags": ["places"],
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "Official numeric province code.",
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {"200": _json(_ref("UnitList"), "Every ward and commune of the province."), "404": NOT_FOUND},
        }
    },
    "/orders": {
        "post": {
            "operationId": "placeOrder",
            "summary": "Place an order",
            "description": (
                "One order for products of one or more cooperatives, split into one part per cooperative, "
                "each with its own delivery fee. Stock is taken for every line or for none: on any error "
                "nothing is written. The order is a guest order (no cookies are read, no CSRF token is "
                "needed); keep its tracking_token to read it again. Bank transfer: each part is paid to its "
                "cooperative with the VietQR payload in payment.transfers. Card: confirm payment.client_secret "
                "with Stripe.js before payment.expires_at, or the order is cancelled. Each item costs the "
                "product's current price (its fair price while one applies, kept after the fair). Orders placed "
                "through the API are never attributed to a fair or booth (no QR scan is read). Send an "
                "Idempotency-Key to retry safely: the same key with the same body answers as the first time "
                "(Idempotent-Replayed: true) and places nothing more."
            ),
            "tags": ["orders"],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": (
                        "A key of your own for this order, new for each order (a UUID, say). Sent again with the "
                        "same body within 24 hours (the server's IDEMPOTENCY_KEY_HOURS), the request is answered as "
                        "the first time (same status and body, with Idempotent-Replayed: true) and nothing more is "
                        "placed; sent with another body, it is refused (422). A second request with the key while "
                        "the first is still running waits for it, then answers as it did. Only an order placed (201) "
                        "is remembered: a refused request placed nothing and may be sent again with the same key. "
                        "1 to 255 printable ASCII characters, not only spaces."
                    ),
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": idempotency.MAX_KEY_LENGTH,
                        "pattern": idempotency.KEY_PATTERN,
                    },
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("OrderRequest")}},
            },
            "responses": {
                "201": {
                    **_json(_ref("Order"), "The order, placed. Location: its URL in this API."),
                    "headers": {
                        "Location": {
                            "description": "GET URL of the order, token included.",
                            "schema": {"type": "string", "format": "uri"},
                        },
                        "Idempotent-Replayed": {
                            "description": "true: the stored answer to an earlier request with this Idempotency-Key.",
                            "schema": {"type": "string", "enum": ["true"]},
                        },
                    },
                },
                "400": {"$ref": "#/components/responses/InvalidOrder"},
                "409": _json(
                    {"oneOf": [_ref("OutOfStockError"), _ref("Error")]},
                    "A line asks for more than is left (OutOfStockError); or, rarely, another request with this "
                    "Idempotency-Key is still being processed (Error): try again. Nothing was written.",
                ),
                "422": _json(
                    _ref("Error"),
                    "This Idempotency-Key was already used with another body (details names the header); nothing "
                    "was written.",
                ),
                "503": _json(_ref("Error"), "Card payments cannot be started right now; nothing was written."),
            },
        }
    },
    "/orders/{number}": {
        "get": {
            "operationId": "getOrder",
            "summary": "One order, for the holder of its tracking token",
            "tags": ["orders"],
            "parameters": [
                {
                    "name": "number",
                    "in": "path",
                    "required": True,
                    "description": "Order number, e.g. DH-2026-000123.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "token",
                    "in": "query",
                    "required": True,
                    "description": "The tracking_token returned when the order was placed.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": _json(_ref("Order"), "The order as it is now."),
                "404": _json(_ref("Error"), "No order with this number and token (the same answer for either)."),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "tags": ["meta"],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
        }
    },
}


# --- fairs (api/fairs.py) ---------------------------------------------------------------

FAIR_PHASES = ["upcoming", "ongoing", "past"]
FAIR_KINDS = ["trade_fair", "exhibition", "trade_promotion_conference", "online_fair"]
FAIR_STATUSES = ["accepting_applications", "published", "closed"]  # drafts are never public

FAIR_PARAMETERS = [
    _query(
        "status",
        "upcoming: not started yet (or still taking booth applications); ongoing: on now, fair prices "
        "apply; past: ended or closed. Omit for every public fair, latest first.",
        {"type": "string", "enum": FAIR_PHASES},
    ),
    PAGE,
    PER_PAGE,
]

_UTC_TIME = {"type": "string", "format": "date-time", "description": "UTC."}

_FAIR_PROPERTIES = {
    "slug": {"type": "string"},
    "name": {"type": "string"},
    "kind": {"type": "string", "enum": FAIR_KINDS},
    "status": {"type": "string", "enum": FAIR_STATUSES},
    "phase": {"type": "string", "enum": FAIR_PHASES, "description": "At the time of the answer."},
    "starts_at": _UTC_TIME,
    "ends_at": {**_UTC_TIME, "description": "UTC, exclusive: fair prices stop applying at this instant."},
    "applications_close_at": {"type": ["string", "null"], "format": "date-time"},
    "venue": {"type": "string", "description": "Empty for an online fair."},
    "address": {
        "type": "object",
        "required": ["province", "ward", "street"],
        "additionalProperties": False,
        "properties": {
            "province": _ref("FairUnit"),
            "ward": _ref("FairUnit"),
            "street": {"type": "string"},
        },
    },
    "organisers": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "name", "kind"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": ["youth_union", "cooperative_alliance", "other"]},
            },
        },
    },
    "description": {"type": "string"},
    "banner_url": {"type": ["string", "null"], "format": "uri"},
    "booth_count": {"type": "integer", "minimum": 0, "description": "Approved booths listed."},
    "url": {"type": "string", "format": "uri", "description": "The fair's web page."},
}

SCHEMAS.update(
    {
        "FairUnit": {
            "type": "object",
            "required": ["code", "name"],
            "additionalProperties": False,
            "properties": {"code": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}},
        },
        "Fair": {
            "type": "object",
            "required": list(_FAIR_PROPERTIES),
            "additionalProperties": False,
            "properties": _FAIR_PROPERTIES,
        },
        "FairPage": {
            "type": "object",
            "required": ["items", "total", "page", "pages"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": _ref("Fair")},
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 0},
            },
        },
        "ShowcasedProduct": {
            "type": "object",
            "required": [
                "id",
                "name",
                "slug",
                "unit",
                "stock",
                "price_vnd",
                "regular_price_vnd",
                "fair_price",
                "booth_fair_price_vnd",
                "url",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "slug": {"type": "string"},
                "unit": {"type": "string"},
                "stock": {"type": "integer", "minimum": 0},
                "price_vnd": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The current price: the fair price while one applies, else the regular price.",
                },
                "regular_price_vnd": {"type": "integer", "minimum": 0},
                "fair_price": {
                    "type": ["object", "null"],
                    "description": "The fair price that applies now (the lowest when the product is at several fairs "
                    "that are on, so possibly another fair's), or null.",
                    "required": ["price_vnd", "fair", "ends_at"],
                    "additionalProperties": False,
                    "properties": {
                        "price_vnd": {"type": "integer", "minimum": 1},
                        "fair": {
                            "type": "object",
                            "required": ["slug", "name"],
                            "additionalProperties": False,
                            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
                        },
                        "ends_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "UTC; the end is exclusive.",
                        },
                    },
                },
                "booth_fair_price_vnd": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "This booth's fair price, applying only while this fair is on (announced "
                    "before, gone after); null when the booth offers none.",
                },
                "url": {"type": "string", "format": "uri", "description": "The product's storefront page."},
            },
        },
        "Booth": {
            "type": "object",
            "required": ["number", "cooperative", "products", "url"],
            "additionalProperties": False,
            "properties": {
                "number": {"type": "string", "examples": ["A12"]},
                "cooperative": {
                    "type": "object",
                    "required": ["id", "name", "slug", "url"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "slug": {"type": "string"},
                        "url": {"type": "string", "format": "uri"},
                    },
                },
                "products": {"type": "array", "items": _ref("ShowcasedProduct")},
                "url": {"type": "string", "format": "uri", "description": "The booth's web page."},
            },
        },
        "FairDetail": {
            "type": "object",
            "required": [*_FAIR_PROPERTIES, "booths"],
            "additionalProperties": False,
            "properties": {
                **_FAIR_PROPERTIES,
                "booths": {"type": "array", "items": _ref("Booth"), "description": "By booth number."},
            },
        },
    }
)

PATHS.update(
    {
        "/fairs": {
            "get": {
                "operationId": "listFairs",
                "summary": "Public trade fairs",
                "description": "Fairs, exhibitions and trade-promotion conferences (never drafts). upcoming: soonest "
                "first; ongoing: ending soonest first; past: most recently ended first.",
                "tags": ["fairs"],
                "parameters": FAIR_PARAMETERS,
                "responses": {"200": _json(_ref("FairPage"), "One page of fairs."), "400": BAD_REQUEST},
            }
        },
        "/fairs/{slug}": {
            "get": {
                "operationId": "getFair",
                "summary": "One public fair with its booths, showcased products and current prices",
                "tags": ["fairs"],
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("FairDetail"), "The fair."), "404": NOT_FOUND},
            }
        },
    }
)


# --- the promotion report (api/reports.py), for agency staff with a bearer token -----------------

# The groupings and what their keys are come from the report's table (promotion.reports.GROUPINGS),
# which api/reports.py checks group_by against too.
REPORT_GROUP_BY = list(API_GROUP_BYS)
_GROUP_KEYS = "; ".join(f"{key}: {GROUPINGS[key].api_key}" for key in REPORT_GROUP_BY)
_FIGURE_DESCRIPTIONS = {
    "activities": "Approved promotion activities in the period.",
    "cooperatives_reached": "Distinct cooperatives that took part.",
    "products_introduced": "Distinct products introduced.",
    "visitors": "Visitors, as reported.",
    "business_contacts": "Business contacts, as reported.",
    "contracts_count": "Contracts or MoUs signed, as reported.",
    "contracts_value_vnd": "Value of those contracts, VND, as reported.",
    "sales_reported_vnd": "Direct sales, VND, as reported by the organisers.",
    "sales_measured_vnd": "Sales measured by the platform (fair and tracking-link orders, on-site sales), VND.",
    "platform_sales_vnd": "Platform sales of the participating cooperatives in the period, VND.",
    "budget_vnd": "Budget spent, VND.",
    "media_items": "Media items, as reported.",
}
_FIGURES = {name: {"type": "integer", "minimum": 0, "description": text} for name, text in _FIGURE_DESCRIPTIONS.items()}
_ISO_DAY = {"type": "string", "format": "date"}

SCHEMAS.update(
    {
        "ReportFigures": {
            "type": "object",
            "description": "The report's figures; every amount in whole VND.",
            "required": list(_FIGURES),
            "additionalProperties": False,
            "properties": _FIGURES,
        },
        "ReportGroup": {
            "type": "object",
            "description": "One group's figures. An activity counts in every group it belongs to (an activity of two "
            "agencies counts for both), so the groups may add up to more than the totals.",
            "required": ["key", "label", *_FIGURES],
            "additionalProperties": False,
            "properties": {
                "key": {
                    "type": ["string", "integer", "null"],
                    "description": f"Depends on group_by. {_GROUP_KEYS}.",
                },
                "label": {"type": "string", "description": "What the key names, in Vietnamese."},
                **_FIGURES,
            },
        },
        "PromotionReport": {
            "type": "object",
            "required": ["period", "group_by", "totals", "previous_year", "comparison_period", "groups"],
            "additionalProperties": False,
            "properties": {
                "period": {
                    "type": "object",
                    "required": ["from", "to"],
                    "additionalProperties": False,
                    "properties": {"from": _ISO_DAY, "to": {**_ISO_DAY, "description": "Inclusive."}},
                },
                "group_by": {"type": ["string", "null"], "enum": [*REPORT_GROUP_BY, None]},
                "totals": _ref("ReportFigures"),
                "previous_year": {
                    "anyOf": [_ref("ReportFigures"), {"type": "null"}],
                    "description": "The figures of the comparison period: for a period of a year or less the "
                    "same period one year earlier; for a longer one the period of the same length just before it, "
                    "or null when that begins before the programme (the whole programme 2023-2025 has none). "
                    "Which period it is: comparison_period.",
                },
                "comparison_period": {
                    "anyOf": [
                        {
                            "type": "object",
                            "required": ["from", "to", "label", "rule"],
                            "additionalProperties": False,
                            "properties": {
                                "from": _ISO_DAY,
                                "to": {**_ISO_DAY, "description": "Inclusive."},
                                "label": {
                                    "type": "string",
                                    "description": "How the report page names the period, in Vietnamese "
                                    "(e.g. 2023, Q2/2023, 05/2023, or a range of days).",
                                },
                                "rule": {
                                    "type": "string",
                                    "enum": ["year_earlier", "just_before"],
                                    "description": "year_earlier: the same period one year earlier (a period "
                                    "of a year or less); just_before: the period of the same length just before.",
                                },
                            },
                        },
                        {"type": "null"},
                    ],
                    "description": "The period whose figures previous_year holds; null exactly when "
                    "previous_year is null.",
                },
                "groups": {
                    "type": "array",
                    "items": _ref("ReportGroup"),
                    "description": "Empty without group_by.",
                },
            },
            "examples": [
                {
                    "period": {"from": "2025-01-01", "to": "2025-12-31"},
                    "group_by": "type",
                    "totals": {name: 0 for name in _FIGURES},
                    "previous_year": {name: 0 for name in _FIGURES},
                    "comparison_period": {
                        "from": "2024-01-01",
                        "to": "2024-12-31",
                        "label": "2024",
                        "rule": "year_earlier",
                    },
                    "groups": [],
                }
            ],
        },
    }
)

PATHS.update(
    {
        "/reports/promotion": {
            "get": {
                "operationId": "getPromotionReport",
                "summary": "Promotion activities and their results over a period (agency staff, bearer token)",
                "description": (
                    "The figures of the agency report page for the period: only approved activities count. "
                    "Needs Authorization: Bearer <token> (`marketplace tokens create --user EMAIL`) of an agency "
                    "staff member or an admin; cookies are not read."
                ),
                "tags": ["reports"],
                "security": [{"bearerToken": []}],
                "parameters": [
                    {
                        "name": "from",
                        "in": "query",
                        "required": True,
                        "description": "First day, YYYY-MM-DD (2000-01-01 to 2100-12-31). An activity "
                        "counts in the period in which it starts.",
                        "schema": _ISO_DAY,
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "required": True,
                        "description": "Last day (inclusive), YYYY-MM-DD, not before from, at the latest 2100-12-31.",
                        "schema": _ISO_DAY,
                    },
                    _query(
                        "group_by",
                        "Also give the figures per group of this grouping (ReportGroup's key says what each group is).",
                        {"type": "string", "enum": REPORT_GROUP_BY},
                    ),
                ],
                "responses": {
                    "200": _json(_ref("PromotionReport"), "The report."),
                    "400": _json(
                        _ref("Error"), "A parameter is missing or wrong; details names each one (from, to, group_by)."
                    ),
                    "401": {
                        **_json(
                            _ref("Error"),
                            "No token, or a token that is unknown or revoked, or its user is deactivated.",
                        ),
                        "headers": {
                            "WWW-Authenticate": {"description": 'Bearer realm="api"', "schema": {"type": "string"}}
                        },
                    },
                    "403": _json(_ref("Error"), "The token's user is not agency staff or an admin."),
                },
            }
        },
    }
)

# --- reviews (api/reviews.py) -------------------------------------------------------------

_UTC_TIME = {"type": "string", "format": "date-time", "description": "UTC."}

SCHEMAS.update(
    {
        "Review": {
            "type": "object",
            "required": ["id", "rating", "text", "author", "created_at", "photos", "reply"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "text": {"type": "string", "description": "May be empty: the rating alone."},
                "author": {"type": "string", "description": "The buyer's name shortened, e.g. L. T. Hoa."},
                "created_at": _UTC_TIME,
                "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "uri"}},
                "reply": {
                    "type": ["object", "null"],
                    "description": "The cooperative's public reply (at most one), or null.",
                    "required": ["text", "replied_at"],
                    "additionalProperties": False,
                    "properties": {"text": {"type": "string"}, "replied_at": _UTC_TIME},
                },
            },
        },
        "ProductReviews": {
            "type": "object",
            "required": ["product_id", "units_sold", "rating", "items", "total", "page", "pages"],
            "additionalProperties": False,
            "properties": {
                "product_id": {"type": "integer"},
                "units_sold": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Units in order parts delivered or completed.",
                },
                "rating": {
                    "type": "object",
                    "required": ["average", "count", "distribution"],
                    "additionalProperties": False,
                    "properties": {
                        "average": {
                            "type": ["number", "null"],
                            "minimum": 1,
                            "maximum": 5,
                            "description": "Of the visible reviews; null when there is none.",
                        },
                        "count": {"type": "integer", "minimum": 0},
                        "distribution": {
                            "type": "object",
                            "description": "Visible reviews per number of stars.",
                            "required": ["5", "4", "3", "2", "1"],
                            "additionalProperties": False,
                            "properties": {str(n): {"type": "integer", "minimum": 0} for n in (5, 4, 3, 2, 1)},
                        },
                    },
                },
                "items": {"type": "array", "items": _ref("Review"), "description": "Newest first, 10 a page."},
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 0},
            },
        },
    }
)

PATHS.update(
    {
        "/products/{product_id}/reviews": {
            "get": {
                "operationId": "listProductReviews",
                "summary": "A public product's rating and its buyers' reviews",
                "description": "Reviews by verified buyers of delivered items, newest first; reviews hidden by "
                "the agency are neither listed nor counted.",
                "tags": ["products"],
                "parameters": [
                    {"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    PAGE,
                ],
                "responses": {
                    "200": _json(_ref("ProductReviews"), "One page of reviews."),
                    "304": NOT_MODIFIED,
                    "400": BAD_REQUEST,
                    "404": NOT_FOUND,
                },
            }
        },
    }
)


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Youth cooperative marketplace API",
        "version": "1.0.0",
        "description": (
            "The public catalogue (active products of approved cooperatives) and trade fairs, read-only; guest "
            "orders: place one, then read it with its tracking token; and, for agency staff with a bearer "
            "token, the commitment-four promotion report. "
            "Lists share one envelope: items, total, page, pages. A query parameter given empty (name=) is the "
            "same as one left out. Errors are JSON "
            '{"error": message, "details": {parameter: reason}}: 400 for a bad parameter or field '
            "(every bad one is named; also for a NUL character anywhere in the request), 404 for anything "
            "unknown or not public, 409 when stock is short. "
            "Prices and totals are whole Vietnamese đồng. Only the report needs authentication "
            "(a token from `marketplace tokens create`)."
        ),
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": {
            "BadRequest": _json(
                _ref("Error"),
                "A query parameter could not be used, or the request carries a NUL character or an unpaired "
                "surrogate (in a parameter, a header or any string or key of a JSON body, `details` naming "
                "where), or a JSON body nested more than MAX_JSON_DEPTH (32) levels deep.",
            ),
            "TooLarge": _json(_ref("Error"), "The JSON body is larger than MAX_JSON_BYTES (1 MiB); nothing was read."),
            "NotFound": _json(_ref("Error"), "Unknown, or not public."),
            "NotModified": {
                "description": "The request's If-None-Match names this answer's ETag (or If-Modified-Since is "
                "not older than its Last-Modified): nothing changed, no body. While the storefront cache is on, "
                "the 200 answer carries ETag, Last-Modified and Cache-Control for this.",
            },
            "InvalidOrder": _json(
                _ref("Error"),
                "The body is not JSON, or names fields that are missing, of the wrong type or refused "
                "(every one found is listed); nothing was written.",
            ),
        },
    },
}

# Every request carrying a NUL character (or an unpaired surrogate, or a JSON body too deep)
# is refused before it reaches an endpoint (core.input_guard): each operation can answer 400;
# one taking a body 413 as well.
for _operation in (operation for item in PATHS.values() for operation in item.values()):
    _operation["responses"].setdefault("400", BAD_REQUEST)
    if "requestBody" in _operation:
        _operation["responses"].setdefault("413", {"$ref": "#/components/responses/TooLarge"})


DOCUMENT["components"]["securitySchemes"] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `marketplace tokens create --user EMAIL`, shown once. Only /reports/* need one.",
    }
}
DOCUMENT["info"]["description"] += (
    " Exception: /reports/promotion needs an agency staff or admin bearer token (401 without a valid one, "
    "403 for other roles)."
)


def openapi_document(server_url: str, per_page: int = 24) -> dict:
    """The document for this server; `per_page` is the configured default page size."""
    document = deepcopy(DOCUMENT)
    document["servers"] = [{"url": server_url}]
    _payment_methods(document["components"]["schemas"], payment_methods.registered())
    for path in ("/products", "/cooperatives", "/fairs"):
        for parameter in document["paths"][path]["get"]["parameters"]:
            if parameter["name"] == "per_page":
                parameter["schema"]["default"] = per_page
    return document


def _payment_methods(schemas: dict, methods) -> None:
    """The app's payment methods (orders.payment_methods): their codes, when each is offered,
    and the fields each adds to an order's payment."""
    codes = [method.code for method in methods]
    request = schemas["OrderRequest"]["properties"]["payment_method"]
    request["enum"] = codes
    request["description"] = "; ".join(method.api_availability for method in methods) + "."
    payment = schemas["Payment"]["properties"]
    payment["method"]["enum"] = codes
    for method in methods:
        payment.update(deepcopy(method.api_properties))
        schemas.update(deepcopy(method.api_schemas))
