"""Admin pages: users and their roles, agencies. Admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts import services
from marketplace.accounts.forms import AdminNewUserForm, AdminUserForm, AgencyForm
from marketplace.accounts.models import Agency, AgencyKind, Role, User
from marketplace.core.access import roles_required
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.cooperatives.models import Cooperative

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERS_PER_PAGE = 25


@bp.before_request
@roles_required("admin")
def require_admin():
    """Every page here is for admins: anonymous -> sign in, anyone else -> 403."""
    return None


def _all_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(Agency.name)))


# Cooperatives sit a layer above accounts: the two helpers that pick a manager's cooperatives
# import them where they need them.
def _all_cooperatives() -> list[Cooperative]:
    from marketplace.cooperatives.models import Cooperative

    return list(db.session.scalars(select(Cooperative).order_by(Cooperative.name)))


def _chosen(form) -> tuple[Role, Agency | None, list[Cooperative]]:
    """Role, agency and cooperatives picked in a validated form (choices are known ids)."""
    from marketplace.cooperatives.models import Cooperative

    agency = db.session.get(Agency, form.agency.data) if form.agency.data else None
    cooperatives = [db.session.get(Cooperative, cid) for cid in form.cooperatives.data or []]
    return Role(form.role.data), agency, cooperatives


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    search = request.args.get("q", "").strip()[:100]
    role_value = request.args.get("role", "")
    query = (
        select(User)
        .options(selectinload(User.cooperatives), selectinload(User.agency))
        .order_by(User.created_at.desc(), User.id.desc())
    )
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(or_(User.email.ilike(pattern, escape="\\"), User.full_name.ilike(pattern, escape="\\")))
    if role_value:
        try:
            query = query.where(User.role == Role(role_value))
        except ValueError:
            abort(400, description=_("Unknown role."))
    page = db.paginate(query, page=requested_page(error_out=True), per_page=USERS_PER_PAGE, error_out=True)
    return render_template("admin/users.html", page=page, search=search, role_value=role_value, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = AdminNewUserForm()
    form.set_choices(_all_agencies(), _all_cooperatives())
    if form.validate_on_submit():
        role, agency, cooperatives = _chosen(form)
        with attempt(form) as outcome:
            user = services.create_user(
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                phone=form.phone.data,
                role=role,
                active=form.active.data,
                agency=agency,
                cooperatives=cooperatives,
            )
        if outcome.done:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AdminUserForm(obj=user)
    form.set_choices(_all_agencies(), _all_cooperatives())
    if request.method == "GET":
        form.role.data = user.role.value
        form.agency.data = user.agency_id or 0
        form.cooperatives.data = [c.id for c in user.cooperatives]
    if form.validate_on_submit():
        role, agency, cooperatives = _chosen(form)
        with attempt(form) as outcome:
            services.update_profile(user, form.full_name.data, form.phone.data)
            services.update_user_roles(
                user, by=current_user, role=role, active=form.active.data, agency=agency, cooperatives=cooperatives
            )
        if outcome.done:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.get("/agencies")
def agencies():
    rows = db.session.scalars(select(Agency).options(selectinload(Agency.staff)).order_by(Agency.name))
    return render_template("admin/agencies.html", agencies=list(rows))


@bp.route("/agencies/new", methods=["GET", "POST"])
@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
def edit_agency(agency_id: int | None = None):
    agency = db.get_or_404(Agency, agency_id) if agency_id is not None else None
    form = AgencyForm(obj=agency)
    if request.method == "GET" and agency is not None:
        form.kind.data = agency.kind.value
    if form.validate_on_submit():
        with attempt(form) as outcome:
            saved = services.save_agency(agency, form.name.data, AgencyKind(form.kind.data))
        if outcome.done:
            flash(_("Agency %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)
