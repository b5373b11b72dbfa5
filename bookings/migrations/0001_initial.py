# The appointments, held times and earlier-time requests move here from ``interviews``
# (interviews 0001-0007 made their tables). Only Django's picture of the models moves: the
# tables keep their names (``db_table``), so nothing in the database changes and every row
# stays. Their content types follow in interviews 0008.

import datetime
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('interviews', '0007_rename_enrolment_interview'),
        ('centres', '0005_staff_profile_entry_exit_roles'),
        ('enrolment', '0004_date_bounds'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Appointment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('step', models.CharField(choices=[('cbsa', 'CBSA interview'), ('joint', 'Joint CBSA and CBP interview')], max_length=16, verbose_name='interview step')),
                        ('status', models.CharField(choices=[('booked', 'Booked'), ('checked_in', 'Checked in'), ('attended', 'Interviewed'), ('no_show', 'Missed'), ('cancelled', 'Cancelled'), ('rescheduled', 'Moved to another time')], default='booked', max_length=16, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='booked at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='enrolment.application')),
                        ('rescheduled_from', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rescheduled_to', to='bookings.appointment')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='centres.slot')),
                    ],
                    options={
                        'verbose_name': 'appointment',
                        'verbose_name_plural': 'appointments',
                        'db_table': 'interviews_appointment',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SlotHold',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('expires_at', models.DateTimeField(verbose_name='held until')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('application', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='slot_hold', to='enrolment.application')),
                        ('appointment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='bookings.appointment')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holds', to='centres.slot')),
                    ],
                    options={
                        'verbose_name': 'held time',
                        'verbose_name_plural': 'held times',
                        'db_table': 'interviews_slothold',
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('earliest', models.DateField(validators=[django.core.validators.MinValueValidator(datetime.date(1900, 1, 1)), django.core.validators.MaxValueValidator(datetime.date(2199, 12, 31))], verbose_name='from')),
                        ('latest', models.DateField(validators=[django.core.validators.MinValueValidator(datetime.date(1900, 1, 1)), django.core.validators.MaxValueValidator(datetime.date(2199, 12, 31))], verbose_name='until')),
                        ('mornings', models.BooleanField(default=True, verbose_name='mornings (before noon)')),
                        ('afternoons', models.BooleanField(default=True, verbose_name='afternoons (noon to 5 p.m.)')),
                        ('evenings', models.BooleanField(default=True, verbose_name='evenings (from 5 p.m.)')),
                        ('auto_rebook', models.BooleanField(default=False, verbose_name='move me automatically')),
                        ('status', models.CharField(choices=[('active', 'Looking for an earlier time'), ('fulfilled', 'Earlier time found'), ('cancelled', 'Stopped looking')], default='active', max_length=16, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='asked at')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='waitlist_requests', to='enrolment.application')),
                        ('appointment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.appointment')),
                        ('centres', models.ManyToManyField(related_name='+', to='centres.centre', verbose_name='centres')),
                    ],
                    options={
                        'verbose_name': 'earlier-time request',
                        'verbose_name_plural': 'earlier-time requests',
                        'db_table': 'interviews_waitlistrequest',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('offered', 'Offered'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Expired')], default='offered', max_length=16, verbose_name='status')),
                        ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='offered until')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='offered at')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('hold', models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='waitlist_offer', to='bookings.slothold')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.slot')),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offers', to='bookings.waitlistrequest')),
                    ],
                    options={
                        'verbose_name': 'earlier-time offer',
                        'verbose_name_plural': 'earlier-time offers',
                        'db_table': 'interviews_waitlistoffer',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='appointment',
                    index=models.Index(fields=['slot', 'status'], name='appointment_slot_status'),
                ),
                migrations.AddConstraint(
                    model_name='appointment',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['booked', 'checked_in'])), fields=('application', 'step'), name='appointment_one_active_per_step'),
                ),
                migrations.AddIndex(
                    model_name='slothold',
                    index=models.Index(fields=['expires_at'], name='slothold_expiry'),
                ),
                migrations.AddIndex(
                    model_name='waitlistrequest',
                    index=models.Index(condition=models.Q(('status', 'active')), fields=['created_at', 'id'], name='waitlist_active_fifo'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistrequest',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('application',), name='waitlist_one_active_per_application'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistrequest',
                    constraint=models.CheckConstraint(condition=models.Q(('earliest__lte', models.F('latest'))), name='waitlist_window_in_order'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistrequest',
                    constraint=models.CheckConstraint(condition=models.Q(('mornings', True), ('afternoons', True), ('evenings', True), _connector='OR'), name='waitlist_some_time_of_day'),
                ),
                migrations.AddIndex(
                    model_name='waitlistoffer',
                    index=models.Index(fields=['slot', 'status'], name='waitlist_offer_slot_status'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistoffer',
                    constraint=models.UniqueConstraint(fields=('request', 'slot'), name='waitlist_offer_once'),
                ),
            ],
            database_operations=[],
        ),
    ]
