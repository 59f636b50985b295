"""The `pilotage` command line."""

import subprocess
import sys

import pytest

from pilotage import cli


def run(monkeypatch, argv):
    seen = {}
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line",
        lambda args: seen.setdefault("argv", args),
    )
    cli.main(argv)
    return seen["argv"]


def test_serve_runs_the_web_server_on_the_local_address(monkeypatch):
    assert run(monkeypatch, ["pilotage", "serve"]) == ["pilotage", "runserver", "127.0.0.1:8000"]
    assert run(monkeypatch, ["pilotage", "serve", "0.0.0.0:9000"]) == [
        "pilotage",
        "runserver",
        "0.0.0.0:9000",
    ]


def test_other_words_are_management_commands(monkeypatch):
    assert run(monkeypatch, ["pilotage", "load", "--no-progress"]) == [
        "pilotage",
        "load",
        "--no-progress",
    ]


@pytest.mark.slow
def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
        "ALLOWED_HOSTS": "pilotage.example.org",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pilotage.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
