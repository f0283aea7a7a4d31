"""Seed the default policy rules (apps.remediation.defaults) where missing; never overwrites edits."""
from django.db import migrations


def seed(apps, schema_editor):
    from apps.remediation.defaults import DEFAULT_RULES

    PolicyRule = apps.get_model("remediation", "PolicyRule")
    HistoricalPolicyRule = apps.get_model("remediation", "HistoricalPolicyRule")
    from django.utils import timezone

    known = {f.name for f in PolicyRule._meta.get_fields()}
    for data in DEFAULT_RULES:
        if PolicyRule.objects.filter(code=data["code"]).exists():
            continue
        # The defaults as they are now, cut to this migration's fields (0007 brings the rest).
        data = {k: v for k, v in data.items() if k in known}
        if data.get("deadline_date") is None and data.get("deadline_days") is None:
            data["deadline_days"] = 365  # a dateless rule (procurement ban) before 0007 knew deadline kinds
        rule = PolicyRule.objects.create(**data)
        fields = {f.attname: getattr(rule, f.attname) for f in PolicyRule._meta.concrete_fields}
        HistoricalPolicyRule.objects.create(**fields, history_date=timezone.now(), history_type="+",
                                            history_change_reason="default rule set")


class Migration(migrations.Migration):
    dependencies = [("remediation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
