"""The table of the cache every worker shares (settings.CACHES), created by `migrate` so
a fresh install, and every test database, has it."""

from django.core.management import call_command
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

from pilotage.core.cache import TABLE


def create(apps, schema_editor):
    alias = schema_editor.connection.alias
    # The default table whichever cache the settings name (a test may switch to it), then
    # any other database cache they configure.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(alias, TABLE, dry_run=False)
    call_command("createcachetable", database=alias, verbosity=0)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_changes")]

    operations = [migrations.RunPython(create, drop)]
