# A cancelled appointment says on its row why it was cancelled and by whom, instead of the
# applicant's history working it out from the audit log. Rows cancelled before this take
# it from their audit row: cancelled with no actor because the enrolment expired (the
# only cancellation the system makes), else by the applicant (the audit row's actor).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def reasons_from_the_audit_log(apps, schema_editor):
    Appointment = apps.get_model("bookings", "Appointment")
    AuditEvent = apps.get_model("common", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.filter(model="appointment", app_label__in=["bookings", "interviews"])
    cancellations = {
        event.target_id: event
        for event in AuditEvent.objects.filter(
            action="appointment.cancelled", target_type__in=types
        ).order_by("pk")
    }
    for appointment in Appointment.objects.filter(status="cancelled", cancel_reason=""):
        event = cancellations.get(str(appointment.pk))
        expired = event is not None and event.actor_id is None
        appointment.cancel_reason = "enrolment_expired" if expired else "applicant"
        appointment.cancelled_by_id = event.actor_id if event is not None else None
        appointment.save(update_fields=["cancel_reason", "cancelled_by"])


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0001_initial'),
        ('common', '0001_initial'),
        ('interviews', '0008_bookings_moved_out'),
        ('centres', '0005_staff_profile_entry_exit_roles'),
        ('enrolment', '0004_date_bounds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='appointment',
            name='cancel_reason',
            field=models.CharField(blank=True, choices=[('applicant', 'Cancelled by the applicant'), ('enrolment_expired', 'Conditional approval expired')], max_length=32, verbose_name='why cancelled'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='cancelled_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='cancelled by'),
        ),
        migrations.RunPython(reasons_from_the_audit_log, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('cancel_reason__gt', ''), ('status', 'cancelled')), models.Q(models.Q(('status', 'cancelled'), _negated=True), ('cancel_reason', ''), ('cancelled_by__isnull', True)), _connector='OR'), name='appointment_cancelled_says_why'),
        ),
    ]
