"""apps.common.events: one delivery policy (on commit and isolated, or in the transaction and fatal) and a
start-up check that every required event has a subscriber."""
from dataclasses import dataclass

import pytest
from django.db import transaction

from apps.common import events
from apps.common.checks import events_have_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class _Pinged(events.Event):
    required = False
    n: int


def test_on_commit_handlers_run_after_commit_each_isolated(caplog):
    seen = []

    def broken(event):
        raise RuntimeError("subscriber bug")

    with events.subscribed(_Pinged, broken), events.subscribed(_Pinged, seen.append):
        with transaction.atomic():
            events.publish(_Pinged(1))
            assert seen == []  # not before the commit
        assert seen == [_Pinged(1)]  # the broken handler before it did not stop this one
    assert "subscriber bug" in caplog.text and "_Pinged" in caplog.text


def test_on_commit_handlers_never_run_for_a_rolled_back_write():
    seen = []
    with events.subscribed(_Pinged, seen.append), pytest.raises(ValueError), transaction.atomic():
        events.publish(_Pinged(2))
        raise ValueError("the write failed")
    assert seen == []


def test_in_transaction_handlers_run_at_once_and_their_errors_roll_the_write_back():
    from apps.accounts.models import Organization

    def refuse(event):
        raise RuntimeError("derived state could not be written")

    with (events.subscribed(_Pinged, refuse, phase=events.IN_TRANSACTION), pytest.raises(RuntimeError),
          transaction.atomic()):
        Organization.objects.create(name="Rolled back", slug="rolled-back")
        events.publish(_Pinged(3))
    assert not Organization.objects.filter(slug="rolled-back").exists()


def test_subscribe_refuses_wrong_wiring_at_once():
    with pytest.raises(TypeError):
        events.subscribe(dict, print)
    with pytest.raises(TypeError):
        events.subscribe(_Pinged, "not callable")
    with pytest.raises(ValueError):
        events.subscribe(_Pinged, print, phase="later")


def test_every_required_event_has_a_subscriber_and_a_lost_one_stops_start_up():
    assert events_have_subscribers(None) == []
    handlers = events.subscribers(events.VendorsChanged)
    for handler in handlers:
        events.unsubscribe(events.VendorsChanged, handler)
    try:
        errors = events_have_subscribers(None)
        assert [e.id for e in errors] == ["events.E001"] and "VendorsChanged" in errors[0].msg
    finally:
        for handler in handlers:
            events.subscribe(events.VendorsChanged, handler)
