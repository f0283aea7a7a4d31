"""The request-scoping helpers of apps.accounts.filtersets: a user's roles read once per user object, the
organisations a request may name, and the membership filter that refuses other organisations' ids."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.accounts.choices import Role
from apps.accounts.filtersets import (
    MembershipFilterSet,
    member_organization_ids,
    member_roles,
    request_organization_ids,
    scoped_organizations,
)
from apps.accounts.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_member_roles_maps_organisations_to_roles_and_is_read_once_per_user_object():
    user = UserFactory()
    admin_of = MembershipFactory(user=user, role=Role.ADMIN).organization
    viewer_of = MembershipFactory(user=user, role=Role.VIEWER).organization
    with CaptureQueriesContext(connection) as queries:
        assert member_roles(user) == {admin_of.pk: Role.ADMIN, viewer_of.pk: Role.VIEWER}
        member_roles(user)
        member_organization_ids(user, roles=[Role.ADMIN])
    assert len(queries) == 1


def test_member_organization_ids_are_sorted_and_filtered_by_role():
    user = UserFactory()
    orgs = [MembershipFactory(user=user, role=role).organization for role in (Role.VIEWER, Role.OFFICER, Role.ADMIN)]
    assert member_organization_ids(user) == sorted(o.pk for o in orgs)
    assert member_organization_ids(user, roles={Role.OFFICER, Role.ADMIN}) == sorted(o.pk for o in orgs[1:])


def test_anonymous_users_and_requests_without_a_user_have_no_organisation():
    MembershipFactory()
    assert member_roles(AnonymousUser()) == {} and member_roles(None) == {}
    assert request_organization_ids(None) == []
    assert request_organization_ids(RequestFactory().get("/")) == []  # no request.user at all
    assert list(scoped_organizations(_request(AnonymousUser()))) == []


def test_scoped_organizations_are_the_request_users_own(officer, org, other_org):
    assert list(scoped_organizations(_request(officer))) == [org]


def test_membership_filter_refuses_another_organisations_id(officer, org, other_org, other_officer):
    request = _request(officer)
    own = MembershipFilterSet({"organization": [org.pk]}, queryset=Membership.objects.all(), request=request)
    assert own.is_valid()
    assert {m.organization_id for m in own.qs} == {org.pk}
    foreign = MembershipFilterSet({"organization": [other_org.pk]}, queryset=Membership.objects.all(),
                                  request=request)
    assert not foreign.is_valid()
    assert "organization" in foreign.errors


def test_membership_filter_by_role(org, officer, viewer, auditor):
    filterset = MembershipFilterSet({"role": [Role.VIEWER, Role.AUDITOR]}, queryset=Membership.objects.all(),
                                    request=_request(officer))
    assert {m.user for m in filterset.qs} == {viewer, auditor}
    assert not MembershipFilterSet({"role": ["owner"]}, queryset=Membership.objects.all()).is_valid()


def test_a_new_membership_is_not_seen_by_the_same_user_object_but_by_the_next_request():
    """member_roles caches on the user object: the request that granted a role still answers with the old roles,
    the next request (a new user object) sees the new one."""
    user = UserFactory()
    assert member_roles(user) == {}
    org = OrganizationFactory()
    MembershipFactory(user=user, organization=org, role=Role.OFFICER)
    assert member_roles(user) == {}
    fresh = type(user).objects.get(pk=user.pk)
    assert member_roles(fresh) == {org.pk: Role.OFFICER}
