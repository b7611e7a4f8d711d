"""What an order is credited to: the fair or booth whose QR code, or the promotion activity
whose tracking link, brought the customer shortly before ordering.

Orders record the credit (Order.source_fair_id, source_booth_id, source_activity_id) but do
not know fairs or promotion, a layer above. Each registers a kind of source here when the
app starts (fairs.init_app, promotion.init_app): a function that takes what the browser
carries (a fairs.attribution.Source) and answers what an order would be credited to, checked
(a fair gone or still a draft, an activity deleted: nothing), or None when the source is not
of its kind. The checkout names the credit, place_order stores its columns, and the fairs'
results and promotion's reports read those columns back. Attribution never changes prices
or who may buy. Order.source_fair, source_booth and source_activity are mapped by the
packages that own what they point at (fairs.models, promotion.models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Credit:
    kind: str  # the kind of source that resolved it: "fair", "activity"
    target: object  # what the checkout names: (fair, booth or None) or the activity
    columns: dict[str, int | None]  # the Order columns that record it


_kinds: dict[str, Callable[[object], Credit | None]] = {}
_readers: list[Callable[[], object]] = []


def register(kind: str, resolve: Callable[[object], Credit | None]) -> None:
    """Called from the owning package's init_app (create_app); registering again replaces."""
    _kinds[kind] = resolve


def register_reader(read: Callable[[], object]) -> None:
    """How to read the source this browser carries (fairs: its attribution cookie); once."""
    if read not in _readers:
        _readers.append(read)


def current_source():
    """The source the current request carries, or None (no reader registered: no credit)."""
    for read in _readers:
        found = read()
        if found is not None:
            return found
    return None


def credit(source) -> Credit | None:
    """What an order placed with `source` is credited to, or None."""
    if source is None:
        return None
    for resolve in _kinds.values():
        found = resolve(source)
        if found is not None:
            return found
    return None


def credited(source, kind: str):
    """The target of `source`'s credit when it is of `kind`, or None: `kind` alone is asked."""
    resolve = _kinds.get(kind)
    found = resolve(source) if resolve is not None and source is not None else None
    return found.target if found is not None else None
