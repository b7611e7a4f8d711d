"""Who may work on a cooperative: the access check of every workspace page, in every feature."""

from __future__ import annotations

import logging

from flask import abort, send_file
from flask_login import current_user
from sqlalchemy import select

from marketplace.cooperatives import services
from marketplace.cooperatives.models import Cooperative, CooperativeDocument
from marketplace.extensions import db

logger = logging.getLogger(__name__)


def managed_cooperative(slug: str, *, edit: bool = False) -> Cooperative:
    """The cooperative at `slug` if the signed-in person manages it: 404 unknown, 403 not theirs.

    With `edit`, a suspended or refused cooperative is refused too (managers may still look at it);
    the caller turns that into a clear message via SuspendedCooperative.
    """
    cooperative = db.first_or_404(select(Cooperative).where(Cooperative.slug == slug))
    if not current_user.can_manage(cooperative):
        logger.warning("User %s refused access to cooperative %s", current_user.id, slug)
        abort(403)
    if edit and not services.can_edit(current_user, cooperative):
        raise SuspendedCooperative(cooperative)
    return cooperative


class SuspendedCooperative(Exception):
    def __init__(self, cooperative: Cooperative):
        super().__init__(cooperative.slug)
        self.cooperative = cooperative


def send_document(cooperative: Cooperative, document_id: int):
    """Download a file of `cooperative`'s answers to the agency: 404 unless it is one of them,
    403 unless the signed-in person is agency staff, an admin or one of its managers (the views
    check their own audience first)."""
    document = db.session.get(CooperativeDocument, document_id)
    if document is None or document.change.cooperative_id != cooperative.id:
        abort(404)
    if not services.may_download_document(current_user, cooperative):
        abort(403)
    path = services.document_path(document)
    if not path.is_file():
        logger.error("Cooperative document %s is missing", document.stored_name)
        abort(404)
    response = send_file(
        path, mimetype=document.content_type, as_attachment=True, download_name=document.original_filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
