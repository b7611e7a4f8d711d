import click
from flask.cli import AppGroup

cooperatives = AppGroup("cooperatives", help="Manage cooperatives.")
