"""The deployment files say only what the code does: the systemd unit's commands parse with the real
CLI, the env file names only settings Tzomet reads, and no secret is filled in."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from nodes.cli import main

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "systemd" / "tzomet.service"
ENV = ROOT / "deploy" / "systemd" / "tzomet.env.example"


def _settings_read() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "nodes").rglob("*.py"))


def test_the_unit_runs_real_commands() -> None:
    commands = [line.split("=", 1)[1] for line in UNIT.read_text().splitlines()
                if line.startswith(("ExecStart=", "ExecStartPre="))]
    assert len(commands) == 2
    for command in commands:
        argv = shlex.split(command)
        assert argv[0].endswith("/tzomet")
        ctx = main.make_context("tzomet", argv[1:3], resilient_parsing=False)  # the group and its command
        sub = main.get_command(ctx, argv[1])
        assert sub is not None, argv
        if isinstance(sub, click.Group):
            leaf = sub.get_command(ctx, argv[2])
            assert leaf is not None, argv
            leaf.make_context(argv[2], argv[3:])
        else:
            sub.make_context(argv[1], argv[2:])


def test_the_env_file_names_only_real_settings_and_no_secret() -> None:
    source = _settings_read()
    names = re.findall(r"^([A-Z_]+)=(.*)$", ENV.read_text(), flags=re.M)
    assert names
    for name, value in names:
        assert f'"{name}"' in source, f"{name} is not a setting Tzomet reads"
        if any(word in name for word in ("SECRET", "TOKEN", "KEY")):
            assert value == "CHANGE-ME", name
    assert "CHANGE-ME" in dict(names)["TZOMET_DB_URL"]


def test_deploy_docs_are_linked_and_measured() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "deploy/systemd/tzomet.service" in doc and "tzomet_outbox_depth" in doc
    assert (ROOT / "docs" / "img" / "scale.png").exists() and "img/scale.png" in doc
    assert "deploy.md" in (ROOT / "README.md").read_text(encoding="utf-8")
