"""Factories of apps.accounts (users, organisations, memberships) and apps.api (tokens)."""
import factory

from apps.accounts.choices import Role
from apps.accounts.models import Curator, Membership, Organization, User
from apps.api.models import ApiToken
from apps.api.services import KEY_PREFIX, api_token_hash


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.OFFICER


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token whose key is known to the test (`key`, a parameter; only its hash is stored, as
    apps.api.services.api_token_create does). Records no audit event: use api_token_create to test that."""

    class Meta:
        model = ApiToken

    class Params:
        key = factory.Sequence(lambda n: f"{KEY_PREFIX}test-key-{n:06d}")

    user = factory.SubFactory(UserFactory)
    name = "test"
    prefix = factory.LazyAttribute(lambda o: o.key[:10])
    key_hash = factory.LazyAttribute(lambda o: api_token_hash(o.key))


class CuratorFactory(factory.django.DjangoModelFactory):
    """The registry-wide curator role (apps.accounts.policies); its powers also need a verified second factor
    (tests.conftest.second_factor_login)."""

    class Meta:
        model = Curator

    user = factory.SubFactory(UserFactory)
    note = "Registry data team"
