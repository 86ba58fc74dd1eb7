"""Production settings refuse to start without a secret key and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="returns_desk.settings.production")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_production_passes_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="returns_desk.settings.production",
        DJANGO_SECRET_KEY="k8#Qv2-zL9@wP4^rT6!yN1&mB3*hD5(jF7)sG0_cX-aE2+uR4=iO6",
        DJANGO_ALLOWED_HOSTS="returns.shop.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_are_in_step(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
