"""A cooperative's listings in its workspace: products, stock, price, photos, CSV files.

All routes sit under /workspace/<coop_slug>/products and start with the same access
check as the rest of the workspace (managed_cooperative): another cooperative's
records are 403 and nothing changes. Views call the services and answer; the request
commits after them when the answer is a success (core.transaction).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from marketplace.catalog import services
from marketplace.catalog.forms import (
    CsvImportForm,
    ImageMoveForm,
    ImageUploadForm,
    ProductForm,
    QuickUpdateForm,
    category_choices,
)
from marketplace.catalog.images import (
    add_product_image,
    check_may_add_photos,
    delete_product_image,
    discard_product_files,
    move_image,
)
from marketplace.catalog.models import Product, ProductImage, ProductStatus
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.cooperatives.services import can_edit
from marketplace.core.csv_import import ImportFailed
from marketplace.core.errors import Refused
from marketplace.core.images import ImageRejected
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt, roll_back
from marketplace.extensions import db

bp = Blueprint("listings", __name__, url_prefix="/workspace/<coop_slug>/products")
logger = logging.getLogger(__name__)

PER_PAGE = 25
MAX_CSV_BYTES = 5 * 1024 * 1024


def own_product(cooperative: Cooperative, product_id: int) -> Product:
    """A product of this cooperative; another cooperative's product id is simply not found here."""
    product = db.session.get(Product, product_id)
    if product is None or product.cooperative_id != cooperative.id:
        abort(404)
    return product


def own_image(product: Product, image_id: int) -> ProductImage:
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product.id:
        abort(404)
    return image


def product_form(product: Product | None = None, *, posted: bool = True) -> ProductForm:
    """`posted=False`: the saved product, even though another form of the page (the photos) was posted."""
    form = ProductForm(
        obj=product, categories=category_choices(services.top_categories()), **({} if posted else {"formdata": None})
    )
    if product is not None and (request.method == "GET" or not posted):
        form.status.data = product.status.value
        form.certifications.data = list(product.certifications or [])
    return form


def product_data(form: ProductForm) -> dict:
    return {name: getattr(form, name).data for name in services.PRODUCT_FIELDS}


def edit_page(cooperative, product, form, upload_form=None):
    return render_template(
        "workspace/product_form.html",
        cooperative=cooperative,
        product=product,
        form=form,
        upload_form=upload_form or ImageUploadForm(formdata=None, alt_text=product.name),
        can_edit=can_edit(current_user, cooperative),
    )


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    status_name = request.args.get("status", "")
    if status_name and status_name not in {s.value for s in ProductStatus}:
        abort(400)
    status = ProductStatus(status_name) if status_name else None
    search = request.args.get("q", "").strip()[:100]
    query = services.cooperative_products_query(cooperative, status, search)
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    quick_forms = {
        p.id: QuickUpdateForm(formdata=None, prefix=f"p{p.id}", stock=p.stock, price_vnd=p.price_vnd)
        for p in page.items
    }
    return render_template(
        "workspace/products.html",
        cooperative=cooperative,
        page=page,
        status=status_name,
        search=search,
        statuses=ProductStatus,
        quick_forms=quick_forms,
        can_edit=can_edit(current_user, cooperative),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create(coop_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=True)
    form = product_form()
    if request.method == "GET":
        form.origin.data = cooperative.province_name
    if form.validate_on_submit():
        with attempt(form) as outcome:
            product = services.create_product(cooperative, product_data(form))
        if outcome.done:
            flash(_("%(name)s is saved. Add photos below.", name=product.name), "success")
            return redirect(url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id))
    return render_template("workspace/product_new.html", cooperative=cooperative, form=form, product=None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit(coop_slug: str, product_id: int):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    product = own_product(cooperative, product_id)
    form = product_form(product)
    if form.validate_on_submit():
        with attempt(form) as outcome:
            services.update_product(product, product_data(form))
        if outcome.done:
            flash(_("%(name)s is saved.", name=product.name), "success")
            return redirect(url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id))
    return edit_page(cooperative, product, form)


@bp.post("/<int:product_id>/archive")
@login_required
def archive(coop_slug: str, product_id: int):
    return _status_action(coop_slug, product_id, services.archive_product, _("%(name)s is archived."))


@bp.post("/<int:product_id>/restore")
@login_required
def restore(coop_slug: str, product_id: int):
    return _status_action(coop_slug, product_id, services.restore_product, _("%(name)s is restored as a draft."))


def _status_action(coop_slug: str, product_id: int, action, message: str):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = own_product(cooperative, product_id)
    with attempt() as outcome:
        action(product)
    if outcome.done:
        flash(message % {"name": product.name}, "success")
    if request.form.get("back") == "edit":
        return redirect(url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id))
    return redirect(url_for("listings.index", coop_slug=cooperative.slug))


@bp.post("/<int:product_id>/quick")
@login_required
def quick_update(coop_slug: str, product_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = own_product(cooperative, product_id)
    form = QuickUpdateForm(prefix=f"p{product.id}")
    if form.validate_on_submit():
        with attempt() as outcome:
            services.set_stock(product, form.stock.data)
            services.set_price(product, form.price_vnd.data)
        if outcome.done:
            flash(_("Stock and price of %(name)s are saved.", name=product.name), "success")
    else:
        for field in (form.stock, form.price_vnd):
            for message in field.errors:
                flash(
                    _("%(name)s – %(field)s: %(message)s", name=product.name, field=field.label.text, message=message),
                    "error",
                )
    return redirect(url_for("listings.index", coop_slug=cooperative.slug, **_list_args()))


def _list_args() -> dict:
    return {k: v for k, v in (("status", request.args.get("status")), ("q", request.args.get("q"))) if v}


@bp.post("/<int:product_id>/images")
@login_required
def upload_images(coop_slug: str, product_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = own_product(cooperative, product_id)
    upload_form = ImageUploadForm()
    if upload_form.validate_on_submit():
        files = [f for f in upload_form.photos.data if getattr(f, "filename", "")]
        added = []
        # One bad file refuses the whole batch: no row, no file left behind.
        with attempt(upload_form) as outcome:
            check_may_add_photos(product, current_user)
            for upload in files:
                try:
                    added.append(add_product_image(product, upload.stream, upload_form.alt_text.data).stem)
                except ImageRejected as error:
                    raise Refused(
                        _("%(file)s: %(message)s", file=upload.filename, message=error.message), field="photos"
                    ) from None
        if outcome.done:
            flash(ngettext("%(num)s photo added.", "%(num)s photos added.", len(files)), "success")
            return redirect(
                url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id) + "#photo-section"
            )
        discard_product_files(added)
    form = product_form(product, posted=False)
    return edit_page(cooperative, product, form, upload_form=upload_form), 400


@bp.post("/<int:product_id>/images/<int:image_id>/move")
@login_required
def move(coop_slug: str, product_id: int, image_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = own_product(cooperative, product_id)
    image = own_image(product, image_id)
    form = ImageMoveForm()
    if not form.validate_on_submit():
        abort(400)
    move_image(image, form.direction.data)
    return redirect(url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id) + "#photo-section")


@bp.post("/<int:product_id>/images/<int:image_id>/delete")
@login_required
def delete_image(coop_slug: str, product_id: int, image_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    product = own_product(cooperative, product_id)
    image = own_image(product, image_id)
    delete_product_image(image)
    flash(_("The photo is deleted."), "success")
    return redirect(url_for("listings.edit", coop_slug=cooperative.slug, product_id=product.id) + "#photo-section")


@bp.get("/export.csv")
@login_required
def export_csv(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    from marketplace.catalog.importer import export_products_csv

    text = export_products_csv(cooperative)
    # A BOM tells Excel the file is UTF-8, so Vietnamese names open correctly.
    body = "\ufeff" + text.lstrip("\ufeff")
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{cooperative.slug}-products.csv"',
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
        from marketplace.catalog.importer import import_products

        data = form.file.data.stream.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            form.file.errors.append(_("The file is too large: at most 5 MB."))
        else:
            try:
                result = import_products(data, cooperative=cooperative, create_categories=False)
            except ImportFailed as failure:
                # All or nothing: one bad row and the whole file is refused. Rolled back now, as
                # the page that lists the problems is a success (200) that would commit.
                roll_back()
                problems = failure.problems
            else:
                flash(
                    _(
                        "Import finished. New products: %(created)s; updated: %(updated)s.",
                        created=result.created,
                        updated=result.updated,
                    ),
                    "success",
                )
                return redirect(url_for("listings.index", coop_slug=cooperative.slug))
    return render_template("workspace/import.html", cooperative=cooperative, form=form, problems=problems)
