"""Payments: Stripe card payments and refunds, VietQR bank transfers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Offer bank transfer and card at the checkout, after cash on delivery (orders.payment_methods)."""
    from marketplace.orders import payment_methods
    from marketplace.payments.bank_transfer import BankTransfer
    from marketplace.payments.card import Card

    payment_methods.register(app, BankTransfer())
    payment_methods.register(app, Card())
