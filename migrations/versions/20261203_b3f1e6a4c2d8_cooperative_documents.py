"""cooperative_documents: photos and PDFs sent with an answer to a request for documents (issue 16)

Revision ID: b3f1e6a4c2d8
Revises: 02cfa7966a28
Create Date: 2026-12-03 07:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "b3f1e6a4c2d8"
down_revision = "02cfa7966a28"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cooperative_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status_change_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_cooperative_documents_size_positive")),
        sa.ForeignKeyConstraint(
            ["status_change_id"],
            ["cooperative_status_changes.id"],
            name=op.f("fk_cooperative_documents_status_change_id_cooperative_status_changes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_cooperative_documents_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_cooperative_documents_stored_name")),
    )
    with op.batch_alter_table("cooperative_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cooperative_documents_status_change_id"), ["status_change_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cooperative_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cooperative_documents_status_change_id"))
    op.drop_table("cooperative_documents")
