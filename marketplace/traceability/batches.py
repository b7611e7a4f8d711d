"""Batches (lots) of a cooperative's products: recorded by its managers, shown on the trace page.

Plain functions that flush and never commit (the request commits, core.transaction). A rule
that refuses raises Refused naming the form field it is about.

A batch's code is the lot number printed on the pack: 1–20 characters of the GS1 character
set 82 (letters, digits and a few signs; no spaces or accents), unique per product. Its
short code (the /t/<code> link) is random, from an alphabet without look-alikes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.catalog.images import products_folder, store_picture
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.images import image_sizes, remove_copies
from marketplace.extensions import db
from marketplace.traceability import certificates, gs1, lots
from marketplace.traceability.models import Batch, BatchImage, Certificate, CertificateKind

logger = logging.getLogger(__name__)

SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L (like fair codes)
SHORT_CODE_LENGTH = 8
MAX_QUANTITY = 2**31 - 1
MAX_PHOTOS = 12
BATCH_FIELDS = (
    "code",
    "produced_on",
    "best_before",
    "quantity",
    "stock",
    "province_code",
    "ward_code",
    "place_name",
    "notes",
    "certificate_ids",
)
VIETNAM_OFFSET = timedelta(hours=7)


def today() -> date:
    """Today in Vietnam (tests replace it to fix the clock)."""
    return (datetime.now(UTC).replace(tzinfo=None) + VIETNAM_OFFSET).date()


# --- codes ---------------------------------------------------------------------------------------


def new_short_code() -> str:
    """A random short code for a batch's /t/<code> link, used by no other batch."""
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        if db.session.scalar(sa.select(Batch.id).where(Batch.short_code == code)) is None:
            return code


def find_by_short_code(code: str) -> Batch | None:
    """The batch of a /t/<code> link, typed in any case; None when unknown or malformed."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16 or any(c not in SHORT_CODE_ALPHABET for c in code):
        return None
    return db.session.scalar(sa.select(Batch).where(Batch.short_code == code))


def find_by_gtin_and_lot(gtin: str, lot: str) -> Batch | None:
    """The batch `lot` of the product whose GTIN is `gtin` (any GTIN length); None otherwise."""
    try:
        gtin14 = gs1.normalise_gtin(gtin)
    except gs1.InvalidGtin:
        return None
    return db.session.scalar(
        sa.select(Batch).join(Product, Batch.product_id == Product.id).where(Product.gtin == gtin14, Batch.code == lot)
    )


# --- certificates -------------------------------------------------------------------------------


def certificate_state(certificate: Certificate, on: date | None = None) -> str:
    """ "valid", "expired", "not_yet_valid" or "unverified" on the day `on` (today in Vietnam):
    the one rule of traceability.certificates, in the trace page's words."""
    found = certificates.state(certificate, on or today())
    return "not_yet_valid" if found == "not_yet" else found


def kind_label(certificate: Certificate) -> str:
    """The certificate's kind in words (certificates.label), with an OCOP certificate's stars."""
    if certificate.kind == CertificateKind.OCOP and certificate.ocop_stars:
        return _("OCOP %(stars)s stars", stars=certificate.ocop_stars)
    return certificates.label(certificate)


def certificate_label(certificate: Certificate) -> str:
    """ "VietGAP no. 123 (Chi cục…)", as a checkbox's label."""
    return _(
        "%(kind)s no. %(number)s (%(issuer)s)",
        kind=kind_label(certificate),
        number=certificate.number,
        issuer=certificate.issuer,
    )


def applicable_certificates(product: Product) -> list[Certificate]:
    """The certificates a batch of `product` may cite: the cooperative's own and the product's."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(
                Certificate.cooperative_id == product.cooperative_id,
                sa.or_(Certificate.product_id.is_(None), Certificate.product_id == product.id),
            )
            .order_by(Certificate.kind, Certificate.issued_on.desc(), Certificate.id)
        )
    )


# --- batches -------------------------------------------------------------------------------------


def cooperative_batches_query(cooperative: Cooperative, product_id: int | None = None):
    query = (
        sa.select(Batch)
        .join(Product, Batch.product_id == Product.id)
        .where(Product.cooperative_id == cooperative.id)
        .order_by(Batch.produced_on.desc(), Batch.id.desc())
    )
    if product_id is not None:
        query = query.where(Batch.product_id == product_id)
    return query


def open_batches(product_ids: list[int], limit: int = 20) -> dict[int, list[Batch]]:
    """Each product's batches that are not recalled, latest production first (at most `limit`
    each), in one query: {product id: [batch, …]}."""
    found: dict[int, list[Batch]] = {}
    if not product_ids:
        return found
    rows = db.session.scalars(
        sa.select(Batch)
        .where(Batch.product_id.in_(product_ids), Batch.recalled_at.is_(None))
        .order_by(Batch.product_id, Batch.produced_on.desc(), Batch.id.desc())
    )
    for batch in rows:
        lots = found.setdefault(batch.product_id, [])
        if len(lots) < limit:
            lots.append(batch)
    return found


def _clean(product: Product, data: Mapping, batch: Batch | None) -> dict:
    code = (data.get("code") or "").strip()
    if not code:
        raise Refused(_("Enter the lot code printed on the pack."), field="code")
    if len(code) > gs1.LOT_MAX_LENGTH:
        raise Refused(_("The lot code has at most 20 characters."), field="code")
    if not gs1.is_valid_lot(code):
        raise Refused(
            _("Use only letters without accents, digits and - . _ / in the lot code (no spaces)."), field="code"
        )
    clash = db.session.scalar(
        sa.select(Batch.id).where(
            Batch.product_id == product.id, Batch.code == code, Batch.id != (batch.id if batch else -1)
        )
    )
    if clash is not None:
        raise Refused(_("This product already has a batch with this code."), field="code")
    produced_on = data.get("produced_on")
    if not isinstance(produced_on, date):
        raise Refused(_("Enter the production or harvest date."), field="produced_on")
    if produced_on > today():
        raise Refused(_("The production date cannot be in the future."), field="produced_on")
    best_before = data.get("best_before")
    if best_before is not None and best_before < produced_on:
        raise Refused(_("The best-before date cannot be before the production date."), field="best_before")
    quantity = data.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise Refused(_("Enter the quantity as a whole number."), field="quantity")
    if quantity <= 0:
        raise Refused(_("The quantity must be more than zero."), field="quantity")
    if quantity > MAX_QUANTITY:
        raise Refused(_("The quantity is too large."), field="quantity")
    stock = data.get("stock")
    if stock is None:  # a new batch: all of it on sale; an edited one: as it is
        stock = quantity if batch is None else min(batch.stock, quantity)
    stock = lots.check_batch_stock(stock, quantity)
    province_code, ward_code = geo.check_place(data.get("province_code"), data.get("ward_code"))
    place_name = (data.get("place_name") or "").strip()
    if len(place_name) > 200:
        raise Refused(_("The plot or farm name has at most 200 characters."), field="place_name")
    notes = (data.get("notes") or "").strip()
    if len(notes) > 5000:
        raise Refused(_("The notes have at most 5,000 characters."), field="notes")
    wanted = set(data.get("certificate_ids") or ())
    allowed = {c.id: c for c in applicable_certificates(product)}
    if wanted - allowed.keys():
        raise Refused(_("Choose certificates of this cooperative or of this product only."), field="certificate_ids")
    return {
        "code": code,
        "produced_on": produced_on,
        "best_before": best_before,
        "quantity": quantity,
        "stock": stock,
        "province_code": province_code,
        "ward_code": ward_code,
        "place_name": place_name,
        "notes": notes,
        "certificates": [allowed[i] for i in sorted(wanted)],
    }


def create_batch(product: Product, data: Mapping, by: User | None = None) -> Batch:
    """A new batch of `product` from `data` (BATCH_FIELDS). Flushes."""
    values = _clean(product, data, None)
    batch = Batch(product=product, short_code=new_short_code(), created_by=by, **values)
    db.session.add(batch)
    db.session.flush()
    lots.batch_added(batch, by)  # its stock joins the product's (the first batch replaces it)
    logger.info("Batch %s (%s) of product %s created", batch.id, batch.code, product.id)
    return batch


def update_batch(batch: Batch, data: Mapping, by: User | None = None) -> Batch:
    """Edit a batch; a changed stock changes the product's (traceability.lots), a lowered
    quantity never goes below what is in stock."""
    values = _clean(batch.product, data, batch)
    stock = values.pop("stock")
    if stock != batch.stock:
        if values["quantity"] < batch.quantity:  # lower the stock first: the quantity bounds it
            lots.set_batch_stock(batch, stock, by)
            stock = batch.stock
    for name, value in values.items():
        setattr(batch, name, value)
    db.session.flush()
    if stock != batch.stock:
        lots.set_batch_stock(batch, stock, by)
    return batch


def delete_batch(batch: Batch) -> None:
    """Delete a batch and its photos; refused once it is recalled (the recall is its history)."""
    if batch.is_recalled:
        raise Refused(_("A recalled batch cannot be deleted: its recall must stay on record."))
    lots.batch_removing(batch)  # refused once units were sold; its stock leaves the product's
    stems = [image.stem for image in batch.images]
    db.session.delete(batch)
    db.session.flush()
    for stem in stems:
        remove_copies(products_folder(), stem, image_sizes())
    logger.info("Batch %s deleted", batch.id)


def add_batch_image(batch: Batch, stream: BinaryIO, alt_text: str) -> BatchImage:
    """Check (by content), re-encode and store a photo of the batch, as its last. Raises
    core.images.ImageRejected; Refused when the batch has its maximum of photos."""
    if len(batch.images) >= MAX_PHOTOS:
        raise Refused(_("A batch has at most %(n)s photos.", n=MAX_PHOTOS), field="photos")
    stem, (width, height) = store_picture(stream)
    image = BatchImage(
        batch=batch,
        stem=stem,
        alt_text=(alt_text or batch.product.name).strip()[:200],
        position=max((i.position for i in batch.images), default=-1) + 1,
        width=width,
        height=height,
    )
    db.session.add(image)
    db.session.flush()
    return image


def delete_batch_image(image: BatchImage) -> None:
    stem = image.stem
    batch = image.batch
    if image in batch.images:
        batch.images.remove(image)
    db.session.delete(image)
    db.session.flush()
    remove_copies(products_folder(), stem, image_sizes())


def discard_files(stems) -> None:
    """Files written for photos whose rows were rolled back."""
    for stem in stems:
        remove_copies(products_folder(), stem, image_sizes())


# --- GTIN ----------------------------------------------------------------------------------------


def set_gtin(product: Product, value: str | None) -> None:
    """Set (or, empty, remove) the product's GTIN: a valid GTIN-8/12/13/14 stored as 14 digits,
    used by no other product. Refused on the `gtin` field."""
    text = (value or "").strip()
    if not text:
        product.gtin = None
        db.session.flush()
        return
    try:
        gtin = gs1.normalise_gtin(text)
    except gs1.InvalidGtin:
        raise Refused(
            _("This is not a GTIN: 8, 12, 13 or 14 digits ending with the right check digit."), field="gtin"
        ) from None
    other = db.session.scalar(sa.select(Product.id).where(Product.gtin == gtin, Product.id != product.id))
    if other is not None:
        raise Refused(_("Another product already has this GTIN."), field="gtin")
    product.gtin = gtin
    db.session.flush()


# --- links ---------------------------------------------------------------------------------------


def trace_url(batch: Batch, host_url: str) -> str:
    """The absolute address a pack's QR code encodes: the GS1 Digital Link when the product has
    a GTIN and the code is a GS1 lot, else the short /t/<code> link. `host_url`: scheme and host."""
    if batch.product.gtin and gs1.is_valid_lot(batch.code):
        return gs1.build_digital_link(host_url, batch.product.gtin, batch.code)
    return host_url.rstrip("/") + "/t/" + batch.short_code


def place_text(batch: Batch) -> str:
    """Plot or farm, ward, province: the batch's place in words."""
    parts = [batch.place_name, geo.ward_name(batch.ward_code), geo.province_name(batch.province_code)]
    return ", ".join(p for p in parts if p)
