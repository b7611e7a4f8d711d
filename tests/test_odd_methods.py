"""Every route answers any HTTP method without a server error: a method it does not take is a
405 (an unknown path a 404), OPTIONS lists the methods, HEAD is GET without a body."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

ODD = ["OPTIONS", "HEAD", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "CONNECT", "FOO"]


def test_no_method_on_any_route_is_a_server_error(app):
    # The plain client: the ContractClient holds API calls to the document, which lists no OPTIONS.
    client = FlaskClient(app, app.response_class)
    adapter = app.url_map.bind("localhost")
    errors = []
    for rule in app.url_map.iter_rules():
        values = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
        url = adapter.build(rule.endpoint, values, method=next(iter(rule.methods)))
        allowed = set(adapter.allowed_methods(url))  # of every rule at this URL
        for method in ODD:
            if method in allowed and method not in ("OPTIONS", "HEAD"):
                continue
            status = client.open(url, method=method).status_code
            if status >= 500 or (method not in allowed and status not in (404, 405)):
                errors.append(f"{method} {url} -> {status}")
    assert not errors, "\n".join(errors)
