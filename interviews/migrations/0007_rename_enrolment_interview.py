# The model Enrolment is renamed Interview (the enrolment/ app is something else:
# applicants, applications, memberships). Renames only, so every row is kept: the table
# interviews_enrolment becomes interviews_interview, the history's column enrolment_id
# becomes interview_id, and Application's reverse accessor becomes ``interview``. The
# verbose names, and the constraint and index names, are unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('interviews', '0006_date_bounds'),
    ]

    operations = [
        migrations.RenameModel(
            old_name='Enrolment',
            new_name='Interview',
        ),
        migrations.RenameField(
            model_name='enrolmentevent',
            old_name='enrolment',
            new_name='interview',
        ),
        migrations.AlterField(
            model_name='interview',
            name='application',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='interview', to='enrolment.application'),
        ),
    ]
