"""Short links /f/<code> printed as QR codes on fair and booth posters, and the posters."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fair_links", __name__)
