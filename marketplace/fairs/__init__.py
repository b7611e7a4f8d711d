"""Trade fairs and showcases: booths, fair prices, QR attribution, on-site sales and results."""

from __future__ import annotations

from flask_login import user_logged_in


def read_source():
    """The source this browser carries (looked up when called, so tests may stand in for it)."""
    from marketplace.fairs import attribution

    return attribution.current_source()


def init_app(app) -> None:
    """Fair prices join the catalogue's pricing (catalog.pricing): the storefront, search and
    orders then charge them, and the storefront's pages change when they start and end. A
    scanned fair or booth link credits orders through the orders' source hook (orders.sources)."""
    from marketplace.catalog import pricing as catalog_pricing
    from marketplace.fairs import attribution, pricing
    from marketplace.orders import sources

    catalog_pricing.register_adjuster(
        catalog_pricing.Adjuster(
            name="fairs",
            prices=pricing.fair_prices,
            price_column=pricing.fair_price_column,
            change_instants=pricing.price_change_instants,
        )
    )
    sources.register("fair", attribution.credit)
    # The cookie a scanned link leaves is the fairs' (promotion's tracking links set it too).
    sources.register_reader(read_source)
    # Someone signing in with an account on a phone a booth helper used ends the helper's
    # session there: otherwise it would come back when the account signs out.
    user_logged_in.connect(_end_booth_helper_session, app)


def _end_booth_helper_session(app, user, **extra) -> None:
    from marketplace.fairs.booth_access import sign_out_helper

    sign_out_helper()
