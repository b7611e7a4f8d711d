"""People and the agencies they work for."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.cooperatives.models import Cooperative


class Role(str, enum.Enum):
    CUSTOMER = "customer"
    COOPERATIVE_MANAGER = "cooperative_manager"
    AGENCY_STAFF = "agency_staff"
    ADMIN = "admin"


class AgencyKind(str, enum.Enum):
    YOUTH_UNION = "youth_union"
    COOPERATIVE_ALLIANCE = "cooperative_alliance"
    OTHER = "other"


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[list[User]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.name!r}>"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 random bits


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are compared case-insensitively: they are stored lower-cased, and
        # the database refuses anything else so the unique constraint means what it says.
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.CUSTOMER)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session and remember-me cookie (get_id); a new one ends them all (end_sessions).
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)

    agency: Mapped[Agency | None] = relationship(back_populates="staff")
    cooperatives: Mapped[list[Cooperative]] = relationship(
        secondary="cooperative_managers", back_populates="managers", order_by="Cooperative.name"
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agency_staff(self) -> bool:
        return self.role in (Role.AGENCY_STAFF, Role.ADMIN)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id and the
        session token, so cookies made before the token changed no longer sign anyone in."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Sign this user out everywhere: every session and remember-me cookie stops working."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can_manage(self, cooperative: Cooperative) -> bool:
        """Managers act for their own cooperatives only; admins for all."""
        return self.is_admin or any(c.id == cooperative.id for c in self.cooperatives)

    def __repr__(self) -> str:
        return f"<User {self.email!r} {self.role.value}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API's staff endpoints (`marketplace tokens create`).
    Only its SHA-256 is stored; the token itself is shown once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # the first characters, to tell tokens apart
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… user={self.user_id}>"


class SavedAddress(HasAddress, db.Model):
    """A customer's delivery address, kept for the next checkout; one of them is the default
    (accounts.addresses keeps it so; the partial unique index refuses a second one)."""

    __tablename__ = "saved_addresses"
    __table_args__ = (
        sa.Index(
            "ux_saved_addresses_one_default_per_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(40), default="")  # "Nhà", "Cơ quan"
    recipient_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20))  # normalised: 0912345678
    province_code: Mapped[int]
    ward_code: Mapped[int]
    street: Mapped[str] = mapped_column(sa.String(200))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SavedAddress {self.id} user={self.user_id}{' default' if self.is_default else ''}>"


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()
