"""The change log that keeps every search index in step with the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db


class SearchChange(db.Model):
    """ "Product `product_id` may have changed": written in the transaction that changed it.

    Each index remembers the highest id it has applied (see index.Meta), so any
    number of processes and servers catch up from this one table. No foreign key:
    the row must outlive a deleted product so the index drops it too.
    """

    __tablename__ = "search_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<SearchChange {self.id} product={self.product_id}>"
