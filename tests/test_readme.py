"""The README's walkthrough, run as written: every shell block marked `<!-- walkthrough -->`
runs, command by command, against a fresh `qbtransfer serve` in an empty folder, and what each
command prints is written to docs/walkthrough.md, so the README cannot drift from the product."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.helpers import free_port, serving

REPO = Path(__file__).resolve().parents[1]
MARKER = "<!-- walkthrough -->"
README_PORT = "8000"


def walkthrough_commands(readme: str) -> list[str]:
    """The commands of the marked blocks, in order, continuation lines joined."""
    commands: list[str] = []
    for block in readme.split(MARKER)[1:]:
        body = block.split("```sh\n", 1)[1].split("```", 1)[0]
        for command in body.replace("\\\n", " ").splitlines():
            if command.strip():
                commands.append(" ".join(command.split()) if "'" not in command else command)
    return commands


def test_the_readme_walkthrough_runs_as_written(tmp_path):
    commands = walkthrough_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 12 and commands[0].startswith("export API_PASSWORD=")
    (tmp_path / "tests").symlink_to(REPO / "tests")  # `python -m tests.qbsim`, the demo file
    port = str(free_port())
    env = {
        **os.environ,
        "DATABASE_URL": "",
        "PUBLIC_URL": "",
        "QBTRANSFER_HOME": "",
        "PORT": port,
        "PYTHONPATH": str(REPO),
        "COLUMNS": "200",
    }
    transcript: list[str] = []
    exports: list[str] = []
    with serving(tmp_path, int(port), env):
        for command in commands:
            if command.startswith("export "):
                exports.append(command)
                transcript.append(f"$ {command}")
                continue
            run = command.replace(f"localhost:{README_PORT}", f"localhost:{port}")
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", "\n".join([*exports, run])],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            shown = (done.stdout + done.stderr).replace(f"localhost:{port}", "localhost:8000")
            shown = shown.replace(str(tmp_path), "~/qbtransfer")
            transcript.append(f"$ {command}\n{shown.rstrip()}".rstrip())
    text = "\n".join(transcript)
    assert "Walkthrough-pass-2026" not in text.split("\n", 1)[1].replace(commands[0], "")
    assert re.search(r"invoices?:INV-5001 .* succeeded ", text), text
    assert "Autotask Other" in text and "(exit code 1)" in text
    (REPO / "docs" / "walkthrough.md").write_text(
        "# The README walkthrough, as it ran\n\n"
        "Written by `tests/test_readme.py`, which runs the README's walkthrough blocks against a"
        " fresh `qbtransfer serve` in an empty folder (ids and times change with every run).\n\n"
        "```console\n" + text + "\n```\n",
        encoding="utf-8",
    )


def test_the_production_section_runs_what_the_procfile_says():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    for line in (REPO / "Procfile").read_text(encoding="utf-8").splitlines():
        assert line in section
    for needed in ("PUBLIC_URL", "reverse_proxy", "proxy_pass", "Backups", "Upgrading",
                   "pg_dump", "DATABASE_URL"):  # fmt: skip
        assert needed in section
