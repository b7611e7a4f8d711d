"""Agency staff run fairs: create, edit, open applications, publish, close; decide on booths."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fair_agency", __name__, url_prefix="/agency/fairs")
