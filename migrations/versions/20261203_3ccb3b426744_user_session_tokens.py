"""users.session_token: part of every session and remember-me cookie, so they can be revoked

Each existing user gets a random token of their own. Cookies made before this migration hold
the id alone and sign nobody in any more: everyone signs in once again.

Revision ID: 3ccb3b426744
Revises: 7a3c51e09b2d
Create Date: 2026-12-03 03:30:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = "3ccb3b426744"
down_revision = "7a3c51e09b2d"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_token", sa.String(64)))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(users.c.id)).scalars().all()
    for user_id in ids:  # one random token each (the same default for all would be guessable)
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_token")
