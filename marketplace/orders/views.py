"""Customer-facing cart, checkout and order pages."""
from flask import Blueprint

bp = Blueprint("orders", __name__)
