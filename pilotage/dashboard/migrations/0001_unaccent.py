# PostgreSQL's unaccent, for accent-insensitive search (a no-op on SQLite, which folds
# accents in Python: see pilotage.dashboard.search).
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [UnaccentExtension()]
