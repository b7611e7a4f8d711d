"""A cooperative's orders: list, status actions, packing slips."""
from flask import Blueprint

bp = Blueprint("order_workspace", __name__)
