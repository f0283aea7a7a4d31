"""One company, one vendor: legal names are unique without regard to case, with a clear error."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.vendors.models import Vendor
from apps.vendors.services import vendor_create

pytestmark = pytest.mark.django_db


def test_a_name_differing_only_in_case_is_refused_with_a_clear_message(db):
    vendor_create(name="Hangzhou Hikvision Digital Technology Co., Ltd.")
    with pytest.raises(ValidationError) as exc:
        vendor_create(name="HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.")
    assert "compared without regard to case" in str(exc.value) and "name" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the line too
        Vendor.objects.create(name="hangzhou hikvision digital technology co., ltd.")
    assert Vendor.objects.count() == 1
