"""What the storefront's cache depends on, declared in one place.

Public pages are cached under the storefront's content version (core.content_version):
a commit that changes one of the models below writes a new version. The owners of the
data that pages show are listed here rather than in core, which knows no feature.
"""

from __future__ import annotations

from flask import session

from marketplace.core import cache, content_version, page_cache


def init_app(app) -> None:
    from marketplace.catalog import pricing
    from marketplace.catalog.models import Category, Product, ProductImage
    from marketplace.cooperatives.models import Cooperative
    from marketplace.fairs.models import Booth, BoothProduct, Fair
    from marketplace.orders import cart
    from marketplace.reviews.models import Review, ReviewPhoto
    from marketplace.traceability import certificates
    from marketplace.traceability.models import Batch, Certificate

    cache.configure(app)
    content_version.init_app(app)
    page_cache.init_app(app)

    # Exact stock shows on a product's own page (keyed by it) and in the API (filled per
    # request); lists show only its band (out, 1..5 left, in stock).
    content_version.watch(Product, ignore=("updated_at",), stock="stock")
    content_version.watch(ProductImage)
    content_version.watch(Category)
    content_version.watch(Cooperative, ignore=("updated_at",))
    content_version.watch(Fair)
    content_version.watch(Booth)
    content_version.watch(BoothProduct)
    content_version.watch(Review)
    content_version.watch(ReviewPhoto)
    content_version.watch(Certificate, ignore=("updated_at",))
    content_version.register_time_boundaries(certificates.expiry_instants)  # certificates expire at midnight
    content_version.watch(Batch, ignore=("updated_at",))  # the products API lists open batches
    content_version.register_time_boundaries(pricing.change_instants)  # fair prices start and end
    page_cache.register_visitor_state(lambda: bool(session.get(cart.SESSION_KEY)))
