"""What an operator runs: the image (Dockerfile), the stack (compose.yaml with its load
balancer) and the licence, checked as files because this machine has no Docker daemon. The
image's health check itself runs against a served bot: tests/e2e/test_container_health.py."""

from __future__ import annotations

import re
import tomllib

from tests.support.packaging import compose, healthcheck_command, instruction
from tests.support.paths import REPO


def test_the_image_runs_as_a_user_of_its_own_with_sqlite_on_a_volume() -> None:
    (user,) = instruction("USER")
    assert user.split(":")[0] not in {"root", "0"}
    (volume,) = instruction("VOLUME")
    assert "/data" in volume
    environment = " ".join(instruction("ENV"))
    assert "DATABASE_URL=sqlite+aiosqlite:////data/sitrep.db" in environment
    assert instruction("WORKDIR") == ["/data"]  # .env is read from the working directory
    assert instruction("ENTRYPOINT") == ['["sitrep"]'] and instruction("CMD") == ['["serve"]']


def test_the_image_checks_its_health_on_healthz() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]


def test_compose_runs_two_replicas_on_postgresql_behind_a_load_balancer() -> None:
    services = compose()["services"]
    replicas = {name: service for name, service in services.items()
                if service.get("build") == "."}
    assert len(replicas) == 2
    for service in replicas.values():
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["image"].startswith("postgres:")

    balancer = services["loadbalancer"]
    (mounted,) = balancer["volumes"]
    config = (REPO / mounted.split(":")[0]).read_text(encoding="utf-8")
    upstream = re.search(r"upstream sitrep \{(.*?)\}", config, re.DOTALL)
    assert upstream is not None
    servers = re.findall(r"server (\S+?):(\d+)", upstream.group(1))
    ports = {service["environment"]["PORT"] for service in replicas.values()}
    assert {name for name, _ in servers} == set(replicas)
    assert {port for _, port in servers} == ports
    assert set(balancer["depends_on"]) == set(replicas)


def test_the_licence_is_the_mit_licence_pyproject_names() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "MIT"}
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
