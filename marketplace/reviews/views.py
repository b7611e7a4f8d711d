"""Review pages: the public list, the buyer's form and own reviews, the cooperative's
replies (workspace), and hiding by agency staff (/agency/reviews).

Every view: load, check access, act, respond; the request commits after it when the answer
is a success, and a refusal is rolled back (core.transaction).
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role
from marketplace.catalog import queries
from marketplace.cooperatives.access import managed_cooperative
from marketplace.core.access import roles_required
from marketplace.core.errors import Refused
from marketplace.core.page_cache import cached_page
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.reviews import services
from marketplace.reviews.forms import HideForm, ReplyForm, ReviewForm
from marketplace.reviews.models import MAX_PHOTOS, Review

bp = Blueprint("reviews", __name__)
workspace_bp = Blueprint("review_workspace", __name__, url_prefix="/workspace/<coop_slug>/reviews")
agency_bp = Blueprint("review_agency", __name__, url_prefix="/agency/reviews")
logger = logging.getLogger(__name__)

PER_PAGE = 10
ON_PRODUCT_PAGE = 10


# --- figures as pages show them --------------------------------------------------------------


@bp.app_template_filter("rating")
def format_rating(value: float | None) -> str:
    """4.46 -> "4,5" in Vietnamese, "4.5" in English."""
    if value is None:
        return ""
    return format_decimal(round(value + 1e-9, 1), format="0.0")


@bp.app_template_filter("compact_count")
def format_compact_count(value: int) -> str:
    """950 -> "950", 1234 -> "1,2k", 15000 -> "15k" (rounded down: never more than sold)."""
    value = int(value or 0)
    if value < 1000:
        return format_decimal(value)
    thousands = value // 100 / 10
    return format_decimal(thousands, format="0.#") + "k"


@bp.app_template_filter("public_name")
def public_name(full_name: str) -> str:
    """ "Lê Thị Hoa" -> "L. T. Hoa": the given name (last in Vietnamese) and initials."""
    words = (full_name or "").split()
    if len(words) < 2:
        return full_name or ""
    return " ".join([*(w[0] + "." for w in words[:-1]), words[-1]])


@bp.app_template_global()
def product_reviews(product) -> dict:
    """The product page's review section: the summary and the newest visible reviews."""
    summary = services.summary(product.id)
    latest = db.session.scalars(services.visible_reviews(product.id).limit(ON_PRODUCT_PAGE)).all()
    return {"summary": summary, "latest": latest, "more": summary.count > len(latest)}


@bp.app_template_global()
def cooperative_rating(cooperative) -> dict:
    average, count = services.cooperative_rating(cooperative.id)
    return {"average": average, "count": count}


@bp.app_template_global()
def order_reviews(order) -> dict:
    """On the customer's order page: item id -> their Review, or True when they may write one."""
    return services.order_review_state(order, current_user)


# --- public --------------------------------------------------------------------------------------


@bp.get("/products/<slug>/reviews")
def product_list(slug: str):
    def render() -> str:
        product = queries.get_public_product(slug)
        page = db.paginate(
            services.visible_reviews(product.id), page=requested_page(), per_page=PER_PAGE, error_out=False
        )
        return render_template(
            "reviews/product_list.html", product=product, page=page, summary=services.summary(product.id)
        )

    return cached_page(render)


# --- the buyer ---------------------------------------------------------------------------------


@bp.route("/account/reviews/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def write(item_id: int):
    item = services.item_of_user(item_id, current_user)
    if item is None:
        abort(404)
    existing = db.session.scalar(select(Review).where(Review.order_item_id == item.id))
    if existing is not None:
        flash(_("You have already reviewed this item."), "info")
        return redirect(url_for("reviews.mine") + f"#review-{existing.id}")
    form = ReviewForm()
    refusal = None
    try:
        services.check_can_review(current_user, item)
    except Refused as error:
        refusal = error.message
    if refusal is None and form.validate_on_submit():
        uploads = form.uploads()
        stems: list[str] = []
        try:
            with attempt(form) as outcome:
                review = services.write_review(
                    current_user, item, form.rating.data, form.text.data, [u.stream for u in uploads]
                )
                stems = [photo.stem for photo in review.photos]
        except IntegrityError:  # the same form sent twice at once: the first one counts (rolled back)
            services.discard_files(stems)
            flash(_("You have already reviewed this item."), "info")
            return redirect(url_for("reviews.mine"))
        if outcome.done:
            flash(_("Thank you! Your review is published."), "success")
            return redirect(url_for("reviews.mine"))
    status = 403 if refusal else 200
    return render_template("reviews/write.html", item=item, form=form, refusal=refusal, max_photos=MAX_PHOTOS), status


@bp.get("/account/reviews")
@login_required
def mine():
    page = db.paginate(services.reviews_by(current_user), page=requested_page(), per_page=PER_PAGE, error_out=False)
    return render_template("reviews/mine.html", page=page)


# --- the cooperative ---------------------------------------------------------------------------


@workspace_bp.get("/")
@login_required
def workspace_index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    page = db.paginate(
        services.reviews_of_cooperative(cooperative.id), page=requested_page(), per_page=PER_PAGE, error_out=False
    )
    average, count = services.cooperative_rating(cooperative.id)
    return render_template(
        "reviews/workspace.html",
        cooperative=cooperative,
        page=page,
        average=average,
        count=count,
        form=ReplyForm(formdata=None),
    )


@workspace_bp.post("/<int:review_id>/reply")
@login_required
def workspace_reply(coop_slug: str, review_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    review = db.session.get(Review, review_id)
    if review is None or review.cooperative_id != cooperative.id:
        abort(404)
    form = ReplyForm()
    back = url_for(
        "review_workspace.workspace_index", coop_slug=cooperative.slug, page=request.args.get("page") or None
    )
    if not form.validate_on_submit():
        flash(
            _("Reply not sent: %(problem)s", problem=" ".join(str(e) for e in form.text.errors) or _("try again.")),
            "error",
        )
        return redirect(back + f"#review-{review.id}")
    with attempt() as outcome:
        services.reply(review, current_user, form.text.data)
    if outcome.done:
        flash(_("Your reply is published."), "success")
    return redirect(back + f"#review-{review.id}")


# --- agency staff ------------------------------------------------------------------------------

SHOWS = ("visible", "hidden", "all")


@agency_bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def agency_index():
    show = request.args.get("show", "visible")
    if show not in SHOWS:
        show = "visible"
    hidden = {"visible": False, "hidden": True, "all": None}[show]
    page = db.paginate(services.all_reviews(hidden), page=requested_page(), per_page=PER_PAGE * 2, error_out=False)
    return render_template("reviews/agency.html", page=page, show=show, form=HideForm(formdata=None))


@agency_bp.post("/<int:review_id>/hide")
@roles_required(Role.AGENCY_STAFF)
def agency_hide(review_id: int):
    review = db.get_or_404(Review, review_id)
    form = HideForm()
    back = url_for(
        "review_agency.agency_index", show=request.args.get("show") if request.args.get("show") in SHOWS else None
    )
    if not form.validate_on_submit():
        flash(
            _("Not hidden: %(problem)s", problem=" ".join(str(e) for e in form.reason.errors) or _("try again.")),
            "error",
        )
        return redirect(back + f"#review-{review.id}")
    with attempt() as outcome:
        services.hide(review, current_user, form.reason.data)
    if outcome.done:
        flash(_("The review is hidden and its author is told why."), "success")
    return redirect(back + f"#review-{review.id}")
