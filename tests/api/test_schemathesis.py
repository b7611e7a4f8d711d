"""Schemathesis against the API's own OpenAPI document, in this process through the WSGI app,
on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL).

For every operation of /api/v1/openapi.json: cases that follow the document (positive) and
cases that break it (negative), a bounded number each (tests/fuzzing.py: FUZZ_EXAMPLES,
derandomized so a failure reproduces by running again). Every answer must not be a server
error and must be one the document describes: status, content type, headers and body. The
staff report is called with a staff token, so its cases reach past the authentication.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.accounts import api_tokens
from tests.fuzzing import fuzz_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25  # per operation and mode: 13 operations × 2 modes, ~20 s on either engine


@pytest.fixture
def headers(make):
    cooperative = make.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai", offers_pickup=True)
    fruit = make.category("Trái cây", slug="trai-cay")
    for n in range(3):
        make.product(cooperative, fruit, name=f"Vải thiều {n}", stock=1000)
    make.fair()
    staff = make.staff()
    make.commit()
    _, token = api_tokens.create_token(staff)
    make.commit()
    # identity: the WSGI transport would hand the checks a compressed body (Flask-Compress) undecoded.
    return {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_every_operation_keeps_its_document(app, headers, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @fuzz_settings(EXAMPLES)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            call()
        except (Unsatisfiable, FailedHealthCheck):
            # Negative mode of an operation whose every value is valid (a path slug is any
            # string, /provinces takes no parameter): there is nothing to break.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as error:  # noqa: BLE001 - every operation's failure is reported at the end
            notes = "\n".join(getattr(error, "__notes__", []))  # the falsifying case, the reproduce blob
            failures.append(f"{operation.label} ({mode.value}): {error}\n{notes}")
    assert not failures, "\n\n".join(failures)
