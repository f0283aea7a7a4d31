"""Vocabulary of data calls: templates, recipients, question kinds, states."""
from django.db import models


class DataCallTemplate(models.TextChoices):
    FAR_889 = "far_889", "FAR 52.204-24/-26 representation (s.889 Part A and B)"
    COVERED_LIST = "covered_list", "DoD 1260H / FCC Covered List"
    COMPONENT_DECLARATION = "component_declaration", "Component declaration for a product model"
    CUSTOM = "custom", "Custom questions"


class RecipientKind(models.TextChoices):
    VENDOR = "vendor", "Supplier (a vendor of the registry)"
    SITE_MANAGER = "site_manager", "Site manager"


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    CHOICE = "choice", "Choice"
    TEXT = "text", "Text"
    DATE = "date", "Date"
    FILE = "file", "File"


class DataCallState(models.TextChoices):
    """Stored state. "Overdue" (sent, past the due date) and "expired" (answered, past the representation's
    validity) are read from the dates (DataCallQuerySet.with_status), so they are right at any `as_of`."""

    SENT = "sent", "Sent"
    ANSWERED = "answered", "Answered"
    CANCELLED = "cancelled", "Cancelled"


class DataCallStatus(models.TextChoices):
    """What people read: the state at a given day."""

    PENDING = "pending", "Pending"
    OVERDUE = "overdue", "Overdue"
    ANSWERED = "answered", "Answered"
    EXPIRED = "expired", "Expired (representation past its validity)"
    CANCELLED = "cancelled", "Cancelled"


class DeclaredFindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
