"""Booth helpers: a manager gives a named helper a booth-only code; the helper signs in with it.

/workspace/<coop_slug>/fairs/<fair_slug>/helpers: the cooperative's managers list the booth's
helpers, add one (the code is shown once, with the sign-in address and a QR code of it) and
revoke one. /booth/sign-in: the helper types the code (or scans the QR, which fills it in) and
lands on the booth app; wrong codes are counted per device (throttle) and answer 400, too many
429. A helper is not an account (fairs.booth_access): every other page sees an anonymous visitor.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from marketplace.cooperatives.models import Cooperative
from marketplace.core import throttle
from marketplace.core.models import utcnow
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.fairs import booth_access, helpers
from marketplace.fairs.models import Booth, BoothHelper
from marketplace.fairs.onsite_views import own_booth  # the one access check of a booth's pages

bp = Blueprint("booth_signin", __name__)
logger = logging.getLogger(__name__)


class HelperForm(FlaskForm):
    name = StringField(
        _l("Helper's name"),
        validators=[
            InputRequired(_l("Enter the helper's name.")),
            Length(
                max=helpers.NAME_MAX,
                message=_l("The name is too long (at most %(most)d characters).", most=helpers.NAME_MAX),
            ),
        ],
        render_kw={"maxlength": helpers.NAME_MAX, "autocomplete": "off"},
    )


class SignInForm(FlaskForm):
    code = StringField(
        _l("Booth code"),
        validators=[InputRequired(_l("Enter the code the cooperative's manager gave you."))],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "autocorrect": "off",
            "spellcheck": "false",
            "inputmode": "text",
            "maxlength": 20,
            "placeholder": "K7MX-4QPA",
            "class": "booth-code-input",
        },
    )


class SignOutForm(FlaskForm):
    """No fields: carries the CSRF token of the sign-out button."""


# --- the manager's page --------------------------------------------------------------------------


def sign_in_qr(url: str) -> Markup:
    """An inline SVG QR code of `url` (viewBox, no styles: the CSP forbids them)."""
    import segno

    label = _("QR code of the booth sign-in address with the code filled in")
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, title=label, svgclass="booth-helper-qr", lineclass=None
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def helpers_page(cooperative: Cooperative, booth: Booth, form: HelperForm, *, new=None, status: int = 200):
    return (
        render_template(
            "fairs/helpers/index.html",
            cooperative=cooperative,
            booth=booth,
            fair=booth.fair,
            form=form,
            rows=helpers.helpers_of(booth),
            can_add=helpers.can_add_helpers(booth),
            most=helpers.MAX_ACTIVE_HELPERS,
            new=new,
            now=utcnow(),
        ),
        status,
    )


@bp.get("/workspace/<coop_slug>/fairs/<fair_slug>/helpers")
@login_required
def index(coop_slug: str, fair_slug: str):
    cooperative, booth = own_booth(coop_slug, fair_slug)
    return helpers_page(cooperative, booth, HelperForm(formdata=None))


@bp.post("/workspace/<coop_slug>/fairs/<fair_slug>/helpers")
@login_required
def add(coop_slug: str, fair_slug: str):
    cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    form = HelperForm()
    if not form.validate():
        return helpers_page(cooperative, booth, form, status=400)
    with attempt(form) as outcome:
        helper, code = helpers.create_helper(booth, form.name.data, current_user)
    if not outcome.done:
        return helpers_page(cooperative, booth, form, status=400)
    logger.info("Booth helper %s added to booth %s by user %s", helper.id, booth.id, current_user.id)
    # The code is shown on this answer only (nothing keeps it): not a redirect, which would need
    # to keep it somewhere until the next page.
    url = url_for(".sign_in", _external=True)
    prefilled = url_for(".sign_in", code=code, _external=True)
    new = {"helper": helper, "code": code, "url": url, "qr": sign_in_qr(prefilled)}
    return helpers_page(cooperative, booth, HelperForm(formdata=None), new=new)


@bp.post("/workspace/<coop_slug>/fairs/<fair_slug>/helpers/<int:helper_id>/revoke")
@login_required
def revoke(coop_slug: str, fair_slug: str, helper_id: int):
    _cooperative, booth = own_booth(coop_slug, fair_slug, edit=True)
    helper = db.session.get(BoothHelper, helper_id)
    if helper is None or helper.booth_id != booth.id:
        abort(404)
    helpers.revoke_helper(helper, current_user)
    logger.info("Booth helper %s revoked by user %s", helper.id, current_user.id)
    flash(
        _("%(name)s's code no longer works; if they were signed in, they are signed out.", name=helper.name), "success"
    )
    return redirect(url_for(".index", coop_slug=coop_slug, fair_slug=fair_slug))


# --- the helper's sign-in ------------------------------------------------------------------------


def booth_app_url(booth_id: int) -> str:
    return f"/booth/{booth_id}/"


def sign_in_page(form: SignInForm, status: int = 200):
    return (
        render_template(
            "fairs/helpers/sign_in.html",
            form=form,
            helper=booth_access.signed_in_helper(),
            sign_out_form=SignOutForm(formdata=None),
            booth_app_url=booth_app_url,
        ),
        status,
    )


@bp.route("/booth/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        form = SignInForm(formdata=None)
        code = request.args.get("code", "")  # the QR code the manager shows fills it in
        form.code.data = helpers.format_code(code) if helpers.is_code_shaped(code) else code[:20]
        return sign_in_page(form)
    form = SignInForm()
    if current_user.is_authenticated:
        # One person per browser: a manager signed in here uses the booth app as themselves.
        form.code.errors = [_("You are signed in with an account. Sign out first to sign in as a booth helper.")]
        return sign_in_page(form, 400)
    if not form.validate():
        return sign_in_page(form, 400)
    try:
        helper = helpers.sign_in_with_code(form.code.data, throttle.client_key())
    except throttle.TooManyAttempts as refused:
        form.code.errors = [refused.message]
        return sign_in_page(form, 429)
    if helper is None:
        form.code.errors = [
            _("This code does not work: check it with your manager. A code works only around its fair's dates.")
        ]
        return sign_in_page(form, 400)
    booth_access.sign_in_helper(helper)
    # Kept when the phone closes the browser or the installed app: the helper sells all day, and
    # the code's dates and the token bound it anyway (the session ends with them, or revoked).
    session.permanent = True
    logger.info("Booth helper %s signed in to booth %s", helper.id, helper.booth_id)
    return redirect(booth_app_url(helper.booth_id))


@bp.post("/booth/sign-out")
def sign_out():
    # CSRFProtect has already refused a POST without a valid token (400).
    booth_access.sign_out_helper()
    session.permanent = False
    flash(_("You have signed out of the booth."), "success")
    return redirect(url_for(".sign_in"))
