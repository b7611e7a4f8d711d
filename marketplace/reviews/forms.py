"""The buyer's review, the cooperative's reply and the staff's reason for hiding."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.reviews.models import MAX_REASON, MAX_REPLY, MAX_TEXT


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _rating(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReviewForm(FlaskForm):
    rating = RadioField(
        _l("Your rating"),
        choices=[
            (5, _l("5 stars: excellent")),
            (4, _l("4 stars: good")),
            (3, _l("3 stars: fair")),
            (2, _l("2 stars: poor")),
            (1, _l("1 star: very poor")),
        ],
        coerce=_rating,
        validators=[InputRequired(_l("Choose from 1 to 5 stars."))],
    )
    text = TextAreaField(
        _l("Your review (optional)"),
        filters=[strip],
        validators=[Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))],
    )
    photos = MultipleFileField(_l("Photos (up to 3: JPEG, PNG, WebP or GIF)"))

    def uploads(self) -> list:
        return [f for f in self.photos.data or [] if getattr(f, "filename", "")]


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Your public reply"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write your reply.")),
            Length(max=MAX_REPLY, message=_l("At most %(max)d characters.")),
        ],
    )


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to the author)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give a reason for hiding this review.")),
            Length(max=MAX_REASON, message=_l("At most %(max)d characters.")),
        ],
    )
