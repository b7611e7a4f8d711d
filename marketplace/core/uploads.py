"""What one person's uploads may cost: files per request, files per hour.

Every uploaded picture is decoded to be checked and re-encoded (core.images), which costs
time and memory in proportion to its pixels; core.images bounds those per picture
(MAX_IMAGE_MEGAPIXELS, read from the header before decoding). Here, before any view runs,
whatever the page: a request carrying more than MAX_FILES_PER_REQUEST files is answered 413,
and one person (the signed-in account, else the client address) may send
UPLOAD_FILES_PER_HOUR files an hour, then 429. A limit of 0 turns it off.

The files are counted, and the count committed, before the view reads them: a batch the
view then refuses (one damaged file among ten) counts all the same, as its pictures were
decoded all the same.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from marketplace.core import throttle
from marketplace.core.errors import api_error, wants_json

logger = logging.getLogger(__name__)

UPLOADS = throttle.Limit("upload_file", "UPLOAD_FILES_PER_HOUR", "UPLOAD_WINDOW_MINUTES")


def sent_files() -> list[FileStorage]:
    """The files of this request (a file input left empty sends a part with no name: not a file)."""
    return [upload for _name, upload in request.files.items(multi=True) if upload.filename]


def uploader_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return throttle.client_key()


def spend_budget(key: str, files: int) -> bool:
    """Count `files` uploads against the hourly budget of `key` in one atomic step (parallel
    requests cannot overshoot it); False, counting nothing, when they do not all fit."""
    return bool(throttle.take(UPLOADS, key, amount=files))


def bound_upload_cost():
    files = sent_files()
    if not files:
        return None
    most = current_app.config["MAX_FILES_PER_REQUEST"]
    if 0 < most < len(files):
        logger.info("Refused %s files in one request to %s", len(files), request.path)
        return _refuse(
            413,
            _("Too many files"),
            ngettext(
                "At most %(num)s file can be sent at once, and this form sent %(sent)s. Send them a few at a time.",
                "At most %(num)s files can be sent at once, and this form sent %(sent)s. Send them a few at a time.",
                most,
                sent=len(files),
            ),
        )
    key = uploader_key()
    if not spend_budget(key, len(files)):
        logger.warning("Upload budget used up for %s on %s", key, request.path)
        return _refuse(
            429,
            _("Too many files this hour"),
            _(
                "You have sent the most files allowed in an hour (%(count)s). Please try again later.",
                count=UPLOADS.most,
            ),
        )
    # Counted apart from the request (throttle.take commits at once): kept even when the view
    # refuses the files, which were read and decoded all the same.
    return None


def _refuse(status: int, title: str, message: str):
    if wants_json():
        return api_error(status, message)
    return render_template(f"errors/{status}.html", title=title, message=message), status


def init_app(app) -> None:
    app.before_request(bound_upload_cost)
