"""A joint promotion activity in headless Chromium: Youth Union staff record it with both
agencies as organisers (the ward list fills from the province; a cooperative and its product
found with the checklist's search box), submit it, and Alliance staff approve it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.promotion.models import ActivityStatus, PromotionActivity
from tests import factories as f
from tests.promotion.helpers import build_world

pytestmark = pytest.mark.browser


def _sign_in(browser, url: str, email: str):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/account/login")
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return context, page


def test_one_agency_records_a_joint_activity_and_the_other_approves_it(app, live_server, browser):
    world = build_world()
    f.commit()

    context, page = _sign_in(browser, live_server, world.yu_staff.email)
    page.goto(f"{live_server}/agency/promotion/new")
    page.select_option("#type", "fair_exhibition")
    page.fill("#title", "Hội chợ nông sản phối hợp")
    page.fill("#start_date", "2025-09-05")
    page.fill("#end_date", "2025-09-06")
    page.select_option("#province_code", str(f.BAC_NINH))  # Bắc Ninh
    page.wait_for_selector(f"#ward_code option[value='{f.LUC_NGAN}']", state="attached")
    assert page.locator("#ward_code option").count() > 1
    page.select_option("#ward_code", str(f.LUC_NGAN))
    # The cooperatives' search box hides the ones that do not match (accents ignored).
    page.fill("#cooperative-search", "ga doi")
    assert page.locator(f"li[data-cooperative-id='{world.coop_a.id}']").is_hidden()
    page.check(f"input[name=cooperatives][value='{world.coop_b.id}']")
    page.check(f"input[name=products][value='{world.product_b.id}']")
    page.fill("#cooperative-search", "")
    page.check(f"input[name=agencies][value='{world.youth_union.id}']")
    page.check(f"input[name=agencies][value='{world.alliance.id}']")
    page.locator("#activity-form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/agency/promotion/\d+$"))
    assert "Hoạt động phối hợp" in page.locator("#approvers").inner_text()
    with page.expect_navigation():
        page.locator("form[action$='/submit'] button").click()
    assert "Bạn là người ghi nhận" in page.locator("#approvers").inner_text()
    assert page.locator("form[action$='/approve']").count() == 0
    activity_url = page.url
    context.close()

    context, page = _sign_in(browser, live_server, world.ca_staff.email)
    page.goto(activity_url)
    with page.expect_navigation():
        page.locator("form[action$='/approve'] button").click()
    context.close()

    activity = db.session.scalar(select(PromotionActivity))
    db.session.refresh(activity)
    assert (activity.status, activity.ward_code, activity.decided_by_id) == (
        ActivityStatus.APPROVED,
        f.LUC_NGAN,
        world.ca_staff.id,
    )
    assert {a.id for a in activity.agencies} == {world.youth_union.id, world.alliance.id}
    assert [p.id for p in activity.products] == [world.product_b.id]
