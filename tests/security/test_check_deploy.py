"""Production settings pass Django's deployment checks (ASVS 14.1, 14.3.2, 3.4.1-3.4.3, 9.1.1)."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _prod_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="registry.example.gov",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        CELERY_BROKER_URL="memory://",
        AUDIT_HMAC_KEYS=f"k1:{secrets.token_urlsafe(32)}",
        AUDIT_HMAC_KEY_ID="k1",
    )
    env.update(extra)
    for name, value in extra.items():
        if value is None:
            env.pop(name)
    return env


def _check(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_security_deploy_checks(tmp_path):
    result = _check(_prod_env(tmp_path), "--tag", "security")
    assert result.returncode == 0, result.stdout + result.stderr


def test_full_deploy_check_passes_at_warning_level(tmp_path):
    """The whole `check --deploy --fail-level WARNING`, every app's checks included (what CI runs)."""
    result = _check(_prod_env(tmp_path))
    output = result.stdout + result.stderr
    assert "(security." not in output and "(axes." not in output and "(csp." not in output, output
    assert result.returncode == 0, output


def test_weakening_a_production_setting_is_caught(tmp_path):
    result = _check(_prod_env(tmp_path, SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false"),
                    "--tag", "security")
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W012" in result.stderr


def test_debug_off_refuses_a_weak_secret_key(tmp_path):
    env = _prod_env(tmp_path, SECRET_KEY="short")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_debug_off_without_an_audit_key_fails_the_checks(tmp_path):
    """No audit chain key in production: `check` (and so `migrate`, which runs it) refuses (audit.E001)."""
    result = _check(_prod_env(tmp_path, AUDIT_HMAC_KEYS=None, AUDIT_HMAC_KEY_ID=None))
    assert result.returncode != 0 and "audit.E001" in result.stderr, result.stderr


def test_audit_key_id_not_configured_or_weak_key_fails_the_checks(tmp_path):
    result = _check(_prod_env(tmp_path, AUDIT_HMAC_KEYS="k1:short", AUDIT_HMAC_KEY_ID="k2"))
    assert result.returncode != 0
    assert "audit.E002" in result.stderr and "audit.E004" in result.stderr, result.stderr
