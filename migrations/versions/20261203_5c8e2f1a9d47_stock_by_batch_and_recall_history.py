"""traceability: stock by batch, which batch each unit went to, a batch's history

batches.stock: units of the lot still on sale (the product's stock is the sum over its batches not
recalled); products.stock_by_batch marks the products whose stock is kept that way. batch_allocations:
units of a batch taken by an order item or an on-site sale. batch_events: a batch's recall, the
notices sent to customers, stock changed by hand.

Existing batches (recorded before stock was kept by batch): the product's stock is spread over its
batches not recalled, newest first (what is left on the shelf is most likely the latest lot), each
up to its quantity; the product's stock becomes what the batches hold.

Revision ID: 5c8e2f1a9d47
Revises: 2459d7a52bdf
Create Date: 2026-12-03 12:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c8e2f1a9d47"
down_revision = "2459d7a52bdf"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch rebuild of products on SQLite would drop its lower(sku) index.
    op.add_column("products", sa.Column("stock_by_batch", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_stock_within_quantity"), "stock >= 0 AND stock <= quantity"
        )
    op.create_table(
        "batch_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("on_site_sale_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(order_item_id IS NULL) <> (on_site_sale_id IS NULL)", name=op.f("ck_batch_allocations_one_receiver")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_batch_allocations_quantity_positive")),
        sa.CheckConstraint(
            "returned >= 0 AND returned <= quantity", name=op.f("ck_batch_allocations_returned_within_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_allocations_batch_id_batches"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["on_site_sale_id"],
            ["on_site_sales.id"],
            name=op.f("fk_batch_allocations_on_site_sale_id_on_site_sales"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_batch_allocations_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_allocations")),
    )
    with op.batch_alter_table("batch_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_allocations_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_allocations_on_site_sale_id"), ["on_site_sale_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_allocations_order_item_id"), ["order_item_id"], unique=False)
    op.create_table(
        "batch_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "recalled",
                "notice_sent",
                "notice_failed",
                "stock_changed",
                name="batcheventkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_events_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_batch_events_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_batch_events_order_id_orders"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_events")),
    )
    with op.batch_alter_table("batch_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_events_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_events_order_id"), ["order_id"], unique=False)
    _spread_existing_stock()


def _spread_existing_stock():
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT b.id, b.product_id, b.quantity, p.stock FROM batches b JOIN products p ON p.id = b.product_id"
            " WHERE b.recalled_at IS NULL ORDER BY b.product_id, b.produced_on DESC, b.id DESC"
        )
    ).all()
    left: dict[int, int] = {}
    for batch_id, product_id, quantity, product_stock in rows:
        left.setdefault(product_id, product_stock)
        units = min(quantity, left[product_id])
        left[product_id] -= units
        if units:
            connection.execute(sa.text("UPDATE batches SET stock = :s WHERE id = :id"), {"s": units, "id": batch_id})
    connection.execute(
        sa.text("UPDATE products SET stock_by_batch = :yes WHERE id IN (SELECT product_id FROM batches)"),
        {"yes": True},
    )
    connection.execute(
        sa.text(
            "UPDATE products SET stock = (SELECT COALESCE(SUM(b.stock), 0) FROM batches b"
            " WHERE b.product_id = products.id AND b.recalled_at IS NULL) WHERE stock_by_batch = :yes"
        ),
        {"yes": True},
    )


def downgrade():
    with op.batch_alter_table("batch_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_events_order_id"))
        batch_op.drop_index(batch_op.f("ix_batch_events_batch_id"))
    op.drop_table("batch_events")
    with op.batch_alter_table("batch_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_allocations_order_item_id"))
        batch_op.drop_index(batch_op.f("ix_batch_allocations_on_site_sale_id"))
        batch_op.drop_index(batch_op.f("ix_batch_allocations_batch_id"))
    op.drop_table("batch_allocations")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_batches_stock_within_quantity"), type_="check")
        batch_op.drop_column("stock")
    op.drop_column("products", "stock_by_batch")
