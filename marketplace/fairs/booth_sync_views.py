"""The booth app's data: the booth's state (products, fair prices, stock) and the offline queue's batch sync."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booth_sync", __name__)
