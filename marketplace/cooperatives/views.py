from flask import Blueprint

bp = Blueprint("cooperatives", __name__, url_prefix="/cooperatives")
