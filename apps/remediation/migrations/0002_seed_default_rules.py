"""Seed the default policy rules (apps.remediation.defaults) where missing; never overwrites edits."""
from django.db import migrations


def seed(apps, schema_editor):
    from apps.remediation.defaults import DEFAULT_RULES

    PolicyRule = apps.get_model("remediation", "PolicyRule")
    HistoricalPolicyRule = apps.get_model("remediation", "HistoricalPolicyRule")
    from django.utils import timezone

    for data in DEFAULT_RULES:
        if PolicyRule.objects.filter(code=data["code"]).exists():
            continue
        rule = PolicyRule.objects.create(**data)
        fields = {f.attname: getattr(rule, f.attname) for f in PolicyRule._meta.concrete_fields}
        HistoricalPolicyRule.objects.create(**fields, history_date=timezone.now(), history_type="+",
                                            history_change_reason="default rule set")


class Migration(migrations.Migration):
    dependencies = [("remediation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
