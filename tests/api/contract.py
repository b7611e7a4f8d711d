"""The API's contract, checked on every call a test makes: each request a test sends to /api/
and each answer it gets are validated against the OpenAPI document the API serves
(marketplace/api/openapi.py), with openapi-core.

The rules, for any call to the API (a route a test adds under /api/ for itself is not checked):
- every answer is one the document describes for that operation: its status, headers and
  body (every field, type, format, enum and bound);
- an answer with a 2xx status is to a request the document allows (parameters, body,
  security): the API never accepts what the document says it refuses;
- a request the document refuses gets a 4xx answer (tests of bad input send such requests
  on purpose, and must get one);
- a path or method the document does not list answers 404 or 405.
A query parameter given empty (`?province=`) is read as one left out, as the document says
in its description (a form with blank fields sends them so).

tests/conftest.py makes every test app's client a ContractClient, so the check runs in every
test, whichever package it is in, without the test asking for it.
"""

from __future__ import annotations

import gzip
import zlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

import brotli
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from marketplace.api.openapi import openapi_document
from marketplace.orders import payment_methods

API_PREFIX = "/api/"
DECODERS = {"gzip": gzip.decompress, "br": brotli.decompress, "deflate": zlib.decompress}


class ContractBroken(AssertionError):
    """The API and its OpenAPI document disagree."""


def app_contract(app: Flask, server_url: str) -> OpenAPI:
    """The document as /api/v1/openapi.json serves it to this host from this app, whose
    payment methods (orders.payment_methods: a test app may register its own) it lists."""
    with app.app_context():
        methods = tuple(type(method) for method in payment_methods.registered())
        return contract(server_url, app.config["PER_PAGE"], methods)


@lru_cache(maxsize=4)
def contract(server_url: str, per_page: int, methods: tuple[type, ...]) -> OpenAPI:
    """The document (checked to be valid OpenAPI 3.1) of an app whose payment methods are of
    these classes; built in that app's context."""
    return OpenAPI.from_dict(openapi_document(server_url, per_page=per_page))


def check_call(openapi: OpenAPI, request: Request, response: Response) -> None:
    """Raise ContractBroken unless the request and its answer keep the contract (rules above)."""
    call = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
    openapi_request = WerkzeugOpenAPIRequest(_as_read(request))
    request_errors = list(openapi.iter_request_errors(openapi_request))
    if any(isinstance(error, PathError) for error in request_errors):
        if response.status_code not in (404, 405):
            raise ContractBroken(f"{call}: not in the OpenAPI document, yet answered")
        return
    if request_errors and response.status_code < 400:
        raise ContractBroken(f"{call}: the API accepted a request the document refuses: {_describe(request_errors)}")
    answer = WerkzeugOpenAPIResponse(_decoded(response))
    response_errors = list(openapi.iter_response_errors(openapi_request, answer))
    if response_errors:
        raise ContractBroken(f"{call}: the answer is not the documented one: {_describe(response_errors)}")


def _describe(errors: list[Exception]) -> str:
    """Each error with the schema errors under it (openapi-core wraps them)."""
    parts = []
    for error in errors:
        details = [str(e.message) for e in getattr(error.__cause__, "schema_errors", None) or ()]
        text = str(error) if len(str(error)) <= 200 else str(error)[:200] + "…"
        parts.append(f"{type(error).__name__}: {text}" + (f" ({'; '.join(details)})" if details else ""))
    return " | ".join(parts)


def sent_request(response: Response) -> Request:
    """The request as the test sent it, body included (the app has read the body stream: rewind it)."""
    environ = response.request.environ
    environ["wsgi.input"].seek(0)
    return Request(environ)


def _decoded(response: Response) -> Response:
    """The answer as the client reads it: a gzip or Brotli body (Accept-Encoding) uncompressed."""
    encoding = response.headers.get("Content-Encoding")
    if encoding not in DECODERS:
        return response
    headers = Headers(response.headers)
    del headers["Content-Encoding"], headers["Content-Length"]
    return Response(DECODERS[encoding](response.get_data()), status=response.status_code, headers=headers)


def _as_read(request: Request) -> Request:
    """The request without its empty query parameters: the API reads them as not given."""
    environ = dict(request.environ)
    given = [
        (name, value)
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if value != ""
    ]
    environ["QUERY_STRING"] = urlencode(given)
    return Request(environ)


def is_the_apis(app: Flask, request: Request) -> bool:
    """False for a route a test registered under /api/ for itself; True for the API's own
    routes and for paths no route matches (they must answer 404 or 405)."""
    try:
        endpoint, _ = app.url_map.bind_to_environ(request.environ).match(request.path, request.method)
    except HTTPException:
        return True
    return endpoint.startswith("api.")


class ContractClient(FlaskClient):
    """A test client that checks every /api/ call against the OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request, app = response.request, self.application
        if request.path.startswith(API_PREFIX) and is_the_apis(app, request):
            server_url = f"{request.host_url}api/v1"
            check_call(app_contract(app, server_url), sent_request(response), response)
        return response
