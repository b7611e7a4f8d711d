"""Booth staff record on-site sales from a phone, and void mistakes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fair_onsite", __name__, url_prefix="/workspace/<coop_slug>/fairs")
