"""systemd/Caddyfile: accepted by Caddy, and proxying to the application.

``caddy validate`` provisions every module of the configuration without
starting servers or asking for certificates; ``caddy adapt`` shows the JSON
the Caddyfile becomes, which is checked for what docs/operacao.md promises.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from plantao.config import VARIABLES
from tests.live_server import free_port

from .slow_clients import LOOPBACK, TricklingClients, caddy_in_front, healthz_seconds, walk
from .system_tools import SYSTEMD_DIR, require_tool, running, tool_environment

CADDYFILE = SYSTEMD_DIR / "Caddyfile"
DOMAIN = "plantao.example.com"


def caddy(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    executable = require_tool("caddy")
    return subprocess.run(
        [executable, *args],
        env=tool_environment(home, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def adapt(home: Path, **env: str) -> dict:
    result = caddy(home, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)




def handlers(config: dict, name: str) -> list[dict]:
    return [node for node in walk(config) if node.get("handler") == name]


@pytest.fixture
def config(tool_home) -> dict:
    return adapt(tool_home, DOMAIN_NAME=DOMAIN)


def test_caddy_validates_the_caddyfile(tool_home):
    result = caddy(
        tool_home, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile", DOMAIN_NAME=DOMAIN
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_caddyfile_is_formatted(tool_home):
    """Otherwise every start logs "Caddyfile input is not formatted"."""
    result = caddy(tool_home, "fmt", str(CADDYFILE))
    assert result.returncode == 0, result.stderr
    assert result.stdout == CADDYFILE.read_text(encoding="utf-8"), "run: caddy fmt --overwrite systemd/Caddyfile"


def test_site_is_the_domain_over_https(config):
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    hosts = [host for node in walk(server["routes"]) for host in node.get("host", [])]
    assert hosts == [DOMAIN]
    # Automatic HTTPS stays on: no "automatic_https": {"disable": true}.
    assert not server.get("automatic_https", {}).get("disable")


def test_certificates_come_from_acme(config):
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == [DOMAIN]
    assert policy["issuers"][0]["module"] == "acme"
    assert "email" not in policy["issuers"][0], "no ACME_EMAIL: no contact"


def test_acme_email_comes_from_the_environment(tool_home):
    config = adapt(tool_home, DOMAIN_NAME=DOMAIN, ACME_EMAIL="infra@example.com")
    emails = {issuer.get("email") for issuer in config["apps"]["tls"]["automation"]["policies"][0]["issuers"]}
    assert emails == {"infra@example.com"}


def test_reverse_proxy_to_the_application_with_health_check(config):
    (proxy,) = handlers(config, "reverse_proxy")
    assert proxy["upstreams"] == [{"dial": "127.0.0.1:8080"}]
    assert proxy["health_checks"]["active"]["uri"] == "/healthz"
    assert proxy["load_balancing"]["try_duration"] > 0, "requests wait while the app restarts"


def test_responses_are_compressed(config):
    (encode,) = handlers(config, "encode")
    assert {"gzip", "zstd"} <= set(encode["encodings"])


def test_security_headers(config):
    headers = {}
    removed = set()
    for handler in handlers(config, "headers"):
        headers.update(handler["response"].get("set", {}))
        removed.update(handler["response"].get("delete", []))
    hsts = headers["Strict-Transport-Security"][0]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
    assert headers["X-Content-Type-Options"] == ["nosniff"]
    assert "Server" in removed


def test_refuses_to_run_without_domain_name(tool_home):
    """Without DOMAIN_NAME Caddy must not start serving some other site."""
    result = caddy(tool_home, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile")
    assert result.returncode != 0


def test_slow_clients_are_cut_off_by_server_timeouts(config):
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["read_header_timeout"] == 10 * 10**9
    assert server["read_timeout"] == 30 * 10**9
    assert server["idle_timeout"] == 120 * 10**9


def test_request_bodies_are_limited_like_the_application(config):
    (limit,) = handlers(config, "request_body")
    assert limit["max_size"] == int(VARIABLES["MAX_REQUEST_BODY_BYTES"][0])
    (refusal,) = [h for h in handlers(config, "static_response") if h.get("status_code") == 413]
    assert refusal["body"]


def test_feed_tokens_are_redacted_from_the_access_log(config):
    (log,) = [log for name, log in config["logging"]["logs"].items() if name != "default"]
    assert log["writer"]["output"] == "stderr"
    assert log["encoder"]["format"] == "filter" and log["encoder"]["wrap"]["format"] == "json"
    uri = log["encoder"]["fields"]["request>uri"]
    assert uri["filter"] == "query"
    assert {"type": "replace", "parameter": "token", "value": "REDACTED"} in uri["actions"]


def test_the_hardening_is_a_snippet_the_site_imports():
    """Another Caddyfile serving Plantão (systemd/ha/Caddyfile) imports the same snippets file."""
    snippets = (SYSTEMD_DIR / "plantao-snippets.caddy").read_text(encoding="utf-8")
    assert "\n(plantao_common) {" in snippets and "\n(plantao_timeouts) {" in snippets
    text = CADDYFILE.read_text(encoding="utf-8")
    assert "\nimport plantao-snippets.caddy\n" in text
    site = text[text.index("{$DOMAIN_NAME} {"):]
    assert "import plantao_common" in site
    assert "request_body" not in site and "timeouts" not in site


def test_caddy_env_example_sets_what_the_caddyfile_reads():
    text = CADDYFILE.read_text(encoding="utf-8")
    example = (SYSTEMD_DIR / "caddy.env.example").read_text(encoding="utf-8")
    assigned = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    used = {name for name in ("DOMAIN_NAME", "ACME_EMAIL") if "{$" + name in text}
    assert used == {"DOMAIN_NAME", "ACME_EMAIL"}
    assert used <= assigned


# --- End to end: a certificate from a local ACME CA --------------------------
#
# Pebble (Let's Encrypt's test CA, Debian package "pebble") stands in for Let's
# Encrypt. Caddy runs the adapted Caddyfile with only what a test machine needs
# changed: high loopback ports, Pebble as the CA, a stand-in upstream and a
# private storage directory. PEBBLE_VA_ALWAYS_VALID skips the domain
# validation, which would need DNS for the test domain.




class Upstream(http.server.ThreadingHTTPServer):
    """A stand-in for ``plantao serve``: records the headers Caddy forwards."""

    daemon_threads = True

    def __init__(self):
        self.seen: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), UpstreamHandler)


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen.append({"path": self.path, **dict(self.headers)})
        body = b'{"status": "ok"}' if self.path == "/healthz" else b"plantao upstream " * 100
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def wait_for(check, timeout: float, what: str, logs: list[Path]):
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return check()
        except (OSError, ssl.SSLError) as error:
            last_error = error
            time.sleep(0.2)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    pytest.fail(f"timed out waiting for {what}: {last_error}\n{tails}")


def https_get(port: int, context: ssl.SSLContext, path: str):
    """GET over TLS from 127.0.0.1:port, presenting DOMAIN as a browser would."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection = http.client.HTTPConnection(DOMAIN, port, timeout=5)
    connection.sock = context.wrap_socket(sock, server_hostname=DOMAIN)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_caddy_obtains_a_certificate_and_proxies_over_https(tmp_path, tool_home):
    caddy_bin = require_tool("caddy")
    pebble_bin = require_tool("pebble")
    openssl = require_tool("openssl")
    ports = {name: free_port() for name in ("acme", "acme_admin", "http", "https")}

    # Pebble serves its ACME API over HTTPS: give it a throw-away certificate.
    listener_cert, listener_key = tmp_path / "pebble.pem", tmp_path / "pebble.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(listener_key), "-out", str(listener_cert)],
        check=True, capture_output=True, timeout=30,
    )
    pebble_config = tmp_path / "pebble.json"
    pebble_config.write_text(json.dumps({"pebble": {
        "listenAddress": f"127.0.0.1:{ports['acme']}",
        "managementListenAddress": f"127.0.0.1:{ports['acme_admin']}",
        "certificate": str(listener_cert),
        "privateKey": str(listener_key),
        "httpPort": ports["http"],
        "tlsPort": ports["https"],
        "ocspResponderURL": "",
        "externalAccountBindingRequired": False,
    }}))

    config = adapt(tool_home, DOMAIN_NAME=DOMAIN)
    http_app = config["apps"]["http"]
    http_app["http_port"], http_app["https_port"] = ports["http"], ports["https"]
    (server,) = http_app["servers"].values()
    server["listen"] = [f"127.0.0.1:{ports['https']}"]
    (proxy,) = handlers(config, "reverse_proxy")
    upstream = Upstream()
    proxy["upstreams"] = [{"dial": f"127.0.0.1:{upstream.server_address[1]}"}]
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    policy["issuers"] = [{
        "module": "acme",
        "ca": f"https://localhost:{ports['acme']}/dir",
        "trusted_roots_pem_files": [str(listener_cert)],
    }]
    config["admin"] = {"disabled": True}
    config["storage"] = {"module": "file_system", "root": str(tmp_path / "caddy-storage")}
    caddy_config = tmp_path / "caddy.json"
    caddy_config.write_text(json.dumps(config))

    logs = [tmp_path / "pebble.log", tmp_path / "caddy.log"]
    pebble_env = tool_environment(
        tool_home, PEBBLE_VA_ALWAYS_VALID="1", PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0"
    )
    pebble_context = ssl.create_default_context(cafile=str(listener_cert))
    # No proxy from the caller's environment: this is loopback.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=pebble_context)
    )

    def pebble_get(url: str) -> str:
        with opener.open(url, timeout=5) as response:
            return response.read().decode()

    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    try:
        with contextlib.ExitStack() as processes:
            processes.enter_context(running([pebble_bin, "-config", str(pebble_config)], logs[0], pebble_env))
            # Caddy asks for its certificate as soon as it starts, and waits a
            # minute before asking again: it starts only once Pebble's ACME
            # directory answers, so the first request cannot come too early.
            wait_for(lambda: pebble_get(f"https://localhost:{ports['acme']}/dir"), 30, "Pebble's directory", logs[:1])
            processes.enter_context(
                running([caddy_bin, "run", "--config", str(caddy_config)], logs[1], tool_environment(tool_home))
            )
            roots = wait_for(
                lambda: pebble_get(f"https://localhost:{ports['acme_admin']}/roots/0"), 15,
                "Pebble's root certificate", logs,
            )
            client = ssl.create_default_context(cadata=roots)
            status, headers, body = wait_for(
                lambda: https_get(ports["https"], client, "/"), 30, "Caddy's certificate", logs
            )
    finally:
        upstream.shutdown()
        upstream.server_close()
        thread.join(timeout=5)

    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers.get("Content-Encoding") == "gzip"
    assert "Server" not in headers
    assert gzip.decompress(body).startswith(b"plantao upstream")
    forwarded = [seen for seen in upstream.seen if seen["path"] == "/"]
    assert forwarded and forwarded[0]["X-Forwarded-Proto"] == "https"
    assert forwarded[0]["X-Forwarded-For"] == "127.0.0.1"
    assert any(seen["path"] == "/healthz" for seen in upstream.seen), "active health check"
    caddy_log = logs[1].read_text()
    assert "certificate obtained successfully" in caddy_log, caddy_log[-3000:]


# --- Slow clients and big bodies through Caddy -------------------------------
#
# The shipped Caddyfile, served over plain HTTP on loopback, in front of the
# real application under waitress with a small CONNECTION_LIMIT: far more
# slow clients than waitress could hold never reach it, because Caddy only
# forwards complete requests and cuts the slow ones off (read_header 10s).

WAITRESS_LIMIT = 20
SLOW_CLIENTS = 98


@pytest.fixture
def application_port(tmp_path):
    from plantao.app import make_app
    from plantao.config import Settings
    from tests.live_server import waitress_in_thread

    # /healthz and refused bodies never touch the (empty) database.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'plantao.sqlite3'}",
        admin_password="correct horse battery staple",
        data_dir=tmp_path,
        session_secret="test-session-secret-" + "x" * 32,
        connection_limit=WAITRESS_LIMIT,
    )
    with waitress_in_thread(make_app(settings), settings) as port:
        yield port


@pytest.mark.slow
def test_through_caddy_slow_clients_neither_block_healthz_nor_stay(tmp_path, tool_home, application_port):
    require_tool("caddy")
    with caddy_in_front(application_port, tmp_path, tool_environment(tool_home)) as (port, log):
        started = time.monotonic()
        with TricklingClients(port, SLOW_CLIENTS, interval=1.0) as clients:
            time.sleep(0.5)
            through_caddy = healthz_seconds(port, timeout=10)
            print(f"\n/healthz through Caddy with {SLOW_CLIENTS} slow clients: {through_caddy} s")
            # healthz_seconds gives None past its 10 s: a generous bound.
            assert through_caddy is not None, log.read_text()[-2000:]
            # read_header 10s: Caddy lets go of every one of them soon after
            # (the 60 s bound only stops a broken run; the figure is printed).
            while clients.closed_by_server() < SLOW_CLIENTS and time.monotonic() - started < 60:
                time.sleep(0.5)
            cut_after = time.monotonic() - started
            assert clients.closed_by_server() == SLOW_CLIENTS, f"still held after {cut_after:.1f} s"
        print(f"Caddy closed all {SLOW_CLIENTS} slow clients after {cut_after:.1f} s")
        # Not before its read_header timeout: the clients kept sending bytes.
        assert cut_after >= 9


@pytest.mark.slow
def test_through_caddy_big_bodies_are_413_and_tokens_stay_out_of_the_log(tmp_path, tool_home, application_port):
    require_tool("caddy")
    with caddy_in_front(application_port, tmp_path, tool_environment(tool_home)) as (port, log):
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        try:
            connection.request(
                "POST", "/api/v1/people", body=b" " * (2 * 1048576),
                headers={"Host": DOMAIN, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            assert response.status == 413
            connection.request("GET", "/healthz?start=2026-01-01&token=s3cr3t-feed-token", headers={"Host": DOMAIN})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        finally:
            connection.close()
        deadline = time.monotonic() + 5
        while "token=REDACTED" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    text = log.read_text()
    assert "start=2026-01-01&token=REDACTED" in text, text[-2000:]
    assert "s3cr3t-feed-token" not in text
