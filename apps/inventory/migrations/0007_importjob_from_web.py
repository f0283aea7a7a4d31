# ImportJob joins the inventory app's state; its table was renamed by web.0002 (no database change here).

import apps.inventory.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('inventory', '0006_equipment_site_product_model_index'),
        ('web', '0002_importjob_moves_to_inventory'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.CharField(default=apps.inventory.models._import_token, max_length=32, unique=True)),
                        ('kind', models.CharField(max_length=16)),
                        ('fmt', models.CharField(max_length=8)),
                        ('filename', models.CharField(max_length=255)),
                        ('path', models.CharField(max_length=500)),
                        ('size', models.PositiveBigIntegerField(default=0)),
                        ('status', models.CharField(choices=[('validating', 'Checking rows'), ('valid', 'Ready to import'), ('invalid', 'Has errors'), ('committing', 'Saving'), ('committed', 'Imported'), ('failed', 'Failed')], default='validating', max_length=16)),
                        ('total_rows', models.PositiveIntegerField(default=0)),
                        ('processed_rows', models.PositiveIntegerField(default=0)),
                        ('report', models.JSONField(blank=True, default=dict)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['organization', '-created_at'], name='web_importj_organiz_abd9c3_idx')],
                    },
                ),
            ],
        ),
        # the index keeps its meaning; only its generated name follows the new table name
        migrations.RenameIndex(
            model_name='importjob',
            new_name='inventory_i_organiz_a92775_idx',
            old_name='web_importj_organiz_abd9c3_idx',
        ),
    ]
