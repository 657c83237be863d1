"""The deployment files: a configuration error (exit status 2) is not restarted, by
systemd or by Docker (through deploy/entrypoint.sh)."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"


def fake_policybot(directory: Path, body: str) -> dict[str, str]:
    """An environment whose `policybot` is a shell script running ``body``."""
    script = directory / "policybot"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["sh", str(ENTRYPOINT), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("status", [0, 1, 3])
@pytest.mark.slow
def test_the_entrypoint_passes_on_any_status_but_2(tmp_path, status):
    env = fake_policybot(tmp_path, f'echo "error: something" >&2; exit {status}')
    process = start(env)
    assert process.wait(timeout=30) == status


@pytest.mark.slow
def test_after_a_configuration_error_the_container_waits_instead_of_restarting(tmp_path):
    env = fake_policybot(tmp_path, 'echo "error: TELEGRAM_BOT_TOKEN is not set." >&2; exit 2')
    process = start(env)
    assert process.stderr is not None
    assert "TELEGRAM_BOT_TOKEN" in process.stderr.readline()
    assert "not restarting" in process.stderr.readline()
    assert process.poll() is None  # still there: Docker has nothing to restart
    process.send_signal(signal.SIGTERM)  # docker stop
    assert process.wait(timeout=30) == 2


@pytest.mark.slow
def test_docker_stop_reaches_the_bot_and_its_status_is_kept(tmp_path):
    env = fake_policybot(
        tmp_path, "trap 'echo flushed; exit 0' TERM\necho started\nwhile :; do sleep 1; done"
    )
    process = start(env)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "started"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stdout.read().strip() == "flushed"


def test_the_image_and_compose_run_the_entrypoint_and_systemd_does_not_restart_on_2():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["policybot-entrypoint", "run"]' in dockerfile
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "policybot.service", encoding="utf-8")
    assert unit["Service"]["RestartPreventExitStatus"].split() == ["2"]
    assert unit["Service"]["Restart"] == "on-failure"


def test_systemd_gives_the_bot_a_cache_it_can_write():
    """Under ProtectSystem=strict the checkout is read-only: without a cache directory of
    its own, every start would compute the vectors and the index anew."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "policybot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ProtectSystem"] == "strict"
    assert service["CacheDirectory"] == "policybot"
    lines = (DEPLOY / "policybot.service").read_text(encoding="utf-8").splitlines()
    assert "Environment=POLICYBOT_CACHE_DIR=/var/cache/policybot" in lines


def copied_sources(dockerfile: str) -> list[str]:
    """The build-context paths the Dockerfile's COPY instructions read."""
    sources = []
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def test_every_file_the_image_copies_is_in_the_build_context():
    from pathspec import PathSpec

    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    spec = PathSpec.from_lines("gitignore", ignore)
    root = DEPLOY.parent
    sources = copied_sources((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    assert "requirements-models.txt" in sources and "deploy/entrypoint.sh" in sources
    left_out = []
    for source in sources:
        path = root / source
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        assert files, f"COPY {source}: no such file"
        left_out += [
            str(f.relative_to(root)) for f in files if spec.match_file(f.relative_to(root))
        ]
    left_out = [name for name in left_out if "__pycache__" not in name]
    assert not left_out, f"the build context leaves out: {left_out[:5]}"


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("deploy/policybot.env", True),  # where deploy/README.md says to put the token
        ("policybot.env", True),
        (".env", True),
        ("deploy/staging.env", True),
        ("deploy/policybot.env.example", False),
        (".env.example", False),
    ],
)
def test_files_that_hold_the_token_are_never_committed(path, ignored):
    from pathspec import PathSpec

    gitignore = (DEPLOY.parent / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert PathSpec.from_lines("gitignore", gitignore).match_file(path) is ignored
