"""Reliability tests inject real faults (killed workers, stopped Redis, restarted PostgreSQL, broken list
servers) into real services. Select them with `-m reliability`; each keeps under a minute.

They never touch the machine's shared PostgreSQL (5432) or Redis (6379): they start private instances on
free ports in temporary directories.
"""
import pytest

from tests.reliability.harness import FaultServer


def pytest_configure(config):
    config.addinivalue_line("markers", "reliability: injects a fault into real services (tests/reliability)")


@pytest.fixture
def fault_server(settings):
    server = FaultServer()
    server.start()
    settings.LISTS_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LISTS_ALLOW_HTTP = True
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _celery_env_does_not_override_private_brokers(monkeypatch):
    """Celery gives the CELERY_BROKER_URL *environment variable* precedence over any app's configured broker
    (CI sets it to the shared Redis), which would send these tests' tasks past their private brokers. The
    project's app keeps its broker from Django settings; worker subprocesses get theirs explicitly."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
