"""The Vietnamese banks that receive VietQR transfers: BINs and short names.

From the maintained `vietnam-qr-pay` package (its bank list), read on first use. Reference
data like core.geo: a cooperative picks its bank from it (cooperatives.forms), the bank
transfer payment names it (payments.vietqr).
"""

from __future__ import annotations

from functools import lru_cache

from marketplace.core.text import fold_accents


def banks() -> list[tuple[str, str]]:
    """(BIN, short name) of the banks that receive VietQR transfers, by name, for a select."""
    return sorted(_banks().items(), key=lambda item: item[1].casefold())


def bank_name(bin_: str | None) -> str:
    """The bank's short name ("Vietcombank"), or the BIN itself if we do not know it."""
    return _banks().get(bin_ or "", bin_ or "")


def is_known_bank(bin_: str | None) -> bool:
    return (bin_ or "") in _banks()


def normalise_account_name(name: str) -> str:
    """'Hợp tác xã  Mật ong' -> 'HOP TAC XA MAT ONG', as banks print account holders."""
    return " ".join(fold_accents(name).upper().split())


@lru_cache(maxsize=1)
def _banks() -> dict[str, str]:
    """{BIN: short name} of the banks that receive VietQR transfers."""
    from vietnam_qr_pay import BanksObject

    found: dict[str, str] = {}
    for bank in BanksObject.values():
        if bank.bin and not bank.deprecated and bank.viet_qr_status >= 0:
            found.setdefault(bank.bin, bank.short_name)
    return found
