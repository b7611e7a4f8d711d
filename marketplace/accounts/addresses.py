"""A customer's saved delivery addresses: add, edit, delete, choose the default.

A customer keeps at most MAX_ADDRESSES; when they have any, exactly one is the default
(the first one added; another takes over when the default is deleted). Checkout fills its
form from the default, or from the one the customer picks, and saves a new address for
them when they ask (`remember_address`).

Like every service: validate, change rows, flush, raise Refused naming the field; never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import SavedAddress, User
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.phone import InvalidPhone, normalise_vn_phone
from marketplace.core.routing import MAX_ID
from marketplace.extensions import db

MAX_ADDRESSES = 10
LABEL_MAX = 40
NAME_MAX = 120
STREET_MAX = 200


@dataclass
class AddressData:
    """What a person typed; `clean()` checks it and returns the values to store."""

    recipient_name: str = ""
    phone: str = ""
    province_code: int | None = None
    ward_code: int | None = None
    street: str = ""
    label: str = ""

    def clean(self) -> dict:
        label = (self.label or "").strip()
        name = (self.recipient_name or "").strip()
        street = (self.street or "").strip()
        if len(label) > LABEL_MAX:
            raise Refused(_("The label is too long (at most %(max)d characters).", max=LABEL_MAX), field="label")
        if not name:
            raise Refused(_("Enter the recipient's name."), field="recipient_name")
        if len(name) > NAME_MAX:
            raise Refused(_("The name is too long."), field="recipient_name")
        try:
            phone = normalise_vn_phone(self.phone or "")
        except InvalidPhone:
            raise Refused(
                _("Enter a Vietnamese mobile number, for example 0912 345 678 or +84 912 345 678."), field="phone"
            ) from None
        province, ward = geo.check_place(
            _code(self.province_code), _code(self.ward_code), required=True, messages=geo.ADDRESS_MESSAGES
        )
        if not street:
            raise Refused(_("Enter the street address."), field="street")
        if len(street) > STREET_MAX:
            raise Refused(_("The street address is too long."), field="street")
        return {
            "label": label,
            "recipient_name": name,
            "phone": phone,
            "province_code": province,
            "ward_code": ward,
            "street": street,
        }


def _code(value) -> int | None:
    """A province or ward code as typed or chosen; None for anything that cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 10:
            return None
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


# --- reading -----------------------------------------------------------------------------------


def addresses_of(user: User) -> list[SavedAddress]:
    """The customer's addresses, the default first, then the oldest first."""
    return list(
        db.session.scalars(
            sa.select(SavedAddress)
            .where(SavedAddress.user_id == user.id)
            .order_by(SavedAddress.is_default.desc(), SavedAddress.id)
        )
    )


def address_of(user: User, address_id) -> SavedAddress | None:
    """The customer's own address with that id; None for anyone else's, or no such id."""
    address_id = _code(address_id)
    if address_id is None:
        return None
    return db.session.scalar(
        sa.select(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.user_id == user.id)
    )


def default_address(user: User) -> SavedAddress | None:
    return db.session.scalar(
        sa.select(SavedAddress).where(SavedAddress.user_id == user.id, SavedAddress.is_default.is_(True))
    )


def _count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(SavedAddress.id)).where(SavedAddress.user_id == user.id))


# --- changing ----------------------------------------------------------------------------------


def add_address(user: User, data: AddressData, *, make_default: bool = False) -> SavedAddress:
    """Keep a new address; the customer's first becomes their default."""
    values = data.clean()
    if _count(user) >= MAX_ADDRESSES:
        raise Refused(
            _("You can keep at most %(max)d addresses. Delete one you no longer use first.", max=MAX_ADDRESSES)
        )
    first = default_address(user) is None
    address = SavedAddress(user_id=user.id, is_default=False, **values)
    db.session.add(address)
    db.session.flush()
    if first or make_default:
        set_default(address)
    return address


def edit_address(address: SavedAddress, data: AddressData, *, make_default: bool = False) -> SavedAddress:
    values = data.clean()
    for name, value in values.items():
        setattr(address, name, value)
    db.session.flush()
    if make_default:
        set_default(address)
    return address


def set_default(address: SavedAddress) -> None:
    """Make this the customer's default (and no other)."""
    if address.is_default:
        return
    # The old default is cleared and flushed first: the unique index allows one default per
    # customer at every moment, and the unit of work would not order the two updates for us.
    db.session.execute(
        sa.update(SavedAddress)
        .where(SavedAddress.user_id == address.user_id, SavedAddress.is_default.is_(True))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    address.is_default = True
    db.session.flush()


def delete_address(address: SavedAddress) -> None:
    """Forget the address; when it was the default, the oldest remaining one takes over."""
    user_id, was_default = address.user_id, address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        successor = db.session.scalar(
            sa.select(SavedAddress).where(SavedAddress.user_id == user_id).order_by(SavedAddress.id).limit(1)
        )
        if successor is not None:
            successor.is_default = True
            db.session.flush()


def remember_address(user: User, data: AddressData) -> SavedAddress | None:
    """After a checkout: keep the address it was sent to, unless the customer has it already
    (same recipient, phone, ward and street) or keeps as many as allowed. Never refuses: the
    order has been placed with these values, an address book that cannot take them is no error."""
    try:
        values = data.clean()
    except Refused:
        return None
    for kept in addresses_of(user):
        if (kept.recipient_name, kept.phone, kept.ward_code, kept.street.casefold()) == (
            values["recipient_name"],
            values["phone"],
            values["ward_code"],
            values["street"].casefold(),
        ):
            return None
    if _count(user) >= MAX_ADDRESSES:
        return None
    return add_address(user, AddressData(**values))


def can_add(user: User) -> bool:
    return _count(user) < MAX_ADDRESSES


__all__ = [
    "MAX_ADDRESSES",
    "AddressData",
    "add_address",
    "address_of",
    "addresses_of",
    "can_add",
    "default_address",
    "delete_address",
    "edit_address",
    "remember_address",
    "set_default",
]
