"""Payments: Stripe card payments and refunds, VietQR bank transfers."""
