from flask import Blueprint

bp = Blueprint("listings", __name__, url_prefix="/workspace/<coop_slug>/products")
