"""cooperatives: two more statuses, needs_documents and refused (issue 16)

The status stays text; only the CHECKs listing the allowed values change, on the
cooperative and on both ends of its status history. SQLite cannot alter a CHECK: the
batch copies the table (env.py turns foreign keys off around it).

Revision ID: 5e7a1c9d2b40
Revises: d524bf028d64
Create Date: 2026-12-03 04:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "5e7a1c9d2b40"
down_revision = "d524bf028d64"
branch_labels = None
depends_on = None

OLD = ("pending", "approved", "suspended")
NEW = OLD + ("needs_documents", "refused")

# (table, CHECK name in the models, column)
CHECKS = (
    ("cooperatives", "cooperativestatus", "status"),
    ("cooperative_status_changes", "from_status", "from_status"),
    ("cooperative_status_changes", "to_status", "to_status"),
)


def _replace_checks(values):
    for table in ("cooperatives", "cooperative_status_changes"):
        checks = [(name, column) for t, name, column in CHECKS if t == table]
        if op.get_bind().dialect.name == "sqlite":
            with op.batch_alter_table(table, recreate="always") as batch_op:
                for name, column in checks:
                    batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
                    batch_op.create_check_constraint(name, sa.text(_check(column, values)))
        else:
            for name, column in checks:
                op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
                op.create_check_constraint(name, table, sa.text(_check(column, values)))


def _check(column, values):
    return "%s IN (%s)" % (column, ", ".join(f"'{v}'" for v in values))


def upgrade():
    _replace_checks(NEW)


def downgrade():
    # Refused and needs-documents cooperatives become pending again: the agency reviews them.
    op.execute("UPDATE cooperatives SET status = 'pending' WHERE status IN ('needs_documents', 'refused')")
    op.execute(
        "DELETE FROM cooperative_status_changes"
        " WHERE from_status IN ('needs_documents', 'refused') OR to_status IN ('needs_documents', 'refused')"
    )
    _replace_checks(OLD)
