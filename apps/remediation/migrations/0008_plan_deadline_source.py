"""Plans record their obligation, where their deadline comes from and since when a legal deadline is in breach.
Existing plans take the defaults until their next evaluation (daily, or remediation_evaluate_all) fills them.

The rules' deadline-kind constraint is added here, not in 0007: on PostgreSQL a table cannot be altered in the
transaction that updated its rows while other tables' foreign keys to them have checks pending (0007's data step)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('remediation', '0007_rule_applicability'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='policyrule',
            constraint=models.CheckConstraint(condition=models.Q(('deadline_kind__in', ['none', 'staged']), models.Q(('deadline_kind', 'fixed'), ('deadline_date__isnull', False)), models.Q(('deadline_kind', 'relative'), ('deadline_days__isnull', False)), _connector='OR'), name='policyrule_deadline_kind_has_date'),
        ),
        migrations.AddField(
            model_name='historicalremediationplan',
            name='deadline_source',
            field=models.CharField(choices=[('legal', 'Legal deadline'), ('relative', "The rule's relative period"), ('organization_target', "The organisation's own target"), ('default_target', "The registry's default target")], default='legal', help_text="Where the computed deadline comes from: a legal date, the rule's period or a target.", max_length=20),
        ),
        migrations.AddField(
            model_name='historicalremediationplan',
            name='in_breach_since',
            field=models.DateField(blank=True, help_text='The cited legal deadline that has passed for this organisation; empty otherwise.', null=True),
        ),
        migrations.AddField(
            model_name='historicalremediationplan',
            name='obligation',
            field=models.CharField(choices=[('do_not_procure', 'Do not procure (in force since a date; no removal deadline)'), ('remove_or_replace', 'Remove or replace'), ('mitigate', 'Mitigate (e.g. disconnect vendor remote access)'), ('report', 'Report')], default='remove_or_replace', max_length=20),
        ),
        migrations.AddField(
            model_name='remediationplan',
            name='deadline_source',
            field=models.CharField(choices=[('legal', 'Legal deadline'), ('relative', "The rule's relative period"), ('organization_target', "The organisation's own target"), ('default_target', "The registry's default target")], default='legal', help_text="Where the computed deadline comes from: a legal date, the rule's period or a target.", max_length=20),
        ),
        migrations.AddField(
            model_name='remediationplan',
            name='in_breach_since',
            field=models.DateField(blank=True, help_text='The cited legal deadline that has passed for this organisation; empty otherwise.', null=True),
        ),
        migrations.AddField(
            model_name='remediationplan',
            name='obligation',
            field=models.CharField(choices=[('do_not_procure', 'Do not procure (in force since a date; no removal deadline)'), ('remove_or_replace', 'Remove or replace'), ('mitigate', 'Mitigate (e.g. disconnect vendor remote access)'), ('report', 'Report')], default='remove_or_replace', max_length=20),
        ),
    ]
