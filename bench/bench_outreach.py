"""Data calls at scale: sending N calls through the service (mail to Django's in-memory backend), answering
half of them through the signed link, then the supplier view (all N to one supplier), the data call list page
and the auditors' API list (100 a page), with their SQL query counts, which must not grow with N.

    .venv/bin/python bench/bench_outreach.py                 # 300 calls, a fresh SQLite file in a temp dir
    .venv/bin/python bench/bench_outreach.py --calls 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_outreach .venv/bin/python bench/bench_outreach.py

With DATABASE_URL the benchmark migrates that database and leaves its rows there (use a scratch database).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402


def _timed(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        result = fn()
        elapsed = (time.perf_counter() - start) * 1000
    return result, elapsed, len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    label = setup_django("outreach", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                         OUTREACH_RESPOND_RATE="1000000/m")
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Organization, User
    from apps.api.services import api_token_create
    from apps.outreach import services
    from apps.outreach.selectors import supplier_calls
    from apps.vendors.models import Vendor

    stamp = str(int(time.time()))
    org = Organization.objects.create(name=f"Bench port {stamp}", slug=f"bench-outreach-{stamp}")
    officer = User.objects.create(username=f"bench-outreach-{stamp}", email=f"o{stamp}@example.org")
    Membership.objects.create(user=officer, organization=org, role=Role.OFFICER)
    vendor = Vendor.objects.create(name=f"Bench supplier {stamp}")
    due = timezone.localdate() + dt.timedelta(days=30)

    created, create_ms = [], []
    for _ in range(args.calls):
        call, ms, _q = _timed(lambda: services.data_call_create(
            user=officer, organization_id=org.pk, template="far_889", recipient_kind="vendor", vendor=vendor,
            recipient_email="rep@supplier.example", due_date=due))
        created.append(call)
        create_ms.append(ms)
    answer_ms = []
    for call in created[::2]:
        token = re.search(r"/respond/([^/]+)/$", call.answer_link).group(1)
        _r, ms, _q = _timed(lambda token=token: services.data_call_answer(
            token=token, answers={"part_a_provides": "no", "part_b_uses": "no", "disclosure": "None."},
            signer_name="Rep", signer_title="Compliance", signed_on=timezone.localdate()))
        answer_ms.append(ms)
    summary, supplier_ms, supplier_q = _timed(lambda: supplier_calls(organization_id=org.pk, vendor_id=vendor.pk,
                                                                    day=timezone.localdate()))
    client = Client()
    client.force_login(officer)
    client.get("/data-calls/")
    _p, page_ms, page_q = _timed(lambda: client.get("/data-calls/"))
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=officer)[1]}")
    api.get("/api/v1/data-calls/?limit=100")
    _a, api_ms, api_q = _timed(lambda: api.get("/api/v1/data-calls/?limit=100"))
    print(f"database: {label}")
    print(f"calls sent: {args.calls}; answered: {len(answer_ms)}")
    print(f"send (create, questions, hashed link, audit, mail): median {statistics.median(create_ms):.1f} ms, "
          f"p95 {sorted(create_ms)[int(0.95 * len(create_ms)) - 1]:.1f} ms")
    print(f"answer (validate, store, audit chain, webhook event): median {statistics.median(answer_ms):.1f} ms, "
          f"p95 {sorted(answer_ms)[int(0.95 * len(answer_ms)) - 1]:.1f} ms")
    print(f"supplier view ({summary.counts['sent']} calls, {len(summary.columns)} answers side by side): "
          f"{supplier_ms:.0f} ms, {supplier_q} queries")
    print(f"data call list page: {page_ms:.0f} ms, {page_q} queries")
    print(f"API /data-calls/?limit=100: {api_ms:.0f} ms, {api_q} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
