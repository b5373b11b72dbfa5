"""Data migration: applications booked before enrolments existed get one, in its
initial state, so officers can find them. Reversing it leaves the rows (noop)."""

from django.db import migrations


def create_enrolments(apps, schema_editor):
    Application = apps.get_model("enrolment", "Application")
    Enrolment = apps.get_model("interviews", "Enrolment")
    booked = Application.objects.filter(appointments__isnull=False, enrolment__isnull=True)
    Enrolment.objects.bulk_create(
        [Enrolment(application_id=pk) for pk in booked.values_list("pk", flat=True).distinct()],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("interviews", "0002_workflow")]

    operations = [migrations.RunPython(create_enrolments, migrations.RunPython.noop)]
