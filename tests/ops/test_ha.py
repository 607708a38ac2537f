"""systemd/ha: the files of the two-instance cluster, checked offline.

Caddy validates and adapts the HA Caddyfile (two upstreams, active checks on
/readyz, passive failover, the single-node hardening through the shared
snippets); the Patroni and etcd templates are rendered with the values of
``cluster.env.example``; etcd is started on loopback with the rendered
configuration and ``patroni --validate-config`` reads the rendered template
against it; ``systemd-analyze verify`` checks the drop-ins. The cluster
itself (failover under load) is another test's job.
"""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from plantao.config import VARIABLES, database_hosts, load_settings
from tests.live_server import free_port

from .slow_clients import walk
from .system_tools import SYSTEMD_DIR, require_tool, running, system_tools_required, tool_environment
from .test_systemd import parse_unit, values, verify

HA_DIR = SYSTEMD_DIR / "ha"
HA_CADDYFILE = HA_DIR / "Caddyfile"
SNIPPETS = SYSTEMD_DIR / "plantao-snippets.caddy"
SINGLE_CADDYFILE = SYSTEMD_DIR / "Caddyfile"
PATRONI_TEMPLATE = HA_DIR / "patroni.yml.in"
ETCD_TEMPLATE = HA_DIR / "etcd.env.in"
CLUSTER_ENV = HA_DIR / "cluster.env.example"
DOMAIN = "plantao.example.com"
UPSTREAMS = {"PLANTAO_UPSTREAM_1": "10.0.0.11:8080", "PLANTAO_UPSTREAM_2": "10.0.0.12:8080"}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def env_file(path: Path) -> dict[str, str]:
    """The KEY=value lines of an example environment file."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


# --- Caddy --------------------------------------------------------------------


@pytest.fixture
def caddy_dir(tmp_path) -> Path:
    """/etc/caddy as the manual installs it: the HA Caddyfile beside the snippets."""
    etc = tmp_path / "etc-caddy"
    etc.mkdir()
    shutil.copy(HA_CADDYFILE, etc / "Caddyfile")
    shutil.copy(SNIPPETS, etc / SNIPPETS.name)
    return etc


def caddy(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("caddy"), *args],
        env=tool_environment(home, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def adapt(home: Path, caddyfile: Path, **env: str) -> dict:
    result = caddy(home, "adapt", "--config", str(caddyfile), "--adapter", "caddyfile", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def ha_config(tool_home, caddy_dir) -> dict:
    return adapt(tool_home, caddy_dir / "Caddyfile", DOMAIN_NAME=DOMAIN, **UPSTREAMS)


def the_proxy(config: dict) -> dict:
    (proxy,) = [node for node in walk(config) if node.get("handler") == "reverse_proxy"]
    return proxy


def test_caddy_validates_the_ha_caddyfile(tool_home, caddy_dir):
    result = caddy(
        tool_home, "validate", "--config", str(caddy_dir / "Caddyfile"), "--adapter", "caddyfile",
        DOMAIN_NAME=DOMAIN, **UPSTREAMS,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


@pytest.mark.parametrize("path", [HA_CADDYFILE, SNIPPETS], ids=lambda p: p.name)
def test_ha_caddy_files_are_formatted(tool_home, path):
    result = caddy(tool_home, "fmt", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.read_text(encoding="utf-8"), f"run: caddy fmt --overwrite {path}"


def test_two_upstreams_balanced(ha_config):
    proxy = the_proxy(ha_config)
    assert proxy["upstreams"] == [{"dial": "10.0.0.11:8080"}, {"dial": "10.0.0.12:8080"}]
    assert proxy["load_balancing"]["selection_policy"]["policy"] in ("least_conn", "round_robin")


def test_active_health_checks_on_readyz(ha_config):
    """A cold instance (503 on /readyz) gets no traffic; a degraded one (200) keeps it."""
    active = the_proxy(ha_config)["health_checks"]["active"]
    assert active["uri"] == "/readyz"
    assert active["expect_status"] == 200
    assert 0 < active["interval"] <= 5 * 10**9
    assert 0 < active["timeout"] <= active["interval"]


def test_passive_failover(ha_config):
    proxy = the_proxy(ha_config)
    passive = proxy["health_checks"]["passive"]
    assert passive["fail_duration"] > 0 and passive["max_fails"] >= 1
    # A 503 to a write during a database failover must not take both
    # instances out: passive checks count connection failures only.
    assert "unhealthy_status" not in passive
    assert proxy["load_balancing"]["try_duration"] > 0, "a request that found one instance down tries the other"


def test_a_missing_upstream_is_refused(tool_home, caddy_dir):
    """One unset PLANTAO_UPSTREAM_n must not leave a cluster of one."""
    for name in UPSTREAMS:
        others = {key: value for key, value in UPSTREAMS.items() if key != name}
        result = caddy(
            tool_home, "adapt", "--config", str(caddy_dir / "Caddyfile"), "--adapter", "caddyfile",
            DOMAIN_NAME=DOMAIN, **others,
        )
        assert result.returncode != 0, f"{name} unset was accepted"


def test_ha_site_has_the_single_node_hardening(tool_home, ha_config):
    """Timeouts, body limit, token redaction and headers: the same JSON as the single-node site."""
    single = adapt(tool_home, SINGLE_CADDYFILE, DOMAIN_NAME=DOMAIN)
    (ha_server,) = ha_config["apps"]["http"]["servers"].values()
    (single_server,) = single["apps"]["http"]["servers"].values()
    for key in ("read_header_timeout", "read_timeout", "idle_timeout"):
        assert ha_server[key] == single_server[key], key
    assert ha_config["logging"] == single["logging"]
    ha_handlers, single_handlers = (
        # Subroutes hold the reverse_proxy, the one handler that differs.
        [node for node in walk(server["routes"]) if node.get("handler", "subroute") not in ("subroute", "reverse_proxy")]
        for server in (ha_server, single_server)
    )
    assert ha_handlers == single_handlers
    assert {"request_body", "headers", "encode", "static_response"} <= {node["handler"] for node in ha_handlers}


def test_both_caddyfiles_import_the_snippets_instead_of_copying_them():
    snippets = SNIPPETS.read_text(encoding="utf-8")
    for name in ("plantao_timeouts", "plantao_common", "plantao_headers"):
        assert f"\n({name}) {{" in snippets, name
    for caddyfile in (SINGLE_CADDYFILE, HA_CADDYFILE):
        text = caddyfile.read_text(encoding="utf-8")
        assert re.search(r"^import plantao-snippets\.caddy$", text, re.M), caddyfile
        assert "\n(plantao_" not in text, f"{caddyfile} defines a snippet of its own"
        assert "replace token" not in text and "read_header" not in text


def test_ha_caddy_env_example_sets_what_the_caddyfile_reads():
    used = set(re.findall(r"\{\$([A-Z0-9_]+)", HA_CADDYFILE.read_text(encoding="utf-8")))
    assert used == {"DOMAIN_NAME", "ACME_EMAIL", *UPSTREAMS}
    assert used <= set(env_file(HA_DIR / "caddy.env.example"))


# --- Templates ----------------------------------------------------------------


def render(template: Path, **changes: str) -> str:
    """The template filled in as envsubst would, with cluster.env.example's values."""
    text = template.read_text(encoding="utf-8")
    # envsubst runs without a list of variables: any other "$" would be eaten.
    assert "$" not in PLACEHOLDER.sub("", text), f"a '$' that is not a placeholder in {template.name}"
    return string.Template(text).substitute({**env_file(CLUSTER_ENV), **changes})


def test_every_placeholder_has_an_example_value():
    example = env_file(CLUSTER_ENV)
    used = set()
    for template in (PATRONI_TEMPLATE, ETCD_TEMPLATE):
        used |= set(PLACEHOLDER.findall(template.read_text(encoding="utf-8")))
    assert used <= set(example), sorted(used - set(example))
    assert set(example) <= used, f"unused in the templates: {sorted(set(example) - used)}"


@pytest.fixture(scope="module")
def patroni_config() -> dict:
    return yaml.safe_load(render(PATRONI_TEMPLATE))


def test_patroni_uses_etcd3_for_etcd_34(patroni_config):
    assert "etcd" not in patroni_config, "etcd 3.4 serves no v2 API by default"
    assert patroni_config["etcd3"]["hosts"] == "10.0.0.11:2379,10.0.0.12:2379,10.0.0.13:2379"


def test_patroni_replicates_synchronously_and_rewinds(patroni_config):
    dcs = patroni_config["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True
    assert dcs["ttl"] >= dcs["loop_wait"] + 2 * dcs["retry_timeout"]
    assert dcs["postgresql"]["use_pg_rewind"] is True
    parameters = dcs["postgresql"]["parameters"]
    assert parameters["wal_log_hints"] == "on" and parameters["archive_mode"] == "on"
    assert "/var/lib/postgresql/wal-archive/%f" in parameters["archive_command"]
    assert patroni_config["postgresql"]["recovery_conf"]["restore_command"].startswith("cp /var/lib/postgresql/wal-archive/")


def test_patroni_runs_postgresql_15_with_placeholder_accounts(patroni_config):
    postgresql = patroni_config["postgresql"]
    assert postgresql["bin_dir"] == "/usr/lib/postgresql/15/bin"
    assert postgresql["connect_address"] == "10.0.0.11:5432"
    accounts = postgresql["authentication"]
    assert {role: accounts[role]["username"] for role in accounts} == {
        "superuser": "postgres", "replication": "replicator", "rewind": "rewind",
    }
    template = PATRONI_TEMPLATE.read_text(encoding="utf-8")
    for name in ("SUPERUSER_PASSWORD", "REPLICATION_PASSWORD", "REWIND_PASSWORD", "RESTAPI_PASSWORD"):
        assert f"password: ${{{name}}}" in template, name


def test_pg_hba_lets_both_nodes_replicate(patroni_config):
    rules = [" ".join(rule.split()) for rule in patroni_config["postgresql"]["pg_hba"]]
    for ip in ("10.0.0.11", "10.0.0.12"):
        assert f"host replication replicator {ip}/32 scram-sha-256" in rules
        assert f"host all all {ip}/32 scram-sha-256" in rules
    assert not any(" trust" in rule or "0.0.0.0/0" in rule for rule in rules)


def etcd_flags(home: Path) -> set[str]:
    result = subprocess.run(
        [require_tool("etcd", "etcd-server"), "--help"],
        env=tool_environment(home), capture_output=True, text=True, timeout=30,
    )
    return set(re.findall(r"^\s+--([a-z0-9-]+)", result.stdout + result.stderr, re.M))


def test_etcd_variables_are_etcd_flags(tool_home):
    rendered = env_file_text(render(ETCD_TEMPLATE))
    flags = etcd_flags(tool_home)
    for name in rendered:
        assert name.startswith("ETCD_") and name[5:].lower().replace("_", "-") in flags, name
    assert rendered["ETCD_INITIAL_CLUSTER"].count("=http://") == 3, "three members recommended"


def env_file_text(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


# --- etcd and Patroni run against the rendered files ---------------------------


@pytest.fixture
def etcd_member(tmp_path, tool_home):
    """A single-member etcd (the lab layout) on loopback from the rendered template; yields its client port."""
    etcd = require_tool("etcd", "etcd-server")
    client, peer = free_port(), free_port()
    rendered = render(
        ETCD_TEMPLATE, NODE_IP="127.0.0.1", ETCD_NAME="lab",
        ETCD_INITIAL_CLUSTER="lab=http://127.0.0.1:2380",
    )
    # Free ports and a private data directory instead of the production ones.
    rendered = rendered.replace(":2379", f":{client}").replace(":2380", f":{peer}")
    rendered = rendered.replace("/var/lib/etcd/default", str(tmp_path / "etcd-data"))
    variables = env_file_text(rendered)
    # The listen list repeats 127.0.0.1 on the same port: keep one.
    variables["ETCD_LISTEN_CLIENT_URLS"] = f"http://127.0.0.1:{client}"
    log = tmp_path / "etcd.log"
    with running([etcd], log, tool_environment(tool_home, **variables)) as process:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=2) as response:
                    if json.loads(response.read()).get("health") == "true":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"etcd did not become healthy:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield client, log


def test_etcd_runs_with_the_rendered_configuration(etcd_member):
    _, log = etcd_member
    text = log.read_text(errors="replace")
    assert "unrecognized environment variable" not in text, text[-3000:]


def test_patroni_validates_the_rendered_template(tmp_path, tool_home, etcd_member):
    patroni = require_tool("patroni")
    client, _ = etcd_member
    config = yaml.safe_load(render(PATRONI_TEMPLATE))
    bin_dir = Path(config["postgresql"]["bin_dir"])
    if not (bin_dir / "postgres").exists():
        reason = f"PostgreSQL 15 server binaries are not in {bin_dir} (Debian package postgresql-15)"
        if system_tools_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    # Loopback and free ports instead of the VMs' addresses. The validator
    # refuses 127.0.0.1 as a connect address and wants the listen ports
    # free and etcd reachable.
    node = "127.0.0.2"
    api, database = free_port(), free_port()
    config["restapi"]["listen"] = config["restapi"]["connect_address"] = f"{node}:{api}"
    config["postgresql"]["listen"] = f"{node}:{database}"
    config["postgresql"]["connect_address"] = f"{node}:{database}"
    config["postgresql"]["data_dir"] = str(tmp_path / "data")
    config["etcd3"]["hosts"] = f"127.0.0.1:{client}"
    rendered = tmp_path / "patroni.yml"
    rendered.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [patroni, "--validate-config", str(rendered)],
        env=tool_environment(tool_home), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_patroni_validator_catches_a_broken_config(tmp_path, tool_home):
    """Guard the guard: the validator does read the file."""
    patroni = require_tool("patroni")
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"scope": "plantao", "name": "x", "restapi": {"listen": "127.0.0.2:1"}}))
    result = subprocess.run(
        [patroni, "--validate-config", str(broken)],
        env=tool_environment(tool_home), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0


# --- systemd ------------------------------------------------------------------


def test_patroni_drop_in_verifies(tmp_path, tool_home):
    """The drop-in applies to Debian's patroni@.service (a stub stands in for it)."""
    units = tmp_path / "units"
    (units / "patroni@.service.d").mkdir(parents=True)
    (units / "patroni@.service").write_text("[Unit]\nDescription=stub %i\n[Service]\nExecStart=/bin/true\n")
    (units / "etcd.service").write_text("[Service]\nExecStart=/bin/true\n")
    shutil.copy(HA_DIR / "patroni@.service.d" / "plantao.conf", units / "patroni@.service.d" / "plantao.conf")
    instance = units / "patroni@15-plantao.service"
    instance.symlink_to(units / "patroni@.service")
    verify([instance], tool_home, SYSTEMD_UNIT_PATH=f"{units}:")
    drop_in = parse_unit(HA_DIR / "patroni@.service.d" / "plantao.conf")
    assert "network-online.target" in " ".join(values(drop_in, "Unit", "After"))
    assert "network-online.target" in " ".join(values(drop_in, "Unit", "Wants"))


def test_etcd_drop_in_verifies(tmp_path, tool_home):
    units = tmp_path / "units"
    (units / "etcd.service.d").mkdir(parents=True)
    (units / "etcd.service").write_text("[Service]\nType=notify\nExecStart=/bin/true\n")
    shutil.copy(HA_DIR / "etcd.service.d" / "plantao.conf", units / "etcd.service.d" / "plantao.conf")
    verify([units / "etcd.service"], tool_home, SYSTEMD_UNIT_PATH=f"{units}:")
    assert values(parse_unit(HA_DIR / "etcd.service.d" / "plantao.conf"), "Service", "Restart") == ["on-failure"]


# --- The application's side ----------------------------------------------------


def test_plantao_env_example_finds_the_primary_among_both_nodes(tmp_path):
    example = env_file(HA_DIR / "plantao.env.example")
    assert set(example) <= set(VARIABLES), sorted(set(example) - set(VARIABLES))
    settings = load_settings(
        example, dotenv_path=None, overrides={"PLANTAO_DATA_DIR": str(tmp_path)}, variables=(),
    )
    assert database_hosts(settings.database_url) == ["10.0.0.11:5432", "10.0.0.12:5432"]
    assert "target_session_attrs=read-write" in settings.database_url
    assert settings.host == example["HOST"] and settings.trusted_proxy == example["TRUSTED_PROXY"]
