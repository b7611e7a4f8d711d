"""A cooperative applies for booths and keeps its booth's showcased products and fair prices."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fair_workspace", __name__, url_prefix="/workspace/<coop_slug>/fairs")
