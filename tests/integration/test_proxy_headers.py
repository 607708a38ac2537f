"""X-Forwarded-* headers count only when they come from the trusted proxy."""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading

import pytest
import waitress

from plantao.app import make_app
from plantao.cli import waitress_options


def run_until_closed(server) -> None:
    # Closing the server from the test thread makes its select() loop fail
    # with EBADF; that is how this loop ends, not an error.
    try:
        server.run()
    except (OSError, ValueError):
        pass


@pytest.fixture
def serve(settings, plugins, clean_engine):
    servers = []

    def start(trusted_proxy: str):
        proxied = dataclasses.replace(settings, trusted_proxy=trusted_proxy)
        app = make_app(proxied, plugins=plugins, engine=clean_engine)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2, **waitress_options(proxied))
        threading.Thread(target=run_until_closed, args=(server,), daemon=True).start()
        servers.append(server)
        return server.effective_port

    yield start
    for server in servers:
        server.close()


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


def test_the_trusted_proxy_tells_the_client_address_and_scheme(serve):
    seen = create_person(serve("127.0.0.1"))
    assert seen["client_addr"] == "203.0.113.9"
    assert seen["location"].startswith("https://")


def test_anybody_else_cannot_forge_them(serve):
    seen = create_person(serve("192.0.2.1"))
    assert seen["client_addr"] == "127.0.0.1"
    assert seen["location"].startswith("http://")
