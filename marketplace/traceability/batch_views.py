"""A cooperative's batches (lots) in its workspace: list, add, edit, delete, photos, a product's
GTIN, printable pack labels and the CSV import.

Every route starts with the workspace's access check (managed_cooperative): another
cooperative's batches are 403 and nothing changes. Views call traceability.batches and answer;
the request commits (core.transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from marketplace.catalog.forms import CsvImportForm, ImageUploadForm
from marketplace.catalog.models import Product
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.cooperatives.services import can_edit
from marketplace.core.csv_import import ImportFailed
from marketplace.core.errors import Refused
from marketplace.core.forms import place_choices
from marketplace.core.images import ImageRejected
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt, roll_back
from marketplace.extensions import db
from marketplace.traceability import batches
from marketplace.traceability.batch_forms import BatchForm, GtinForm
from marketplace.traceability.models import Batch, BatchImage

bp = Blueprint("batches", __name__, url_prefix="/workspace/<coop_slug>/batches")

PER_PAGE = 25
MAX_CSV_BYTES = 2 * 1024 * 1024


# --- helpers -------------------------------------------------------------------------------------


def _products(cooperative: Cooperative) -> list[Product]:
    return list(
        db.session.scalars(sa.select(Product).where(Product.cooperative_id == cooperative.id).order_by(Product.name))
    )


def _own_product(cooperative: Cooperative, product_id) -> Product:
    product = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    if product is None or product.cooperative_id != cooperative.id:
        abort(404)
    return product


def _own_batch(cooperative: Cooperative, batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.product.cooperative_id != cooperative.id:
        abort(404)
    return batch


def _product_arg() -> int | None:
    value = request.args.get("product", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        abort(400)
    return int(value)


def _certificate_choices(product: Product | None) -> list[tuple[int, str]]:
    if product is None:
        return []
    return [(c.id, batches.certificate_label(c)) for c in batches.applicable_certificates(product)]


def _batch_form(cooperative, product: Product | None, batch: Batch | None = None, **kwargs) -> BatchForm:
    form = BatchForm(
        obj=batch,
        products=_products(cooperative),
        certificates=_certificate_choices(product),
        **kwargs,
    )
    if batch is not None and request.method == "GET":
        form.certificate_ids.data = [c.id for c in batch.certificates]
    return form


def _host_url() -> str:
    return request.host_url.rstrip("/")


# --- list, add, edit, delete ---------------------------------------------------------------------


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    product_id = _product_arg()
    product = _own_product(cooperative, product_id) if product_id is not None else None
    query = batches.cooperative_batches_query(cooperative, product_id)
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "traceability/batches/index.html",
        cooperative=cooperative,
        page=page,
        product=product,
        products=_products(cooperative),
        gtin_form=GtinForm(formdata=None, gtin=product.gtin or "") if product else None,
        can_edit=can_edit(current_user, cooperative),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create(coop_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=True)
    chosen = request.form.get("product_id") or request.args.get("product") or ""
    product = None
    if chosen.isdigit() and len(chosen) < 10:
        product = db.session.get(Product, int(chosen))
        if product is not None and product.cooperative_id != cooperative.id:
            product = None
    form = _batch_form(cooperative, product)
    if request.method == "GET":
        form.product_id.data = product.id if product else None
        form.province_code.data = cooperative.province_code
        place_choices(form)
        form.ward_code.data = cooperative.ward_code
        form.produced_on.data = batches.today()
    if form.validate_on_submit():
        if product is None:
            form.product_id.errors.append(_("Choose one of the cooperative's products."))
        else:
            with attempt(form) as outcome:
                batch = batches.create_batch(product, form.batch_data(), by=current_user)
            if outcome.done:
                flash(_("Batch %(code)s is saved. Add photos below.", code=batch.code), "success")
                return redirect(url_for(".edit", coop_slug=cooperative.slug, batch_id=batch.id))
    return render_template("traceability/batches/new.html", cooperative=cooperative, form=form, product=product)


def _edit_page(cooperative, batch, form, upload_form=None):
    return render_template(
        "traceability/batches/edit.html",
        cooperative=cooperative,
        batch=batch,
        form=form,
        upload_form=upload_form or ImageUploadForm(formdata=None, alt_text=batch.product.name),
        can_edit=can_edit(current_user, cooperative),
        trace_url=batches.trace_url(batch, _host_url()),
        sheets=SHEETS,
    )


@bp.route("/<int:batch_id>/edit", methods=["GET", "POST"])
@login_required
def edit(coop_slug: str, batch_id: int):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    batch = _own_batch(cooperative, batch_id)
    form = _batch_form(cooperative, batch.product, batch)
    form.product_id.data = batch.product_id  # a batch stays with its product
    if form.validate_on_submit():
        with attempt(form) as outcome:
            batches.update_batch(batch, form.batch_data(), by=current_user)
        if outcome.done:
            flash(_("Batch %(code)s is saved.", code=batch.code), "success")
            return redirect(url_for(".edit", coop_slug=cooperative.slug, batch_id=batch.id))
    return _edit_page(cooperative, batch, form)


@bp.post("/<int:batch_id>/delete")
@login_required
def delete(coop_slug: str, batch_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    batch = _own_batch(cooperative, batch_id)
    product_id, code = batch.product_id, batch.code
    with attempt() as outcome:
        batches.delete_batch(batch)
    if not outcome.done:
        return redirect(url_for(".edit", coop_slug=cooperative.slug, batch_id=batch_id))
    flash(_("Batch %(code)s is deleted.", code=code), "success")
    return redirect(url_for(".index", coop_slug=cooperative.slug, product=product_id))


@bp.post("/gtin/<int:product_id>")
@login_required
def set_gtin(coop_slug: str, product_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = _own_product(cooperative, product_id)
    form = GtinForm()
    if form.validate_on_submit():
        with attempt(form) as outcome:
            batches.set_gtin(product, form.gtin.data)
        if outcome.done:
            flash(_("The GTIN of %(name)s is saved.", name=product.name), "success")
            return redirect(url_for(".index", coop_slug=cooperative.slug, product=product.id))
    query = batches.cooperative_batches_query(cooperative, product.id)
    page = db.paginate(query, page=1, per_page=PER_PAGE, error_out=False)
    return render_template(
        "traceability/batches/index.html",
        cooperative=cooperative,
        page=page,
        product=product,
        products=_products(cooperative),
        gtin_form=form,
        can_edit=True,
    ), 400


# --- photos --------------------------------------------------------------------------------------


@bp.post("/<int:batch_id>/photos")
@login_required
def upload_photos(coop_slug: str, batch_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    batch = _own_batch(cooperative, batch_id)
    upload_form = ImageUploadForm()
    if upload_form.validate_on_submit():
        files = [f for f in upload_form.photos.data if getattr(f, "filename", "")]
        added = []
        # One bad file refuses them all: no row, no file left behind.
        with attempt(upload_form) as outcome:
            for upload in files:
                try:
                    added.append(batches.add_batch_image(batch, upload.stream, upload_form.alt_text.data).stem)
                except ImageRejected as error:
                    raise Refused(
                        _("%(file)s: %(message)s", file=upload.filename, message=error.message), field="photos"
                    ) from None
        if outcome.done:
            flash(ngettext("%(num)s photo added.", "%(num)s photos added.", len(files)), "success")
            return redirect(url_for(".edit", coop_slug=cooperative.slug, batch_id=batch.id) + "#photo-section")
        batches.discard_files(added)
    form = _batch_form(cooperative, batch.product, batch, formdata=None)
    return _edit_page(cooperative, batch, form, upload_form), 400


@bp.post("/<int:batch_id>/photos/<int:image_id>/delete")
@login_required
def delete_photo(coop_slug: str, batch_id: int, image_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    batch = _own_batch(cooperative, batch_id)
    image = db.session.get(BatchImage, image_id)
    if image is None or image.batch_id != batch.id:
        abort(404)
    batches.delete_batch_image(image)
    flash(_("The photo is deleted."), "success")
    return redirect(url_for(".edit", coop_slug=cooperative.slug, batch_id=batch.id) + "#photo-section")


# --- labels --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """A sheet of self-adhesive labels on A4 paper: columns × rows labels of width × height mm."""

    key: str
    columns: int
    rows: int
    width_mm: float
    height_mm: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def title(self) -> str:
        return _(
            "%(n)s labels of %(w)s × %(h)s mm (%(c)s × %(r)s)",
            n=self.per_page,
            w=format(self.width_mm, "g"),
            h=format(self.height_mm, "g"),
            c=self.columns,
            r=self.rows,
        )


SHEETS = {
    s.key: s
    for s in (
        Sheet("3x8", 3, 8, 70, 37),
        Sheet("2x7", 2, 7, 99.1, 38.1),
        Sheet("4x10", 4, 10, 48.5, 25.4),
    )
}
DEFAULT_SHEET = "3x8"
MAX_PAGES = 20


def label_qr_svg(url: str) -> Markup:
    """An inline SVG QR code of `url` (a viewBox, no size, no styles: the CSP forbids them)."""
    import segno

    label = _("QR code of %(url)s", url=url)
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=2, omitsize=True, title=label, svgclass="label-qr", lineclass=None, dark="#000", light="#fff"
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@bp.get("/<int:batch_id>/labels")
@login_required
def labels(coop_slug: str, batch_id: int):
    cooperative = managed_cooperative(coop_slug)
    batch = _own_batch(cooperative, batch_id)
    sheet = SHEETS.get(request.args.get("size", DEFAULT_SHEET))
    if sheet is None:
        abort(404)
    pages_arg = request.args.get("pages", "1")
    if not pages_arg.isdigit() or not 1 <= int(pages_arg) <= MAX_PAGES:
        abort(400)
    pages = int(pages_arg)
    url = batches.trace_url(batch, _host_url())
    qr = label_qr_svg(url)
    response = Response(
        render_template(
            "traceability/labels/sheet.html",
            cooperative=cooperative,
            batch=batch,
            sheet=sheet,
            sheets=SHEETS,
            pages=pages,
            url=url,
            qr=qr,
        )
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- CSV import ----------------------------------------------------------------------------------


@bp.get("/import/template.csv")
@login_required
def import_template(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    from marketplace.traceability.batch_import import template_csv

    body = "\ufeff" + template_csv(cooperative)
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{cooperative.slug}-batches-template.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_csv(coop_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    form = CsvImportForm()
    problems = []
    if form.validate_on_submit():
        from marketplace.traceability.batch_import import import_batches

        data = form.file.data.stream.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            form.file.errors.append(_("The file is too large: at most 2 MB."))
        else:
            try:
                created = import_batches(data, cooperative, by=current_user)
            except ImportFailed as failure:
                # All or nothing; rolled back now, as the page listing the problems is a 200 that would commit.
                roll_back()
                problems = failure.problems
            else:
                flash(ngettext("%(num)s batch imported.", "%(num)s batches imported.", created), "success")
                return redirect(url_for(".index", coop_slug=cooperative.slug))
    return render_template("traceability/batches/import.html", cooperative=cooperative, form=form, problems=problems)
