# ImportJob moves to the inventory app (the layer that owns imports). The table is renamed here and the model
# leaves this app's state; inventory.0007 takes the model into its state without touching the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name='ImportJob', table='inventory_importjob')],
            state_operations=[migrations.DeleteModel(name='ImportJob')],
        ),
    ]
