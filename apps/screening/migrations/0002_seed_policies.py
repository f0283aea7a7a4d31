"""Seed the default risk policies and propagation rules (existing rows are never overwritten)."""
from django.db import migrations


def seed(apps, schema_editor):
    from apps.screening.defaults import DEFAULT_POLICIES, DEFAULT_PROPAGATION_RULES

    RiskPolicy = apps.get_model("screening", "RiskPolicy")
    PropagationRule = apps.get_model("screening", "PropagationRule")
    for (name, regime, source_code, pattern, status, categories, other, propagation, priority, start, until,
         citation) in DEFAULT_POLICIES:
        RiskPolicy.objects.get_or_create(name=name, defaults=dict(
            regime=regime, source_code=source_code, sub_list_pattern=pattern, status=status,
            categories=list(categories), other_status=other, propagation=propagation, priority=priority,
            effective_from=start, effective_until=until, citation=citation,
        ))
    for (propagation, threshold, inclusive, control, start, susp_from, susp_until, verify, citation,
         notes) in DEFAULT_PROPAGATION_RULES:
        PropagationRule.objects.get_or_create(propagation=propagation, defaults=dict(
            threshold_percent=threshold, threshold_inclusive=inclusive, control_counts=control,
            effective_from=start, suspended_from=susp_from, suspended_until=susp_until,
            needs_verification=verify, citation=citation, notes=notes,
        ))


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
