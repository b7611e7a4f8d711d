"""Helpers for account tests: pages are read in English so assertions do not depend on the catalogue."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


def use_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def sign_in(client, email: str, password: str = PASSWORD, **fields):
    return client.post("/account/login", data={"email": email, "password": password, **fields})


def sign_in_as(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def en_client(client):
    use_english(client)
    return client
