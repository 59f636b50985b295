from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_event_times"),
    ]

    operations = [
        migrations.RenameField(
            model_name="registrychange",
            old_name="created_at",
            new_name="updated_at",
        ),
    ]
