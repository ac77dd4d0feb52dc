"""Production settings refuse to start with what is only fit for the demo."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_KEY = "k3Y-for-tests-only-" + "x" * 40


def _start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "FIELD_ENCRYPTION_KEY"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY must be set"),
        (
            {"SECRET_KEY": "edudx-demo-secret-key-not-for-production-use-0123456789abcdef"},
            "SECRET_KEY must be set",
        ),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": PRIVATE_KEY, "DEBUG": "true", "FIELD_ENCRYPTION_KEY": "f" * 44}, "DEBUG must be off"),
        ({"SECRET_KEY": PRIVATE_KEY}, "FIELD_ENCRYPTION_KEY must be set"),
    ],
)
def test_production_refuses_demo_values(env, message):
    result = _start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_private_values():
    result = _start(SECRET_KEY=PRIVATE_KEY, FIELD_ENCRYPTION_KEY="f" * 44, DEBUG="false")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
