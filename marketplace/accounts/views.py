"""Sign up, sign in and out, profile, saved addresses, password reset.

Views call a service and answer; the request commits after them when the answer is a
success (core.transaction). A failed sign-in is counted although it is refused: the login
page answers it with 200, so the count is committed with the request.
"""

from __future__ import annotations

import logging
import smtplib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import addresses, services
from marketplace.accounts.forms import (
    AGENCY_KIND_LABELS,
    ROLE_LABELS,
    AddressForm,
    ChangePasswordForm,
    LoginForm,
    LogoutForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from marketplace.accounts.session import stay_signed_in
from marketplace.core import throttle
from marketplace.core.mail import send_email
from marketplace.core.security import safe_next_url
from marketplace.core.transaction import attempt

logger = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _next_url() -> str:
    return safe_next_url(request.form.get("next") or request.args.get("next"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = RegisterForm()
    if form.validate_on_submit():
        with attempt(form) as outcome:
            user = services.register_user(
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                phone=form.phone.data,
            )
        if outcome.done:
            login_user(user)  # the guest's cart joins the account's (orders listens to user_logged_in)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(_next_url())
    return render_template("accounts/register.html", form=form, next_url=request.args.get("next", ""))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.AccountLocked as error:
            status = 429
            flash(error.message, "error")
        except services.InvalidCredentials as error:
            # The attempt was already counted towards the lock-out (throttle.take commits it apart
            # from the request), whatever this answer does.
            flash(error.message, "error")
        except services.AccountInactive as error:
            flash(error.message, "error")
        else:
            login_user(user, remember=form.remember.data)  # the guest's cart joins (user_logged_in)
            logger.info("User %s signed in", user.id)
            return redirect(safe_next_url(form.next.data))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    # CSRFProtect has already refused a POST without a valid token (400).
    if LogoutForm().validate_on_submit() and current_user.is_authenticated:
        # A new session token: a copy of this browser's cookies signs nobody in any more. The
        # token is the user's, not the browser's: their other browsers are signed out too.
        services.end_sessions(current_user)
        logout_user()
        flash(_("You have signed out."), "success")
    return redirect(url_for("catalog.home"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    # CSRFProtect has already refused a POST without a valid token (400).
    if LogoutForm().validate_on_submit():
        services.end_sessions(current_user)
        logout_user()
        flash(_("You have been signed out on every device and browser, this one included."), "success")
    return redirect(url_for("accounts.login"))


def _render_profile(profile_form=None, password_form=None):
    profile_form = profile_form or ProfileForm(formdata=None, obj=current_user)
    password_form = password_form or ChangePasswordForm(formdata=None)
    return render_template("accounts/profile.html", profile_form=profile_form, password_form=password_form)


@bp.get("/profile")
@login_required
def profile():
    return _render_profile()


@bp.post("/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_profile(profile_form=form)
    with attempt(form) as outcome:
        services.update_profile(current_user, form.full_name.data, form.phone.data)
    if not outcome.done:
        return _render_profile(profile_form=form)
    flash(_("Your profile has been saved."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _render_profile(password_form=form)
    with attempt(form) as outcome:
        services.change_password(current_user, form.current_password.data, form.password.data)
    if not outcome.done:
        return _render_profile(password_form=form)
    stay_signed_in(current_user._get_current_object())  # every other session has ended
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            services.count_reset_request(form.email.data, throttle.client_key())
        except throttle.TooManyAttempts as refused:
            form.email.errors.append(refused.message)
            return render_template("accounts/reset_request.html", form=form), 429
        # Counted already (throttle.take commits by itself), even if sending fails (503).
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.active:
            token = services.make_reset_token(user)
            try:  # sent now, in the language the person reads the site in
                send_email(
                    user.email,
                    _("Reset your password"),
                    "password_reset",
                    user=user,
                    reset_url=url_for("accounts.reset_password", token=token, _external=True),
                    minutes=services.RESET_TOKEN_MAX_AGE // 60,
                )
            except (smtplib.SMTPException, OSError):
                logger.exception("Password-reset email to user %s could not be sent", user.id)
                form.email.errors.append(_("We could not send the email just now. Please try again in a few minutes."))
                return render_template("accounts/reset_request.html", form=form), 503
        else:
            logger.info("Password reset asked for unknown or inactive address")
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to choose a new password. "
                "The link works for one hour.",
                email=form.email.data.strip(),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if services.user_from_reset_token(token) is None:
        flash(_("This password reset link is invalid or has expired. Please ask for a new one."), "error")
        return redirect(url_for("accounts.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with attempt(form) as outcome:
            user = services.reset_password(token, form.password.data)
        if outcome.done:
            logger.info("Password reset by email for user %s", user.id)
            flash(_("Your password has been changed. You can sign in now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, token=token)


# --- saved addresses ------------------------------------------------------------------------


def _own_address(address_id: int):
    """The signed-in customer's address; anyone else's (or none) is a 404."""
    address = addresses.address_of(current_user, address_id)
    if address is None:
        abort(404)
    return address


def _address_data(form: AddressForm) -> addresses.AddressData:
    return addresses.AddressData(
        label=form.label.data or "",
        recipient_name=form.recipient_name.data or "",
        phone=form.phone.data or "",
        province_code=form.province_code.data,
        ward_code=form.ward_code.data,
        street=form.street.data or "",
    )


@bp.get("/addresses")
@login_required
def address_book():
    return render_template(
        "accounts/addresses.html",
        addresses=addresses.addresses_of(current_user),
        can_add=addresses.can_add(current_user),
        max_addresses=addresses.MAX_ADDRESSES,
    )


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def new_address():
    if not addresses.can_add(current_user):
        flash(
            _(
                "You can keep at most %(max)d addresses. Delete one you no longer use first.",
                max=addresses.MAX_ADDRESSES,
            ),
            "warning",
        )
        return redirect(url_for("accounts.address_book"))
    form = AddressForm()
    if request.method == "GET":
        form.recipient_name.data = current_user.full_name
        form.phone.data = current_user.phone or ""
    saved = _save_address(form, lambda data, default: addresses.add_address(current_user, data, make_default=default))
    if saved:
        return saved
    first = addresses.default_address(current_user) is None
    return render_template("accounts/address_form.html", form=form, address=None, first=first), _form_status()


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int):
    address = _own_address(address_id)
    form = AddressForm(obj=address)
    saved = _save_address(form, lambda data, default: addresses.edit_address(address, data, make_default=default))
    if saved:
        return saved
    return render_template("accounts/address_form.html", form=form, address=address), _form_status()


def _save_address(form, save):
    """A submitted, valid address form saved by `save(data, make_default)`: the redirect to the
    address book, or None (the form shows why) when nothing was submitted or it was refused."""
    if not form.validate_on_submit():
        return None
    with attempt(form) as outcome:
        save(_address_data(form), form.is_default.data)
    if not outcome.done:
        return None
    flash(_("The address has been saved."), "success")
    return redirect(url_for("accounts.address_book"))


def _form_status() -> int:
    """422 for a form sent back with its errors, 200 for a form shown."""
    return 422 if request.method == "POST" else 200


@bp.post("/addresses/<int:address_id>/default")
@login_required
def default_address(address_id: int):
    address = _own_address(address_id)
    addresses.set_default(address)
    flash(_("Orders will now go to this address unless you choose another at checkout."), "success")
    return redirect(url_for("accounts.address_book"))


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def delete_address(address_id: int):
    address = _own_address(address_id)
    addresses.delete_address(address)
    flash(_("The address has been deleted."), "success")
    return redirect(url_for("accounts.address_book"))


@bp.app_template_filter("role_label")
def role_label(role) -> str:
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_filter("agency_kind_label")
def agency_kind_label(kind) -> str:
    return str(AGENCY_KIND_LABELS.get(kind, kind))
