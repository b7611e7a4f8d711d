"""Certificate pages: a cooperative's managers keep theirs in the workspace
(/workspace/<coop_slug>/certificates); agency staff check them and follow expiries
(/agency/certificates). The rules are in traceability.certificates."""

from __future__ import annotations

import csv
import io
import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.accounts.models import Role
from marketplace.catalog.models import OCOP_STARS, Product
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.forms import DayField
from marketplace.cooperatives.models import Cooperative
from marketplace.core.access import roles_required
from marketplace.core.forms import optional_int, strip
from marketplace.core.spreadsheet import safe_cell
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.traceability import certificates as service
from marketplace.traceability.models import Certificate, CertificateKind

logger = logging.getLogger(__name__)

bp = Blueprint("certificates", __name__, url_prefix="/workspace/<coop_slug>/certificates")
agency_bp = Blueprint("certificate_agency", __name__, url_prefix="/agency/certificates")


class CertificateForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), validate_choice=False, validators=[InputRequired(_l("Choose the kind of certificate."))]
    )
    ocop_stars = SelectField(_l("OCOP stars"), coerce=optional_int, validate_choice=False)
    name = StringField(_l("Name of the certificate"), filters=[strip], validators=[Optional(), Length(max=200)])
    product_id = SelectField(_l("Applies to"), coerce=optional_int, validate_choice=False)
    number = StringField(
        _l("Certificate number"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the certificate's number.")), Length(max=64)],
    )
    issuer = StringField(
        _l("Issued by"),
        filters=[strip],
        validators=[InputRequired(_l("Enter who issued the certificate.")), Length(max=200)],
    )
    issued_on = DayField(
        _l("Date of issue"),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        validators=[InputRequired(_l("Enter the date of issue."))],
    )
    expires_on = DayField(
        _l("No longer valid from"), format="%Y-%m-%d", render_kw={"type": "date"}, validators=[Optional()]
    )
    scan = FileField(_l("Scan (PDF or photo)"))

    def __init__(self, cooperative: Cooperative, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("— Choose —")), *((k.value, label) for k, label in service.KIND_LABELS.items())]
        self.ocop_stars.choices = [("", _l("— Not OCOP —")), *((s, str(s)) for s in OCOP_STARS)]
        products = db.session.scalars(
            select(Product).where(Product.cooperative_id == cooperative.id).order_by(Product.name)
        )
        self.product_id.choices = [("", _l("The whole cooperative")), *((p.id, p.name) for p in products)]

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in service.FIELDS}


class ActionForm(FlaskForm):
    """A button (CSRF only)."""


def _sent_scan(form: CertificateForm):
    upload = form.scan.data
    if upload is None or not getattr(upload, "filename", ""):
        return None, None
    return upload.stream, upload.filename


def own_certificate(cooperative: Cooperative, certificate_id: int) -> Certificate:
    cert = db.session.get(Certificate, certificate_id)
    if cert is None or cert.cooperative_id != cooperative.id:
        abort(404)
    return cert


def _form_page(cooperative, form, cert=None, status=200):
    return (
        render_template("traceability/certificates/form.html", cooperative=cooperative, form=form, certificate=cert),
        status,
    )


def _save(cooperative: Cooperative, form: CertificateForm, cert: Certificate | None):
    """Run the service; the new scan file goes when the change is rolled back, the replaced one after."""
    stream, filename = _sent_scan(form)
    new_scan = None
    try:
        with attempt(form) as outcome:
            if cert is None:
                saved = service.create_certificate(cooperative, form.data_for_service(), current_user, stream, filename)
                old_scan = None
            else:
                old_scan = service.update_certificate(cert, form.data_for_service(), current_user, stream, filename)
                saved = cert
            new_scan = service.scan_name(saved) if saved.scan_stem and stream is not None else None
    except Exception:
        service.discard_scans([new_scan])
        raise
    if not outcome.done:
        service.discard_scans([new_scan])
        return None, None
    return saved, old_scan


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    return render_template(
        "traceability/certificates/index.html",
        cooperative=cooperative,
        certificates=service.of_cooperative(cooperative),
        today=service.today_in_vietnam(),
        action_form=ActionForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create(coop_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    form = CertificateForm(cooperative)
    if form.validate_on_submit():
        saved, _old = _save(cooperative, form, None)
        if saved is not None:
            flash(_("The certificate is saved. Agency staff will check it before it shows as valid."), "success")
            return redirect(url_for("certificates.index", coop_slug=cooperative.slug))
        return _form_page(cooperative, form, status=400)
    return _form_page(cooperative, form, status=400 if request.method == "POST" else 200)


@bp.route("/<int:certificate_id>/edit", methods=["GET", "POST"])
@login_required
def edit(coop_slug: str, certificate_id: int):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    cert = own_certificate(cooperative, certificate_id)
    form = CertificateForm(cooperative, obj=cert)
    if request.method == "GET":
        form.kind.data = cert.kind.value
    if form.validate_on_submit():
        was_verified = cert.verified_at is not None
        saved, old_scan = _save(cooperative, form, cert)
        if saved is not None:
            service.discard_scans([old_scan])  # the request commits next; a replaced scan is not needed
            if was_verified and saved.verified_at is None:
                flash(_("The certificate is saved. It changed, so agency staff will check it again."), "success")
            else:
                flash(_("The certificate is saved."), "success")
            return redirect(url_for("certificates.index", coop_slug=cooperative.slug))
        return _form_page(cooperative, form, cert, status=400)
    return _form_page(cooperative, form, cert, status=400 if request.method == "POST" else 200)


@bp.post("/<int:certificate_id>/delete")
@login_required
def delete(coop_slug: str, certificate_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    cert = own_certificate(cooperative, certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with attempt() as outcome:
        old_scan = service.delete_certificate(cert, current_user)
    if outcome.done:
        service.discard_scans([old_scan])
        flash(_("The certificate is deleted."), "success")
    return redirect(url_for("certificates.index", coop_slug=cooperative.slug)), 303


def send_scan(cert: Certificate):
    if not service.may_download_scan(current_user, cert):
        abort(403)
    if not cert.scan_stem:
        abort(404)
    path = service.scan_path(cert)
    if not path.is_file():
        logger.error("Certificate scan %s is missing", path.name)
        abort(404)
    name = f"{cert.kind.value}-{cert.number}.{path.suffix.lstrip('.')}".replace("/", "-")
    response = send_file(path, mimetype=service.scan_content_type(cert), as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:certificate_id>/scan")
@login_required
def scan(coop_slug: str, certificate_id: int):
    cooperative = db.first_or_404(select(Cooperative).where(Cooperative.slug == coop_slug))
    cert = own_certificate(cooperative, certificate_id)
    return send_scan(cert)


# --- agency ---------------------------------------------------------------------------------


@agency_bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def agency_index():
    return render_template(
        "traceability/certificates/agency_index.html",
        certificates=service.unverified(),
        verified=_recently_verified(),
        today=service.today_in_vietnam(),
        action_form=ActionForm(),
    )


def _recently_verified(limit: int = 50) -> list[Certificate]:
    query = (
        select(Certificate)
        .where(Certificate.verified_at.is_not(None))
        .order_by(Certificate.verified_at.desc(), Certificate.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _certificate_or_404(certificate_id: int) -> Certificate:
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    return cert


@agency_bp.post("/<int:certificate_id>/verify")
@roles_required(Role.AGENCY_STAFF)
def verify(certificate_id: int):
    return _act(certificate_id, service.verify, _("The certificate is verified."))


@agency_bp.post("/<int:certificate_id>/unverify")
@roles_required(Role.AGENCY_STAFF)
def unverify(certificate_id: int):
    return _act(certificate_id, service.unverify, _("The certificate is no longer verified."))


def _act(certificate_id: int, action, message: str):
    cert = _certificate_or_404(certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with attempt() as outcome:
        action(cert, current_user)
    if outcome.done:
        flash(message, "success")
    return redirect(url_for("certificate_agency.agency_index")), 303


@agency_bp.get("/<int:certificate_id>/scan")
@roles_required(Role.AGENCY_STAFF)
def agency_scan(certificate_id: int):
    return send_scan(_certificate_or_404(certificate_id))


@agency_bp.get("/expiring")
@roles_required(Role.AGENCY_STAFF)
def expiring():
    return render_template(
        "traceability/certificates/expiring.html",
        groups=service.expiring(),
        days=service.EXPIRING_DAYS,
        today=service.today_in_vietnam(),
    )


@agency_bp.get("/expiring.csv")
@roles_required(Role.AGENCY_STAFF)
def expiring_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Cooperative"),
            _("Product"),
            _("Kind"),
            _("OCOP stars"),
            _("Certificate number"),
            _("Issued by"),
            _("Date of issue"),
            _("No longer valid from"),
            _("Verified"),
        ]
    )
    for group in service.expiring():
        for cert in group.certificates:
            writer.writerow(
                [
                    safe_cell(group.cooperative.name),
                    safe_cell(cert.product.name if cert.product else ""),
                    safe_cell(service.label(cert)),
                    cert.ocop_stars or "",
                    safe_cell(cert.number),
                    safe_cell(cert.issuer),
                    cert.issued_on.isoformat(),
                    cert.expires_on.isoformat() if cert.expires_on else "",
                    _("yes") if cert.verified_at else _("no"),
                ]
            )
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=certificates-expiring.csv"},
    )


KINDS = CertificateKind
