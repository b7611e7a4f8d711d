"""Booth staff record on-site sales from a phone, and void mistakes.

/workspace/<coop_slug>/fairs/<fair_slug>/sales: only that cooperative's managers
(anyone else's cooperative is 403; a fair where it has no booth is 404). One page,
phone first: product, quantity, cash or transfer, record; below it today's sales with
their totals and a void form. Rules are in fairs.onsite; each POST is one transaction.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.core.errors import Refused
from marketplace.core.formatting import format_vnd
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.fairs import booth_sync, onsite
from marketplace.fairs.models import Booth, Fair, OnSitePayment, OnSiteSale
from marketplace.fairs.pricing import fair_prices
from marketplace.orders.services import OutOfStock

bp = Blueprint("fair_onsite", __name__, url_prefix="/workspace/<coop_slug>/fairs")
logger = logging.getLogger(__name__)


def own_booth(coop_slug: str, fair_slug: str, *, edit: bool = False) -> tuple[Cooperative, Booth]:
    """The cooperative's booth at the fair: 403 for someone else's cooperative, 404 if none."""
    cooperative = managed_cooperative(coop_slug, edit=edit)
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == fair_slug))
    booth = db.session.scalar(sa.select(Booth).where(Booth.fair_id == fair.id, Booth.cooperative_id == cooperative.id))
    if booth is None:
        abort(404)
    return cooperative, booth


def recorder(sale: OnSiteSale) -> str:
    """Who recorded a sale: the booth helper, or the manager."""
    if sale.helper is not None:
        return sale.helper.name
    return sale.recorded_by.full_name if sale.recorded_by is not None else "—"


def sales_page(cooperative: Cooperative, booth: Booth, *, error: Refused | None = None, form=None, status: int = 200):
    products = onsite.sellable_products(booth)
    prices = fair_prices([p.id for p in products])
    sales = onsite.sales_of_day(booth)
    conflicts = booth_sync.conflicts(booth)
    return (
        render_template(
            "fairs/onsite/sales.html",
            cooperative=cooperative,
            booth=booth,
            fair=booth.fair,
            products=products,
            prices=prices,
            can_sell=onsite.can_sell(booth),
            sales=sales,
            totals=onsite.day_totals(sales),
            error=error,
            form=form or {},
            payments=OnSitePayment,
            conflicts=conflicts,
            recorder=recorder,
        ),
        status,
    )


@bp.get("/<fair_slug>/sales")
@login_required
def sales(coop_slug: str, fair_slug: str):
    cooperative, booth = own_booth(coop_slug, fair_slug)
    # After a sale the same product and payment stay chosen: the next sale is often alike.
    form = {"product_id": request.args.get("product", ""), "payment": request.args.get("payment", "")}
    return sales_page(cooperative, booth, form=form)


@bp.post("/<fair_slug>/sales")
@login_required
def record(coop_slug: str, fair_slug: str):
    cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    form = {key: request.form.get(key, "") for key in ("product_id", "quantity", "payment")}
    with attempt(show=False) as outcome:  # the page shows the refusal above the sale form
        sale = onsite.record_sale(booth, form["product_id"], form["quantity"], form["payment"], current_user)
    if outcome.refused:
        status = 409 if isinstance(outcome.refused, OutOfStock) else 400
        return sales_page(cooperative, booth, error=outcome.refused, form=form, status=status)
    logger.info("On-site sale %s at booth %s: %d VND", sale.id, booth.id, sale.total_vnd)
    flash(
        _(
            "Recorded: %(quantity)d × %(name)s, %(total)s.",
            quantity=sale.quantity,
            name=sale.product_name,
            total=format_vnd(sale.total_vnd),
        ),
        "success",
    )
    return redirect(
        url_for(".sales", coop_slug=coop_slug, fair_slug=fair_slug, product=sale.product_id, payment=sale.payment.value)
    )


@bp.post("/<fair_slug>/sales/<int:sale_id>/void")
@login_required
def void(coop_slug: str, fair_slug: str, sale_id: int):
    cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    sale = db.session.get(OnSiteSale, sale_id)
    if sale is None or sale.booth_id != booth.id:
        abort(404)
    with attempt(show=False) as outcome:  # the page shows the refusal next to the sale
        onsite.void_sale(sale, request.form.get("reason", ""), current_user)
    if outcome.refused:
        return sales_page(cooperative, booth, error=outcome.refused, form={"void_sale_id": sale_id}, status=400)
    flash(_("Sale voided; its stock is back."), "success")
    return redirect(url_for(".sales", coop_slug=coop_slug, fair_slug=fair_slug))


def _conflict_of(booth: Booth, sale_id: int) -> OnSiteSale:
    sale = db.session.get(OnSiteSale, sale_id)
    if sale is None or sale.booth_id != booth.id:
        abort(404)
    return sale


@bp.post("/<fair_slug>/sales/<int:sale_id>/confirm")
@login_required
def confirm_conflict(coop_slug: str, fair_slug: str, sale_id: int):
    """A conflict synced from the booth app did happen: it counts, and the stock is what is left."""
    cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    sale = _conflict_of(booth, sale_id)
    stock_left = request.form.get("stock_left", "")
    with attempt(show=False) as outcome:  # the page shows the refusal above the conflicts
        booth_sync.confirm_conflict(sale, stock_left, current_user)
    if outcome.refused:
        form = {"conflict_sale_id": sale_id, "stock_left": stock_left}
        return sales_page(cooperative, booth, error=outcome.refused, form=form, status=400)
    stock = sale.product.stock if sale.product is not None else "—"
    flash(_("Sale confirmed: it counts in the results, and the stock is now %(stock)s.", stock=stock), "success")
    return redirect(url_for(".sales", coop_slug=coop_slug, fair_slug=fair_slug))


@bp.post("/<fair_slug>/sales/<int:sale_id>/cancel")
@login_required
def cancel_conflict(coop_slug: str, fair_slug: str, sale_id: int):
    """A conflict synced from the booth app did not happen: voided; no stock comes back (none was taken)."""
    cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    sale = _conflict_of(booth, sale_id)
    with attempt(show=False) as outcome:
        booth_sync.cancel_conflict(sale, request.form.get("reason", ""), current_user)
    if outcome.refused:
        return sales_page(cooperative, booth, error=outcome.refused, form={"conflict_sale_id": sale_id}, status=400)
    flash(_("Sale cancelled; the stock is unchanged."), "success")
    return redirect(url_for(".sales", coop_slug=coop_slug, fair_slug=fair_slug))
