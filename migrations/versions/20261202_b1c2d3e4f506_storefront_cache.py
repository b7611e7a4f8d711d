"""storefront cache: content versions, and indexes for the storefront's filters and sorts

Revision ID: b1c2d3e4f506
Revises: ae5c4f4a8b05
Create Date: 2026-12-02 11:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "b1c2d3e4f506"
down_revision = "ae5c4f4a8b05"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_content_versions")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_category_id_created_at", ["category_id", "created_at"], unique=False)
        batch_op.create_index("ix_products_cooperative_id_created_at", ["cooperative_id", "created_at"], unique=False)
        batch_op.create_index("ix_products_status_price_vnd", ["status", "price_vnd"], unique=False)
        batch_op.create_index("ix_products_is_featured_created_at", ["is_featured", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_is_featured_created_at")
        batch_op.drop_index("ix_products_status_price_vnd")
        batch_op.drop_index("ix_products_cooperative_id_created_at")
        batch_op.drop_index("ix_products_category_id_created_at")
    op.drop_table("content_versions")
