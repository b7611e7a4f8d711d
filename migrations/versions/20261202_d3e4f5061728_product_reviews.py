"""product reviews: verified buyers' ratings, photos, the cooperative's reply, moderation

Revision ID: d3e4f5061728
Revises: c2d3e4f50617
Create Date: 2026-12-02 14:01:00

"""

from alembic import op
import sqlalchemy as sa


revision = "d3e4f5061728"
down_revision = "c2d3e4f50617"
branch_labels = None
depends_on = None

# Units already sold: every part delivered or completed so far (tests/reviews runs it too).
BACKFILL_UNITS_SOLD = (
    "UPDATE products SET units_sold = ("
    " SELECT COALESCE(SUM(order_items.quantity), 0) FROM order_items"
    " JOIN order_parts ON order_parts.id = order_items.part_id"
    " WHERE order_items.product_id = products.id"
    " AND order_parts.status IN ('delivered', 'completed'))"
)


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units_sold", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("rating_sum", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("reply_by_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_reviews_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_reviews_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"], ["users.id"], name=op.f("fk_reviews_hidden_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"], ["order_items.id"], name=op.f("fk_reviews_order_item_id_order_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reviews_product_id_products"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reply_by_id"], ["users.id"], name=op.f("fk_reviews_reply_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_item_id", name=op.f("uq_reviews_order_item_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_reviews_cooperative_id_created_at", ["cooperative_id", "created_at"], unique=False)
        batch_op.create_index("ix_reviews_product_id_created_at", ["product_id", "created_at"], unique=False)

    op.create_table(
        "review_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stem", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_photos_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_photos")),
        sa.UniqueConstraint("stem", name=op.f("uq_review_photos_stem")),
    )
    with op.batch_alter_table("review_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_photos_review_id"), ["review_id"], unique=False)

    op.execute(BACKFILL_UNITS_SOLD)


def downgrade():
    with op.batch_alter_table("review_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_photos_review_id"))
    op.drop_table("review_photos")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_product_id_created_at")
        batch_op.drop_index("ix_reviews_cooperative_id_created_at")
        batch_op.drop_index(batch_op.f("ix_reviews_author_id"))
    op.drop_table("reviews")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("rating_sum")
        batch_op.drop_column("rating_count")
        batch_op.drop_column("units_sold")
