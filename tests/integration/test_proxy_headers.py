"""X-Forwarded-* headers count only when they come from the trusted proxy."""

from __future__ import annotations

import http.client
import json


def create_person(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "POST",
        "/api/v1/people",
        body=json.dumps({"name": "Ana"}),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer correct horse battery staple",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
        },
    )
    response = connection.getresponse()
    body = response.read()
    assert response.status == 201, body
    location = response.getheader("Location")
    connection.request("GET", "/api/v1/audit?limit=1", headers={"Authorization": "Bearer correct horse battery staple"})
    audit = json.loads(connection.getresponse().read())
    connection.close()
    return {"location": location, "client_addr": audit["entries"][0]["client_addr"]}


def test_the_trusted_proxy_tells_the_client_address_and_scheme(serve_behind_proxy):
    seen = create_person(serve_behind_proxy("127.0.0.1"))
    assert seen["client_addr"] == "203.0.113.9"
    assert seen["location"].startswith("https://")


def test_anybody_else_cannot_forge_them(serve_behind_proxy):
    seen = create_person(serve_behind_proxy("192.0.2.1"))
    assert seen["client_addr"] == "127.0.0.1"
    assert seen["location"].startswith("http://")
