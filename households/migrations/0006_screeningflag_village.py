"""Each screening flag keeps its household's village, so that the worklist filters and
counts a village's or a township's flags without joining them to the households.

Added empty, filled from the households in one UPDATE (plain SQL, for SQLite and
PostgreSQL alike), then made NOT NULL. On PostgreSQL the new column's foreign key is
checked immediately (Django adds it inline with SET CONSTRAINTS … IMMEDIATE), so no
trigger events are left pending for the ALTER that follows in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_VILLAGES = """
UPDATE households_screeningflag
SET village_id = (
    SELECT households_household.village_id FROM households_household
    WHERE households_household.id = households_screeningflag.household_id
)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('households', '0005_nationalcheckhit_list_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='screeningflag',
            name='village',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.village', verbose_name='行政村'),
        ),
        migrations.RunSQL(FILL_VILLAGES, migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name='screeningflag',
            name='village',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.village', verbose_name='行政村'),
        ),
        migrations.AddIndex(
            model_name='screeningflag',
            index=models.Index(fields=['campaign', 'village', 'due_date'], name='screeningflag_village_due'),
        ),
    ]
