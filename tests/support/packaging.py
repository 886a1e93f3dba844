"""The operator's packaging read as Docker and Compose read it: the Dockerfile's instructions
(continuation lines joined, the last stage only) and compose.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import REPO

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"


def final_stage(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the image that runs: from the last FROM on."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            instructions = []
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def instruction(name: str, path: Path = DOCKERFILE) -> list[str]:
    return [arguments for keyword, arguments in final_stage(path) if keyword == name]


def healthcheck_command(path: Path = DOCKERFILE) -> list[str]:
    """The HEALTHCHECK's CMD in exec form, as the container runs it."""
    (healthcheck,) = instruction("HEALTHCHECK", path)
    command = healthcheck[healthcheck.index("CMD ") + len("CMD "):]
    parsed: list[str] = json.loads(command)
    return parsed


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded
