import click
from flask.cli import AppGroup

products = AppGroup("products", help="Manage products.")
