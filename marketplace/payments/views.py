"""Card payment page and the Stripe webhook."""
from flask import Blueprint

bp = Blueprint("payments", __name__)
