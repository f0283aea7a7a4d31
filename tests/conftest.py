"""Fixtures shared by the suite: two organisations and a user of each role in the first one."""
from pathlib import Path

import pytest

from apps.accounts.choices import Role
from tests.factories import MembershipFactory, OrganizationFactory, SiteFactory, UserFactory

SHARED_LISTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "lists"


@pytest.fixture
def shared_lists() -> Path:
    """The real published list files beside the clone (CI has them; a user's clone may not)."""
    if not SHARED_LISTS.is_dir():
        pytest.skip(f"real list files not found at {SHARED_LISTS} (only CI and developer machines have them)")
    return SHARED_LISTS


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Harbor Authority", slug="harbor")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Other Agency", slug="other")


def _member(org, role):
    return MembershipFactory(organization=org, role=role, user=UserFactory(username=f"{role}-{org.slug}")).user


@pytest.fixture
def admin_user(org):
    return _member(org, Role.ADMIN)


@pytest.fixture
def officer(org):
    return _member(org, Role.OFFICER)


@pytest.fixture
def auditor(org):
    return _member(org, Role.AUDITOR)


@pytest.fixture
def viewer(org):
    return _member(org, Role.VIEWER)


@pytest.fixture
def other_officer(other_org):
    return _member(other_org, Role.OFFICER)


@pytest.fixture
def site(org):
    return SiteFactory(organization=org, code="T1", name="Terminal 1")


@pytest.fixture
def other_site(other_org):
    return SiteFactory(organization=other_org, code="X1", name="Other site")
