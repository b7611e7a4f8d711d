"""throttle counters: one atomic counter per action and key, instead of a row per attempt

login_attempts and throttled_attempts counted in two steps (count, then add a row), so
parallel requests all passed the count before any was added; throttle_counters is counted
and checked in one statement (core/throttle.py). Counts in progress are not carried over:
at worst a guesser gets a fresh window once, at the upgrade.

Revision ID: 7a3c51e09b2d
Revises: e4f506172839
Create Date: 2026-12-03 03:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7a3c51e09b2d"
down_revision = "e4f506172839"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "throttle_counters",
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("action", "key", name=op.f("pk_throttle_counters")),
    )
    with op.batch_alter_table("throttle_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_counters_window_start"), ["window_start"], unique=False)

    with op.batch_alter_table("throttled_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_throttled_attempts_action_key_created_at")
    op.drop_table("throttled_attempts")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_email"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_created_at"))
    op.drop_table("login_attempts")


def downgrade():
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_email"), ["email"], unique=False)
    op.create_table(
        "throttled_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttled_attempts")),
    )
    with op.batch_alter_table("throttled_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_throttled_attempts_action_key_created_at", ["action", "key", "created_at"], unique=False
        )

    with op.batch_alter_table("throttle_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_counters_window_start"))
    op.drop_table("throttle_counters")
