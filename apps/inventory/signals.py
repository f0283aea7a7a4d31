"""Keep the per-site equipment tally current on every saved or deleted unit (admin, API, services). Bulk
writes, which send no signals, call apps.inventory.services.equipment_counts_touch/refresh themselves."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Equipment
from .services import equipment_counts_touch


@receiver(post_save, sender=Equipment, dispatch_uid="inventory.equipment_counted_on_save")
def equipment_saved(sender, instance: Equipment, created: bool = False, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: fixtures are recounted by `recount_equipment`
        return
    before = getattr(instance, "_counted_as", None)
    now = instance.counted_as()
    if created or before != now:  # a notes or serial edit changes no count
        equipment_counts_touch({now[0], before[0] if before else None})
    instance._counted_as = now


@receiver(post_delete, sender=Equipment, dispatch_uid="inventory.equipment_counted_on_delete")
def equipment_deleted(sender, instance: Equipment, **kwargs) -> None:
    equipment_counts_touch({instance.site_id})
