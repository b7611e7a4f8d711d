"""products: a cooperative's SKUs unique ignoring case (a unique index on cooperative_id, lower(sku))

The import and the product form already refuse "abc-1" next to "ABC-1"; the index makes it
hold whatever writes the rows. Products that already clash must be told apart by hand first:
the upgrade names them and stops, changing nothing.

Revision ID: d524bf028d64
Revises: 1436cd3f62ec
Create Date: 2026-12-03 03:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "d524bf028d64"
down_revision = "1436cd3f62ec"
branch_labels = None
depends_on = None

INDEX = "uq_products_cooperative_id_lower_sku"

CLASHES = sa.text(
    "SELECT cooperatives.slug, products.sku FROM products"
    " JOIN cooperatives ON cooperatives.id = products.cooperative_id"
    " WHERE EXISTS (SELECT 1 FROM products AS other"
    " WHERE other.cooperative_id = products.cooperative_id"
    " AND lower(other.sku) = lower(products.sku) AND other.id <> products.id)"
    " ORDER BY cooperatives.slug, lower(products.sku), products.sku"
)


class DuplicateSkus(RuntimeError):
    pass


def upgrade():
    clashes = op.get_bind().execute(CLASHES).all()
    if clashes:
        listed = "; ".join(f"{slug}: {sku}" for slug, sku in clashes[:50])
        more = f" (and {len(clashes) - 50} more)" if len(clashes) > 50 else ""
        raise DuplicateSkus(
            f"{len(clashes)} products have a SKU that another product of their cooperative has in other"
            f" capital and small letters: {listed}{more}. Change those SKUs so they differ by more than"
            " their case, then upgrade again."
        )
    op.create_index(INDEX, "products", ["cooperative_id", sa.text("lower(sku)")], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="products")
