"""Vendor identifiers stored before identifier_canonical kept the spaces of registration numbers ("HRB 12345");
store them in the one canonical form ("HRB12345") so look-ups and checks find them. A row whose canonical
value another row of the same scheme and country already holds is left as it is (the two are one identifier;
an officer merges them)."""

from django.db import migrations


def canonicalise(apps, schema_editor):
    from apps.vendors.identifiers import identifier_canonical

    VendorIdentifier = apps.get_model("vendors", "VendorIdentifier")
    for row in VendorIdentifier.objects.all().only("id", "scheme", "country", "value").iterator():
        value = identifier_canonical(row.scheme, row.value)
        if not value or value == row.value:
            continue
        taken = VendorIdentifier.objects.filter(scheme=row.scheme, country=row.country, value=value).exists()
        if not taken:
            VendorIdentifier.objects.filter(pk=row.pk).update(value=value)


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_vendor_risk_status")]

    operations = [migrations.RunPython(canonicalise, migrations.RunPython.noop)]
