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


# --- the scenario table printed at the end of a run (`make reliability` repeats each scenario) -------------

_OUTCOMES: dict[str, dict[str, int]] = {}


def _scenario(nodeid: str) -> str:
    """`tests/reliability/test_x.py::test_y[2-3]` -> `test_x::test_y` (the repetitions of one scenario)."""
    path, _, name = nodeid.partition("::")
    return f"{path.rsplit('/', 1)[-1].removesuffix('.py')}::{name.split('[', 1)[0]}"


def pytest_runtest_logreport(report):
    if "tests/reliability/" not in report.nodeid.replace("\\", "/"):
        return
    counts = _OUTCOMES.setdefault(_scenario(report.nodeid), {"runs": 0, "passed": 0, "failed": 0, "skipped": 0})
    # One outcome per run: a failed setup or teardown fails the run; a skip is never counted as a pass.
    if report.when == "setup":
        counts["runs"] += 1
        if report.skipped:
            counts["skipped"] += 1
        elif report.failed:
            counts["failed"] += 1
    elif report.when == "call":
        if report.passed:
            counts["passed"] += 1
        elif report.failed:
            counts["failed"] += 1
        elif report.skipped:
            counts["skipped"] += 1
    elif report.when == "teardown" and report.failed:
        counts["failed"] += 1
        if counts["passed"]:
            counts["passed"] -= 1


def pytest_terminal_summary(terminalreporter):
    if not _OUTCOMES:
        return
    width = max(len(name) for name in _OUTCOMES)
    write = terminalreporter.write_line
    terminalreporter.section("reliability scenarios")
    write(f"{'scenario':<{width}}  {'runs':>4}  {'passed':>6}  {'failed':>6}  {'skipped':>7}")
    for name in sorted(_OUTCOMES):
        c = _OUTCOMES[name]
        write(f"{name:<{width}}  {c['runs']:>4}  {c['passed']:>6}  {c['failed']:>6}  {c['skipped']:>7}")
    total = {k: sum(c[k] for c in _OUTCOMES.values()) for k in ("runs", "passed", "failed", "skipped")}
    write(f"{'all':<{width}}  {total['runs']:>4}  {total['passed']:>6}  {total['failed']:>6}  {total['skipped']:>7}")
