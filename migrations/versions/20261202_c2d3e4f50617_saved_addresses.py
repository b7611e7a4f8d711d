"""saved addresses: a customer's delivery addresses, one of them the default

Revision ID: c2d3e4f50617
Revises: b1c2d3e4f506
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c2d3e4f50617'
down_revision = 'b1c2d3e4f506'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
