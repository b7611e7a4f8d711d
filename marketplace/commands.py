"""Command groups added to the `marketplace` CLI (besides Flask's run/routes/shell and `db`)."""

from __future__ import annotations


def COMMANDS():  # noqa: N802
    from marketplace.accounts.commands import tokens, users
    from marketplace.catalog.commands import products
    from marketplace.cooperatives.commands import cooperatives
    from marketplace.core.cache_commands import cache_group
    from marketplace.demo.commands import demo
    from marketplace.mail.commands import mail
    from marketplace.orders.commands import orders
    from marketplace.promotion.commands import promotion
    from marketplace.search.commands import search
    from marketplace.traceability.certificate_commands import certificates

    return [users, tokens, cooperatives, products, demo, search, orders, mail, promotion, cache_group, certificates]
