# Appointments, held times and earlier-time requests now belong to ``bookings`` (its
# migration 0001): they leave this app's picture of the models only. The tables stay, with
# every row; the history's appointment column keeps pointing at the same table. Their
# content types follow them (the audit log and the permissions point at a model through
# its content type): the rows are renamed, not new ones made, so old audit rows stay
# joined and the permissions granted stay granted.

import django.db.models.deletion
from django.db import migrations, models


MOVED = ["appointment", "slothold", "waitlistrequest", "waitlistoffer"]


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=target, model=model).exists():
            continue  # already there (made by a run that had the new app first)
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_follow(apps, schema_editor):
    _move_content_types(apps, "interviews", "bookings")


def content_types_go_back(apps, schema_editor):
    _move_content_types(apps, "bookings", "interviews")


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0001_initial'),
        ('interviews', '0007_rename_enrolment_interview'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='slothold',
                    name='appointment',
                ),
                migrations.RemoveField(
                    model_name='waitlistrequest',
                    name='appointment',
                ),
                migrations.AlterField(
                    model_name='enrolmentevent',
                    name='appointment',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.appointment'),
                ),
                migrations.RemoveField(
                    model_name='slothold',
                    name='application',
                ),
                migrations.RemoveField(
                    model_name='slothold',
                    name='slot',
                ),
                migrations.RemoveField(
                    model_name='waitlistoffer',
                    name='hold',
                ),
                migrations.RemoveField(
                    model_name='waitlistoffer',
                    name='request',
                ),
                migrations.RemoveField(
                    model_name='waitlistoffer',
                    name='slot',
                ),
                migrations.RemoveField(
                    model_name='waitlistrequest',
                    name='application',
                ),
                migrations.RemoveField(
                    model_name='waitlistrequest',
                    name='centres',
                ),
                migrations.DeleteModel(
                    name='Appointment',
                ),
                migrations.DeleteModel(
                    name='SlotHold',
                ),
                migrations.DeleteModel(
                    name='WaitlistOffer',
                ),
                migrations.DeleteModel(
                    name='WaitlistRequest',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
