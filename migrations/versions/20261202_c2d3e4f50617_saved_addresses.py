"""saved addresses: a customer's delivery addresses, one of them the default

Revision ID: c2d3e4f50617
Revises: b1c2d3e4f506
Create Date: 2026-12-02 14:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "c2d3e4f50617"
down_revision = "b1c2d3e4f506"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("recipient_name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_addresses_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_addresses")),
    )
    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_addresses_user_id"), ["user_id"], unique=False)
        # At most one default address per customer.
        batch_op.create_index(
            "ux_saved_addresses_one_default_per_user",
            ["user_id"],
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        )


def downgrade():
    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.drop_index("ux_saved_addresses_one_default_per_user")
        batch_op.drop_index(batch_op.f("ix_saved_addresses_user_id"))

    op.drop_table("saved_addresses")
