# An empty first migration: each area of this app (see models.py) adds its own
# migration on top of it, so the areas can grow independently.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = []
