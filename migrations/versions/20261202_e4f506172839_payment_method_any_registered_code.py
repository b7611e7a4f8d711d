"""orders.payment_method: the code of any registered payment method (no CHECK listing three)

The payment-method registry (marketplace.orders.payment_methods) decides which codes an
order may have: a new method is a module registering itself, without a migration.

Revision ID: e4f506172839
Revises: d3e4f5061728
Create Date: 2026-12-02 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "e4f506172839"
down_revision = "d3e4f5061728"
branch_labels = None
depends_on = None


CHECK = "payment_method IN ('card', 'cod', 'bank_transfer')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":  # SQLite cannot drop a CHECK: the batch copies the table
        with op.batch_alter_table("orders", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_orders_paymentmethod"), type_="check")
    else:
        op.drop_constraint(op.f("ck_orders_paymentmethod"), "orders", type_="check")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("orders", recreate="always") as batch_op:
            batch_op.create_check_constraint("paymentmethod", sa.text(CHECK))
    else:
        op.create_check_constraint("paymentmethod", "orders", sa.text(CHECK))
