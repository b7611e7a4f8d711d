"""Carts, checkout, multi-cooperative orders and their fulfilment."""
