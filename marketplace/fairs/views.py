"""Public fair pages: upcoming, ongoing and past fairs, a fair's booth directory, a booth."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fairs", __name__, url_prefix="/fairs")
