"""The public trace page of a batch, opened from the QR code on its pack.

Two addresses show the same page: the short link `/t/<short_code>` (any case) and the GS1
Digital Link `/01/<GTIN>/10/<lot>` (a GTIN-8/12/13 is padded; further AIs in the path and a
query such as ?17=YYMMDD are ignored). Unknown codes, a GTIN no product has, a bad check digit
and a lot the product does not have are 404.

A scan while a fair is on, of a batch whose cooperative has an approved booth at that fair,
credits the browser's later orders to that booth like a scan of the booth's own QR code
(fairs.attribution): the visit is counted and the source cookie set.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, abort, make_response, render_template, request

from marketplace.catalog.models import ProductStatus
from marketplace.core import geo
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import attribution
from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus
from marketplace.traceability import batches, gs1
from marketplace.traceability.models import Batch, BatchAllocation

bp = Blueprint("trace", __name__)

CACHE_SECONDS = 300


@bp.app_template_global()
def order_item_lots(parts) -> dict[int, list[tuple[Batch, int]]]:
    """On order pages and packing slips: item id -> [(batch, units)] of the batches its units came
    from (stock by batch), in one query; units given back on a cancel are not counted."""
    item_ids = [item.id for part in parts for item in part.items]
    found: dict[int, list[tuple[Batch, int]]] = {}
    if not item_ids:
        return found
    rows = db.session.execute(
        sa.select(BatchAllocation.order_item_id, Batch, BatchAllocation.quantity - BatchAllocation.returned)
        .join(Batch, BatchAllocation.batch_id == Batch.id)
        .where(BatchAllocation.order_item_id.in_(item_ids))
        .order_by(BatchAllocation.id)
    )
    for item_id, batch, units in rows:
        if units > 0:
            found.setdefault(item_id, []).append((batch, units))
    return found


@bp.get("/t/<code>")
def short(code: str):
    batch = batches.find_by_short_code(code)
    if batch is None:
        abort(404)
    return _page(batch)


@bp.get("/01/<gtin>/10/<lot>")
@bp.get("/01/<gtin>/10/<lot>/<path:rest>")
def digital_link(gtin: str, lot: str, rest: str = ""):
    # The server has decoded the path's percent-escapes, so a lot's "/" (sent as %2F) looks like a
    # separator here: the path as sent (RAW_URI/REQUEST_URI) is parsed by the GS1 rules instead.
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or quote(request.path)
    try:
        link = gs1.parse_digital_link(raw)
    except gs1.InvalidDigitalLink:
        abort(404)
    batch = batches.find_by_gtin_and_lot(link.gtin, link.lot) if link.lot else None
    if batch is None:
        abort(404)
    return _page(batch)


def fair_booth_now(batch: Batch) -> Booth | None:
    """The approved booth of the batch's cooperative at a fair that is on now, if any."""
    now = utcnow()
    return db.session.scalar(
        sa.select(Booth)
        .join(Fair, Booth.fair_id == Fair.id)
        .where(
            Booth.cooperative_id == batch.product.cooperative_id,
            Booth.status == BoothStatus.APPROVED,
            Fair.status == FairStatus.PUBLISHED,
            Fair.starts_at <= now,
            Fair.ends_at > now,
        )
        .order_by(Fair.starts_at.desc(), Booth.id)
        .limit(1)
    )


def _page(batch: Batch):
    product = batch.product
    today = batches.today()
    certificates = [(c, batches.certificate_state(c, today), batches.kind_label(c)) for c in batch.certificates]
    response = make_response(
        render_template(
            "traceability/trace/batch.html",
            batch=batch,
            product=product,
            cooperative=product.cooperative,
            product_public=product.status == ProductStatus.ACTIVE and product.is_public,
            place=batches.place_text(batch),
            ward=geo.ward_name(batch.ward_code),
            province=geo.province_name(batch.province_code),
            certificates=certificates,
        )
    )
    booth = None
    if request.method == "GET" and not attribution.is_bot(request.user_agent.string):
        booth = fair_booth_now(batch)
    if booth is not None:
        # Like a scan of the booth's QR code (fairs.link_views.follow): counted, and later orders credited.
        now = utcnow()
        visitor = attribution.visitor_id(request.cookies.get(attribution.VISITOR_COOKIE))
        target = attribution.Target(booth.fair, booth)
        attribution.record_visit(target, visitor, now)
        attribution.remember(response, attribution.Source(booth.fair.id, booth.id, now), visitor)
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
