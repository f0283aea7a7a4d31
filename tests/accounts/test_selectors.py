"""Who belongs where with which role: the selectors every organisation-scoped read and write relies on."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from apps.accounts.choices import Role
from apps.accounts.selectors import (
    membership_role,
    organization_ids_for_user,
    organization_list_for_user,
    user_can_write,
    user_is_admin,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_of_two():
    """A user who is an officer of "Bravo Port" and a viewer of "Alpha Airport"; a third organisation exists."""
    user = UserFactory()
    bravo = MembershipFactory(user=user, role=Role.OFFICER, organization=OrganizationFactory(name="Bravo Port"))
    alpha = MembershipFactory(user=user, role=Role.VIEWER, organization=OrganizationFactory(name="Alpha Airport"))
    OrganizationFactory(name="Charlie Ministry")
    return user, bravo.organization, alpha.organization


def test_organization_ids_for_user_lists_only_the_users_organisations(member_of_two):
    user, bravo, alpha = member_of_two
    assert sorted(organization_ids_for_user(user)) == sorted([bravo.pk, alpha.pk])


def test_organization_ids_for_user_filters_by_role(member_of_two):
    user, bravo, _alpha = member_of_two
    assert organization_ids_for_user(user, roles=[Role.OFFICER, Role.ADMIN]) == [bravo.pk]
    assert organization_ids_for_user(user, roles=[Role.ADMIN]) == []
    assert organization_ids_for_user(user, roles=[]) == []  # no role wanted: no organisation, not every one


def test_anonymous_or_missing_user_belongs_nowhere(member_of_two):
    assert organization_ids_for_user(AnonymousUser()) == []
    assert organization_ids_for_user(None) == []
    assert list(organization_list_for_user(AnonymousUser())) == []
    assert membership_role(AnonymousUser(), member_of_two[1].pk) is None
    assert membership_role(None, member_of_two[1].pk) is None


def test_organization_list_for_user_is_ordered_by_name(member_of_two):
    user, bravo, alpha = member_of_two
    assert list(organization_list_for_user(user)) == [alpha, bravo]


def test_user_with_no_membership_sees_no_organisation():
    OrganizationFactory()
    loner = UserFactory()
    assert organization_ids_for_user(loner) == []
    assert list(organization_list_for_user(loner)) == []


def test_membership_role_is_per_organisation(member_of_two):
    user, bravo, alpha = member_of_two
    assert membership_role(user, bravo.pk) == Role.OFFICER
    assert membership_role(user, alpha.pk) == Role.VIEWER
    assert membership_role(user, OrganizationFactory().pk) is None


@pytest.mark.parametrize(("role", "can_write", "is_admin"), [
    (Role.ADMIN, True, True),
    (Role.OFFICER, True, False),
    (Role.AUDITOR, False, False),
    (Role.VIEWER, False, False),
])
def test_write_and_admin_rights_follow_the_role(role, can_write, is_admin):
    membership = MembershipFactory(role=role)
    user, org_id = membership.user, membership.organization_id
    assert user_can_write(user, org_id) is can_write
    assert user_is_admin(user, org_id) is is_admin


def test_rights_in_one_organisation_do_not_reach_another():
    admin = MembershipFactory(role=Role.ADMIN).user
    elsewhere = OrganizationFactory()
    assert not user_can_write(admin, elsewhere.pk)
    assert not user_is_admin(admin, elsewhere.pk)


def test_a_deactivated_user_keeps_memberships_but_the_selectors_read_them(member_of_two):
    """The selectors check authentication, not is_active: login and token checks refuse inactive users first."""
    user, bravo, _alpha = member_of_two
    user.is_active = False
    user.save()
    assert bravo.pk in organization_ids_for_user(user)


def test_a_user_has_one_membership_per_organisation():
    membership = MembershipFactory(role=Role.VIEWER)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user, organization=membership.organization, role=Role.ADMIN)
    assert membership_role(membership.user, membership.organization_id) == Role.VIEWER


def test_membership_changes_are_seen_at_once():
    membership = MembershipFactory(role=Role.VIEWER)
    user, org_id = membership.user, membership.organization_id
    assert not user_can_write(user, org_id)
    membership.role = Role.OFFICER
    membership.save()
    assert user_can_write(user, org_id)
    membership.delete()
    assert organization_ids_for_user(user) == []
