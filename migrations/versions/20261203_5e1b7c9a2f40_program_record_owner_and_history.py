"""programme records: an owning agency, and the history of every change and deletion

training_classes and supported_cooperatives get owner_agency_id, the recording agency (its staff
and admins may change or delete the record). Existing rows take the agency of the user who
created them; where that user is unknown (never recorded, or deleted since) or had no agency
(an admin), the owner stays empty and only admins may change the record. program_record_changes holds one line per created record, changed field
and, for a deletion, per field of the record's last state; it has no foreign key to the records
so that the lines outlive them.

Revision ID: 5e1b7c9a2f40
Revises: 5e7a1c9d2b40
Create Date: 2026-12-03 04:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1b7c9a2f40"
down_revision = "5e7a1c9d2b40"
branch_labels = None
depends_on = None

RECORD_TABLES = ("training_classes", "supported_cooperatives")


def upgrade():
    for table in RECORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_agency_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_owner_agency_id"), ["owner_agency_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_owner_agency_id_agencies"),
                "agencies",
                ["owner_agency_id"],
                ["id"],
                ondelete="SET NULL",
            )
        # The creator's agency, when the creator is known and had one.
        op.execute(
            f"UPDATE {table} SET owner_agency_id ="
            f" (SELECT users.agency_id FROM users WHERE users.id = {table}.created_by_id)"
            " WHERE created_by_id IS NOT NULL"
        )

    op.create_table(
        "program_record_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "record_kind",
            sa.Enum(
                "training", "supported", name="programrecordkind", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("record_name", sa.String(length=200), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_program_record_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_program_record_changes_owner_agency_id_agencies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_record_changes")),
    )
    with op.batch_alter_table("program_record_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_record_changes_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index("ix_program_record_changes_record", ["record_kind", "record_id"], unique=False)


def downgrade():
    with op.batch_alter_table("program_record_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_program_record_changes_record")
        batch_op.drop_index(batch_op.f("ix_program_record_changes_changed_at"))
    op.drop_table("program_record_changes")
    for table in RECORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_owner_agency_id_agencies"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_owner_agency_id"))
            batch_op.drop_column("owner_agency_id")
