"""Category management for agency staff: a two-level tree of top categories and sub-categories.

Views call the services and answer; the request commits after them (core.transaction)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.catalog import services
from marketplace.catalog.forms import CategoryForm
from marketplace.catalog.models import Category, Product
from marketplace.core.access import roles_required
from marketplace.core.errors import Refused
from marketplace.core.transaction import attempt
from marketplace.extensions import db

bp = Blueprint("categories", __name__, url_prefix="/agency/categories")


def category_or_404(category_id: int) -> Category:
    return db.get_or_404(Category, category_id)


def parent_choices(category: Category | None = None) -> list[Category]:
    """Only top categories can be parents (two levels); never the category itself."""
    return [c for c in services.top_categories() if category is None or c.id != category.id]


def _parent(form: CategoryForm) -> Category | None:
    if form.parent_id.data is None:
        return None
    return db.session.get(Category, form.parent_id.data)


@bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    counts = dict(
        db.session.execute(select(Product.category_id, func.count(Product.id)).group_by(Product.category_id)).all()
    )
    return render_template("agency/categories.html", tree=services.top_categories(), counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def create():
    form = CategoryForm(parents=parent_choices())
    if form.validate_on_submit():
        with attempt(form) as outcome:
            category = services.create_category(form.name.data, _parent(form), form.position.data)
        if outcome.done:
            flash(_("Category %(name)s is created.", name=category.name), "success")
            return redirect(url_for("categories.index"))
    return render_template("agency/category_form.html", form=form, category=None)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def edit(category_id: int):
    category = category_or_404(category_id)
    form = CategoryForm(obj=category, parents=parent_choices(category))
    if form.validate_on_submit():
        with attempt(form) as outcome:
            services.update_category(category, form.name.data, _parent(form), form.position.data)
        if outcome.done:
            flash(_("Category %(name)s is saved.", name=category.name), "success")
            return redirect(url_for("categories.index"))
    return render_template("agency/category_form.html", form=form, category=category)


@bp.post("/<int:category_id>/delete")
@roles_required(Role.AGENCY_STAFF)
def delete(category_id: int):
    category = category_or_404(category_id)
    name = category.name
    with attempt() as outcome:
        try:
            services.delete_category(category)
        except services.CatalogError as error:  # said with the category's name
            raise Refused(_("%(name)s cannot be deleted: %(reason)s", name=name, reason=error.message)) from None
    if outcome.done:
        flash(_("Category %(name)s is deleted.", name=name), "success")
    return redirect(url_for("categories.index"))
