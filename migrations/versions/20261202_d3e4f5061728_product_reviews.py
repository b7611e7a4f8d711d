"""product reviews: verified buyers' ratings, photos, the cooperative's reply, moderation

Revision ID: d3e4f5061728
Revises: c2d3e4f50617
Create Date: 2026-12-02 14:01:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3e4f5061728'
down_revision = 'c2d3e4f50617'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
