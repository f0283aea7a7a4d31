import datetime as dt
import hashlib

import factory
from django.utils import timezone

from apps.outreach.choices import DataCallTemplate, QuestionKind, RecipientKind
from apps.outreach.models import (
    DataCall,
    DataCallAnswer,
    DataCallQuestion,
    DataCallResponse,
    DataCallToken,
    DeclaredFinding,
)

from .accounts import OrganizationFactory
from .vendors import VendorFactory


class DataCallFactory(factory.django.DjangoModelFactory):
    """A sent covered-list call to a supplier, due in 30 days (rows only: no questions, link or mail; tests of
    the flow use apps.outreach.services.data_call_create)."""

    class Meta:
        model = DataCall

    organization = factory.SubFactory(OrganizationFactory)
    template = DataCallTemplate.COVERED_LIST
    title = factory.Sequence(lambda n: f"Covered list question {n}")
    recipient_kind = RecipientKind.VENDOR
    vendor = factory.SubFactory(VendorFactory)
    recipient_email = factory.Sequence(lambda n: f"supplier{n}@example.org")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    validity_days = 365
    sent_at = factory.LazyFunction(timezone.now)


class DataCallQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataCallQuestion

    data_call = factory.SubFactory(DataCallFactory)
    position = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"q{n}")
    kind = QuestionKind.YES_NO
    text = "Is any unit from a listed entity?"


class DataCallTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataCallToken

    data_call = factory.SubFactory(DataCallFactory)
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"token{n}".encode()).hexdigest())
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


class DataCallResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataCallResponse

    data_call = factory.SubFactory(DataCallFactory)
    organization = factory.SelfAttribute("data_call.organization")
    token = factory.SubFactory(DataCallTokenFactory, data_call=factory.SelfAttribute("..data_call"))
    signer_name = "Ann Example"
    signer_title = "Compliance manager"
    signed_on = factory.LazyFunction(timezone.localdate)
    submitted_at = factory.LazyFunction(timezone.now)
    sha256 = "0" * 64


class DataCallAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataCallAnswer

    response = factory.SubFactory(DataCallResponseFactory)
    data_call = factory.SelfAttribute("response.data_call")
    question = factory.SubFactory(DataCallQuestionFactory, data_call=factory.SelfAttribute("..data_call"))
    value = False


class DeclaredFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeclaredFinding

    answer = factory.SubFactory(DataCallAnswerFactory, value=True)
    data_call = factory.SelfAttribute("answer.data_call")
    organization = factory.SelfAttribute("data_call.organization")
    text = "Declared yes"
    opened_at = factory.LazyFunction(timezone.now)
