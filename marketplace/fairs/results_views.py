"""Fair results for agency staff (every booth) and for a cooperative (its own booth), with CSV."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fair_results", __name__)
