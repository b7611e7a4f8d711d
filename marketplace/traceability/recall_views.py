"""Recall pages and the deliveries report, for a cooperative's managers in the workspace
(/workspace/<coop_slug>/batches/...) and for agency staff across cooperatives (/agency/batches).

A batch's recall page lists who received it (order parts with the customers' contact, fair
sales), its history, and, while it is not recalled, the form that recalls it. The CSV of the
receivers and the report "which batches reached which buyers" (CSV, XLSX) are downloads of the
same lists. Access: the workspace's own check (managed_cooperative: 403 for another
cooperative's managers and customers, 404 for another cooperative's batch), agency staff and
admins on the agency side (roles_required). The rules are in traceability.recall and
traceability.deliveries; the request commits (core.transaction).
"""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.core.access import roles_required
from marketplace.core.forms import strip
from marketplace.core.paging import requested_page
from marketplace.core.spreadsheet import append_xlsx_row, safe_cell, xlsx_download
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.orders.labels import STATUS_LABELS
from marketplace.traceability import batches, deliveries, recall
from marketplace.traceability.models import Batch

bp = Blueprint("batch_recall", __name__, url_prefix="/workspace/<coop_slug>/batches")
agency_bp = Blueprint("batch_agency", __name__, url_prefix="/agency/batches")

PER_PAGE = 25
MAX_SEARCH = 100


class RecallForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the batch recalled?"),
        filters=[strip],
        validators=[Length(max=recall.MAX_REASON)],
        description=_l("Customers read it in the notice and on the trace page, e.g. the test that failed."),
    )


def _own_batch(cooperative: Cooperative, batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.product.cooperative_id != cooperative.id:
        abort(404)
    return batch


def _any_batch(batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        abort(404)
    return batch


# --- a batch's recall page -----------------------------------------------------------------------


def _page(batch: Batch, form: RecallForm, urls: dict, cooperative: Cooperative | None, status: int = 200):
    events = recall.history(batch)
    return (
        render_template(
            "traceability/recall/page.html",
            batch=batch,
            product=batch.product,
            cooperative=cooperative,
            owner=batch.product.cooperative,
            form=form,
            urls=urls,
            receivers=recall.receivers(batch),
            events=events,
            order_numbers=recall.order_numbers(events),
            status_labels=STATUS_LABELS,
            contact=recall.cooperative_contact(batch.product.cooperative),
            trace_url=batches.trace_url(batch, request.host_url),
        ),
        status,
    )


def _recall(batch: Batch, urls: dict, cooperative: Cooperative | None):
    """GET: the page; POST: recall, then back to the page (or the page with the refusal)."""
    form = RecallForm()
    if request.method == "POST":
        if form.validate_on_submit():
            with attempt(form) as outcome:
                found = recall.recall_batch(batch, form.reason.data, current_user)
            if outcome.done:
                flash(
                    ngettext(
                        "Batch %(code)s is recalled and off sale. %(num)s order is being notified by email.",
                        "Batch %(code)s is recalled and off sale. %(num)s orders are being notified by email.",
                        sum(1 for r in found.orders if r.order.contact_email),
                        code=batch.code,
                    ),
                    "success",
                )
                return redirect(urls["self"], 303)
        return _page(batch, form, urls, cooperative, status=400)
    return _page(batch, form, urls, cooperative)


def receivers_csv(batch: Batch) -> Response:
    """Who received the batch: the orders (contact, address, units, status), then the fair sales."""
    found = recall.receivers(batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Order number"),
            _("Date"),
            _("Customer"),
            _("Phone"),
            _("Email"),
            _("Delivery address"),
            _("Quantity received"),
            _("Status"),
            _("Fair"),
            _("Booth"),
        ]
    )
    for r in found.orders:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    r.order.number,
                    (r.order.created_at + batches.VIETNAM_OFFSET).strftime("%Y-%m-%d %H:%M"),
                    r.order.contact_name,
                    r.order.contact_phone,
                    r.order.contact_email,
                    r.address,
                    r.quantity,
                    str(STATUS_LABELS[r.part.status]),
                    "",
                    "",
                )
            ]
        )
    for s in found.sales:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    "",
                    (s.sale.created_at + batches.VIETNAM_OFFSET).strftime("%Y-%m-%d %H:%M"),
                    "",
                    "",
                    "",
                    "",
                    s.quantity,
                    "",
                    s.fair.name,
                    s.booth.number or "",
                )
            ]
        )
    name = "recall-" + re.sub(r"[^A-Za-z0-9._-]+", "-", f"{batch.product.sku}-{batch.code}") + "-receivers.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _workspace_urls(cooperative: Cooperative, batch: Batch) -> dict:
    return {
        "self": url_for("batch_recall.recall_page", coop_slug=cooperative.slug, batch_id=batch.id),
        "csv": url_for("batch_recall.receivers", coop_slug=cooperative.slug, batch_id=batch.id),
        "back": url_for("batches.edit", coop_slug=cooperative.slug, batch_id=batch.id),
    }


def _agency_urls(batch: Batch) -> dict:
    return {
        "self": url_for("batch_agency.recall_page", batch_id=batch.id),
        "csv": url_for("batch_agency.receivers", batch_id=batch.id),
        "back": url_for("batch_agency.index"),
    }


@bp.route("/<int:batch_id>/recall", methods=["GET", "POST"])
@login_required
def recall_page(coop_slug: str, batch_id: int):
    # Not edit=True: a suspended cooperative must still be able to recall an unsafe batch.
    cooperative = managed_cooperative(coop_slug)
    batch = _own_batch(cooperative, batch_id)
    return _recall(batch, _workspace_urls(cooperative, batch), cooperative)


@bp.get("/<int:batch_id>/recall/receivers.csv")
@login_required
def receivers(coop_slug: str, batch_id: int):
    cooperative = managed_cooperative(coop_slug)
    return receivers_csv(_own_batch(cooperative, batch_id))


@agency_bp.route("/<int:batch_id>", methods=["GET", "POST"], endpoint="recall_page")
@roles_required(Role.AGENCY_STAFF)
def agency_recall_page(batch_id: int):
    batch = _any_batch(batch_id)
    return _recall(batch, _agency_urls(batch), None)


@agency_bp.get("/<int:batch_id>/receivers.csv", endpoint="receivers")
@roles_required(Role.AGENCY_STAFF)
def agency_receivers(batch_id: int):
    return receivers_csv(_any_batch(batch_id))


# --- agency: batches across cooperatives ---------------------------------------------------------


@agency_bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    text = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    state = request.args.get("state", "")
    query = (
        sa.select(Batch)
        .join(Product, Batch.product_id == Product.id)
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .order_by(Batch.produced_on.desc(), Batch.id.desc())
    )
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            sa.or_(
                Batch.code.ilike(pattern, escape="\\"),
                Product.name.ilike(pattern, escape="\\"),
                Cooperative.name.ilike(pattern, escape="\\"),
            )
        )
    if state == "recalled":
        query = query.where(Batch.recalled_at.is_not(None))
    elif state == "open":
        query = query.where(Batch.recalled_at.is_(None))
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    return render_template("traceability/recall/agency_index.html", page=page, q=text, state=state)


# --- the deliveries report -----------------------------------------------------------------------


def _report_query(cooperative: Cooperative | None):
    """(query, None) or (None, the message of a bad filter)."""
    try:
        return deliveries.read_filters(request.args, cooperative), None
    except deliveries.BadFilter as error:
        return None, str(error)


def _report_page(cooperative: Cooperative | None, endpoint_kwargs: dict, prefix: str):
    query, problem = _report_query(cooperative)
    rows = deliveries.delivery_rows(query, limit=deliveries.PAGE_ROWS + 1) if query else []
    products = sa.select(Product).order_by(Product.name)
    if cooperative is not None:
        products = products.where(Product.cooperative_id == cooperative.id)
    args = {k: v for k, v in request.args.items() if v}
    return (
        render_template(
            "traceability/recall/deliveries.html",
            cooperative=cooperative,
            rows=rows[: deliveries.PAGE_ROWS],
            more=len(rows) > deliveries.PAGE_ROWS,
            problem=problem,
            args=request.args,
            products=list(db.session.scalars(products)),
            cooperatives=list(db.session.scalars(sa.select(Cooperative).order_by(Cooperative.name)))
            if cooperative is None
            else [],
            receiver_text=deliveries.receiver_text,
            action=url_for(f"{prefix}.deliveries_page", **endpoint_kwargs),
            csv_url=url_for(f"{prefix}.deliveries_csv", **endpoint_kwargs, **args),
            xlsx_url=url_for(f"{prefix}.deliveries_xlsx", **endpoint_kwargs, **args),
            max_page=deliveries.PAGE_ROWS,
        ),
        400 if problem else 200,
    )


def _filename(cooperative: Cooperative | None, extension: str) -> str:
    who = f"-{cooperative.slug}" if cooperative is not None else ""
    return f"batch-deliveries{who}.{extension}"


def _bad_filter(problem: str):
    return render_template("errors/400.html", refusal=problem), 400


def _deliveries_csv(cooperative: Cooperative | None):
    query, problem = _report_query(cooperative)
    if problem:
        return _bad_filter(problem)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(deliveries.headings())
    for row in deliveries.delivery_rows(query):
        writer.writerow([safe_cell(v) for v in deliveries.export_row(row)])
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(cooperative, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


def _deliveries_xlsx(cooperative: Cooperative | None):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    query, problem = _report_query(cooperative)
    if problem:
        return _bad_filter(problem)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Deliveries")[:31]
    append_xlsx_row(sheet, deliveries.headings())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in deliveries.delivery_rows(query):
        append_xlsx_row(sheet, deliveries.export_row(row))
    for column, width in zip("ABCDEFGHIJKL", (14, 30, 30, 12, 18, 24, 14, 30, 8, 18, 10, 8), strict=True):
        sheet.column_dimensions[column].width = width
    return xlsx_download(workbook, _filename(cooperative, "xlsx"))


@agency_bp.get("/deliveries", endpoint="deliveries_page")
@roles_required(Role.AGENCY_STAFF)
def agency_deliveries_page():
    return _report_page(None, {}, "batch_agency")


@agency_bp.get("/deliveries.csv", endpoint="deliveries_csv")
@roles_required(Role.AGENCY_STAFF)
def agency_deliveries_csv():
    return _deliveries_csv(None)


@agency_bp.get("/deliveries.xlsx", endpoint="deliveries_xlsx")
@roles_required(Role.AGENCY_STAFF)
def agency_deliveries_xlsx():
    return _deliveries_xlsx(None)


@bp.get("/deliveries")
@login_required
def deliveries_page(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    return _report_page(cooperative, {"coop_slug": cooperative.slug}, "batch_recall")


@bp.get("/deliveries.csv")
@login_required
def deliveries_csv(coop_slug: str):
    return _deliveries_csv(managed_cooperative(coop_slug))


@bp.get("/deliveries.xlsx")
@login_required
def deliveries_xlsx(coop_slug: str):
    return _deliveries_xlsx(managed_cooperative(coop_slug))
