"""Name, alias, identifier and vendor-update proposals are never applied to a view (they feed matching, which every
organisation shares; choices.OWN_VIEW_KINDS): clear the flag that earlier releases stored for them by default, so
no row says it is applied when it is not."""
from django.db import migrations

NOT_APPLICABLE = ["alias_add", "alias_remove", "identifier_add", "identifier_remove", "vendor_update"]


def clear_flag(apps, schema_editor):
    ChangeProposal = apps.get_model("vendors", "ChangeProposal")
    ChangeProposal.objects.filter(kind__in=NOT_APPLICABLE, applies_to_own_view=True).update(applies_to_own_view=False)


class Migration(migrations.Migration):

    dependencies = [("vendors", "0005_name_trigram_indexes")]

    operations = [migrations.RunPython(clear_flag, migrations.RunPython.noop)]
