"""Every feature's blueprints, registered by create_app()."""

from __future__ import annotations


def BLUEPRINTS():  # noqa: N802 - reads like the constant list it is
    from marketplace.accounts import admin_views as accounts_admin
    from marketplace.accounts import views as accounts
    from marketplace.api import views as api
    from marketplace.catalog import agency_views as categories
    from marketplace.catalog import cooperative_views as cooperatives
    from marketplace.catalog import media
    from marketplace.catalog import views as catalog
    from marketplace.catalog import workspace_views as listings
    from marketplace.cooperatives import agency_views as agency
    from marketplace.cooperatives import workspace_views as workspace
    from marketplace.fairs import agency_views as fair_agency
    from marketplace.fairs import booth_app_views as booth_app
    from marketplace.fairs import booth_signin_views as booth_signin
    from marketplace.fairs import booth_sync_views as booth_sync
    from marketplace.fairs import link_views as fair_links
    from marketplace.fairs import onsite_views as fair_onsite
    from marketplace.fairs import results_views as fair_results
    from marketplace.fairs import views as fairs
    from marketplace.fairs import workspace_views as fair_workspace
    from marketplace.orders import views as orders
    from marketplace.orders import workspace_views as order_workspace
    from marketplace.payments import views as payments
    from marketplace.program import admin_views as program_admin
    from marketplace.program import views as program
    from marketplace.promotion import report_views as promotion_reports
    from marketplace.promotion import views as promotion
    from marketplace.promotion import workspace_views as promotion_workspace
    from marketplace.reviews import views as reviews
    from marketplace.search import views as search
    from marketplace.traceability import batch_views as batches
    from marketplace.traceability import certificate_views, recall_views
    from marketplace.traceability import trace_views as trace

    return [
        catalog.bp,
        media.bp,
        accounts.bp,
        accounts_admin.bp,
        cooperatives.bp,
        workspace.bp,
        listings.bp,
        agency.bp,
        categories.bp,
        api.bp,
        search.bp,
        orders.bp,
        order_workspace.bp,
        payments.bp,
        fairs.bp,
        fair_agency.bp,
        fair_workspace.bp,
        fair_links.bp,
        fair_onsite.bp,
        fair_results.bp,
        booth_app.bp,
        booth_signin.bp,
        booth_sync.bp,
        promotion.bp,
        promotion_workspace.bp,
        promotion_reports.bp,
        program.bp,
        program.public_bp,
        program_admin.bp,
        reviews.bp,
        reviews.workspace_bp,
        reviews.agency_bp,
        certificate_views.bp,
        certificate_views.agency_bp,
        batches.bp,
        recall_views.bp,
        recall_views.agency_bp,
        trace.bp,
    ]
