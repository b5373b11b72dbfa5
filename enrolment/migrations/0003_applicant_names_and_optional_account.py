from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def copy_names_from_accounts(apps, schema_editor):
    """The name on file was the account's name until now: copy it to the applicant."""
    Applicant = apps.get_model("enrolment", "Applicant")
    for applicant in Applicant.objects.select_related("user"):
        applicant.given_names = applicant.user.first_name
        applicant.surname = applicant.user.last_name or applicant.user.username
        applicant.save(update_fields=["given_names", "surname"])


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0002_membership_benefits_extended_until"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="applicant",
            name="given_names",
            field=models.CharField(blank=True, max_length=150, verbose_name="given names"),
        ),
        migrations.AddField(
            model_name="applicant",
            name="surname",
            field=models.CharField(default="", max_length=150, verbose_name="surname"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names_from_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="applicant",
            name="user",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applicant",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
