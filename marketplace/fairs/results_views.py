"""Fair results for agency staff (every booth) and for a cooperative (its own booth), with CSV.

The page and its CSV both show what fairs.results.fair_results returns, so their
numbers are the same; the page formats money as VND, the CSV gives whole đồng.
"""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.accounts.models import Role
from marketplace.cooperatives.access import managed_cooperative
from marketplace.core.access import roles_required
from marketplace.core.spreadsheet import safe_cell
from marketplace.extensions import db
from marketplace.fairs import results as fair_results_module
from marketplace.fairs.models import Booth, Fair
from marketplace.fairs.results import (
    COLUMNS,
    PRODUCT_COLUMNS,
    FairResults,
    Row,
    took_part,
)

bp = Blueprint("fair_results", __name__)


def _fair_or_404(slug: str) -> Fair:
    return db.first_or_404(sa.select(Fair).where(Fair.slug == slug))


def _own_booth(coop_slug: str, slug: str) -> Booth:
    """The cooperative's booth at the fair: 403 for someone else's cooperative, 404 if it has none."""
    cooperative = managed_cooperative(coop_slug)
    fair = _fair_or_404(slug)
    booth = db.session.scalar(
        sa.select(Booth).where(Booth.fair_id == fair.id, Booth.cooperative_id == cooperative.id, took_part())
    )
    if booth is None:
        abort(404)
    return booth


def results_csv(found: FairResults) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Booth"), _("Cooperative"), *(str(label) for _key, label in COLUMNS)])
    rows: list[tuple[str, str, Row]] = []
    if found.total is not None:
        rows.append((_("Whole fair"), "", found.total))
    rows += [(row.booth_number or "", row.cooperative_name or "", row) for row in found.booths]
    for booth_label, cooperative, row in rows:
        writer.writerow(
            [safe_cell(booth_label), safe_cell(cooperative), *(safe_cell(getattr(row, key)) for key, _label in COLUMNS)]
        )
    writer.writerow([])
    writer.writerow([_("Best-selling products"), _("Cooperative"), *(str(label) for _key, label in PRODUCT_COLUMNS)])
    for product in found.products:
        writer.writerow(
            [
                safe_cell(product.name),
                safe_cell(product.cooperative_name),
                *(getattr(product, key) for key, _l in PRODUCT_COLUMNS),
            ]
        )
    return "\ufeff" + out.getvalue()  # the BOM lets Excel read the Vietnamese names


def _csv_response(found: FairResults, name: str) -> Response:
    return Response(
        results_csv(found).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": "no-store"},
    )


def _page(found: FairResults, csv_url: str, cooperative=None):
    return render_template(
        "fairs/results/results.html",
        results=found,
        fair=found.fair,
        columns=COLUMNS,
        product_columns=PRODUCT_COLUMNS,
        csv_url=csv_url,
        cooperative=cooperative,
    )


@bp.get("/agency/fairs/<slug>/results")
@roles_required(Role.AGENCY_STAFF)
def agency(slug: str):
    fair = _fair_or_404(slug)
    return _page(fair_results_module.fair_results(fair), url_for(".agency_csv", slug=slug))


@bp.get("/agency/fairs/<slug>/results.csv")
@roles_required(Role.AGENCY_STAFF)
def agency_csv(slug: str):
    fair = _fair_or_404(slug)
    return _csv_response(fair_results_module.fair_results(fair), f"results-{fair.slug}")


@bp.get("/workspace/<coop_slug>/fairs/<slug>/results")
@login_required
def cooperative(coop_slug: str, slug: str):
    booth = _own_booth(coop_slug, slug)
    return _page(
        fair_results_module.fair_results(booth.fair, booth),
        url_for(".cooperative_csv", coop_slug=coop_slug, slug=slug),
        cooperative=booth.cooperative,
    )


@bp.get("/workspace/<coop_slug>/fairs/<slug>/results.csv")
@login_required
def cooperative_csv(coop_slug: str, slug: str):
    booth = _own_booth(coop_slug, slug)
    return _csv_response(
        fair_results_module.fair_results(booth.fair, booth), f"results-{booth.fair.slug}-{booth.cooperative.slug}"
    )
