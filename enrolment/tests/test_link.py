"""Linking a portal account to the application the agencies hold: the service, the page,
and the migration that made the account optional."""

import datetime
import importlib
import json
import re
from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from centres.models import StaffProfile
from common.errors import ApplicationError
from common.models import AuditEvent
from enrolment.models import Applicant, Application
from enrolment.services import application_link
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "NX2026000002"
BORN = datetime.date(1985, 6, 15)
LINK = "/en/my/link/"
DASHBOARD = "/en/my/"
NO_MATCH = (
    "We could not find an application with this number and date of birth. Check both "
    "against your conditional-approval letter."
)


@pytest.fixture
def unlinked():
    """An applicant the agencies know, with two applications, and no portal account yet."""
    applicant = ApplicantFactory(
        user=None, given_names="Amélie", surname="O'Brien", date_of_birth=BORN
    )
    ApplicationFactory(applicant=applicant, number=NUMBER)
    ApplicationFactory(applicant=applicant, number="NX2026000003", pending=True)
    return applicant


@pytest.fixture
def user():
    return UserFactory(username="amelie", email="amelie@example.com")


def link(user, number=NUMBER, date_of_birth=BORN) -> Application:
    return application_link(user=user, number=number, date_of_birth=date_of_birth)


def refusal(user, number=NUMBER, date_of_birth=BORN) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        link(user, number, date_of_birth)
    return error.value


def snapshot():
    """Everything a link may change."""
    return (
        list(Applicant.objects.order_by("pk").values_list("pk", "user", "preferred_language")),
        list(AuditEvent.objects.order_by("pk").values_list("pk", "action")),
    )


# The service -----------------------------------------------------------------------------------


def test_linking_gives_the_account_every_application_of_the_applicant(unlinked, user):
    application = link(user)

    unlinked.refresh_from_db()
    assert application.number == NUMBER
    assert unlinked.user == user
    assert user.applicant == unlinked
    linked = Application.objects.filter(applicant__user=user)
    assert sorted(linked.values_list("number", flat=True)) == [NUMBER, "NX2026000003"]


def test_linking_keeps_the_active_language_as_the_applicants(unlinked, user):
    with translation.override("fr"):
        link(user)

    unlinked.refresh_from_db()
    assert unlinked.preferred_language == "fr"


def test_linking_in_english_makes_english_the_applicants_language(user):
    applicant = ApplicantFactory(user=None, date_of_birth=BORN, preferred_language="fr")
    ApplicationFactory(applicant=applicant, number=NUMBER)

    link(user)

    applicant.refresh_from_db()
    assert applicant.preferred_language == "en"


def test_linking_writes_an_audit_row_without_personal_data(unlinked, user):
    application = link(user)

    event = AuditEvent.objects.get(action="application.linked")
    assert event.actor == user
    assert event.target_id == str(unlinked.pk)
    assert event.data == {"application": application.pk}
    dump = json.dumps([event.target_id, event.data])
    for personal in (NUMBER, "1985", "Amélie", "Brien", "amelie"):
        assert personal not in dump


@pytest.mark.parametrize("number", ["nx2026000002", " NX 2026 000 002 ", "nx2026\t000002"])
def test_the_number_is_matched_ignoring_spaces_and_case(unlinked, user, number):
    link(user, number=number)

    unlinked.refresh_from_db()
    assert unlinked.user == user


def test_a_wrong_date_of_birth_and_an_unknown_number_look_the_same(unlinked, user):
    before = snapshot()

    wrong_birthday = refusal(user, date_of_birth=datetime.date(1985, 6, 16))
    unknown_number = refusal(user, number="NX2026999999")

    for error in (wrong_birthday, unknown_number):
        assert error.code == "no_match"
        assert error.kind == "invalid"
        assert error.message == NO_MATCH
    assert snapshot() == before


def test_five_misses_lock_the_account_out_even_with_the_right_details(unlinked, user):
    before = snapshot()

    codes = [refusal(user, number=f"NX20269999{n:02d}").code for n in range(5)]

    assert codes == ["no_match"] * 4 + ["locked"]
    assert refusal(user).code == "locked"
    assert snapshot() == before


def test_the_lock_out_ends_after_15_minutes(unlinked, user):
    with time_machine.travel(datetime.datetime(2027, 3, 16, 12, 0, tzinfo=datetime.UTC)) as clock:
        for _attempt in range(5):
            refusal(user, number="NX2026999999")
        clock.shift(datetime.timedelta(minutes=14))
        assert refusal(user).code == "locked"
        clock.shift(datetime.timedelta(minutes=1, seconds=1))

        link(user)

    unlinked.refresh_from_db()
    assert unlinked.user == user


def test_the_lock_out_is_per_account(unlinked, user):
    for _attempt in range(5):
        refusal(user, number="NX2026999999")

    someone_else = UserFactory()
    link(someone_else)

    unlinked.refresh_from_db()
    assert unlinked.user == someone_else


def test_a_link_clears_the_count_of_misses(unlinked, user):
    for _attempt in range(4):
        refusal(user, number="NX2026999999")
    link(user)
    Applicant.objects.filter(pk=unlinked.pk).update(user=None)  # undone by the help line

    codes = [refusal(user, number="NX2026999999").code for _attempt in range(4)]

    assert codes == ["no_match"] * 4


def test_an_application_already_linked_to_this_account_is_refused(unlinked, user):
    link(user)
    before = snapshot()

    error = refusal(user)

    assert (error.code, error.kind) == ("already_linked", "conflict")
    assert snapshot() == before


def test_a_file_linked_to_another_account_is_a_miss_like_any_other(unlinked, user):
    owner = UserFactory()
    link(owner)
    before = snapshot()

    right_birthday = refusal(user)
    wrong_birthday = refusal(user, date_of_birth=datetime.date(1985, 6, 16))

    for error in (right_birthday, wrong_birthday):
        assert (error.code, error.kind, error.message) == ("no_match", "invalid", NO_MATCH)
    assert snapshot() == before
    unlinked.refresh_from_db()
    assert unlinked.user == owner


def test_asking_for_a_file_linked_to_another_account_counts_towards_the_lock(unlinked, user):
    link(UserFactory())

    codes = [refusal(user).code for _attempt in range(5)]

    assert codes == ["no_match"] * 4 + ["locked"]


@pytest.mark.parametrize("date_of_birth", [BORN, datetime.date(1985, 6, 16)])
def test_an_account_linked_to_another_person_cannot_take_a_second_file(
    unlinked, user, date_of_birth
):
    ApplicantFactory(user=user)
    before = snapshot()

    # The same answer whether the details were right: it is about this account only.
    error = refusal(user, date_of_birth=date_of_birth)

    assert (error.code, error.kind) == ("account_taken", "conflict")
    assert snapshot() == before


def test_the_file_of_an_applicant_who_signed_up_with_the_account_is_theirs_already(user):
    applicant = ApplicantFactory(user=user, date_of_birth=BORN)
    ApplicationFactory(applicant=applicant, number=NUMBER)

    assert refusal(user).code == "already_linked"


# The page --------------------------------------------------------------------------------------


def without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_the_link_page_needs_a_signed_in_user(client):
    response = client.get(LINK)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('common:sign_in')}?next={LINK}"


def test_the_link_page_shows_the_form(client, user):
    client.force_login(user)

    response = client.get(LINK)

    assert response.status_code == 200
    assert 'name="number"' in response.text
    # The date of birth as the design system's date input: year, month, day, one fieldset.
    for part in ("year", "month", "day"):
        assert f'name="date_of_birth_{part}"' in response.text
    assert "<legend>Date of birth" in response.text


@pytest.mark.parametrize(
    ("parts", "valid"),
    [
        ({"year": "1985", "month": "6", "day": "15"}, True),
        ({"year": " 1985 ", "month": "06", "day": "5"}, False),  # a date, not the right one
        ({"year": "85", "month": "6", "day": "15"}, False),  # a year of two digits
        ({"year": "1985", "month": "2", "day": "30"}, False),  # no such day
        ({"year": "١٩٨٥", "month": "6", "day": "15"}, False),  # digits that are not ASCII
        ({"year": "1985", "month": "13", "day": "15"}, False),
        ({"year": "", "month": "", "day": ""}, False),  # required
    ],
)
def test_the_date_of_birth_in_three_parts(client, user, parts, valid):
    ApplicationFactory(
        number="NX2026000111", applicant__user=None, applicant__date_of_birth=date(1985, 6, 15)
    )
    client.force_login(user)
    data = {"number": "NX2026000111", **{f"date_of_birth_{k}": v for k, v in parts.items()}}

    response = client.post(LINK, data, HTTP_ACCEPT_LANGUAGE="fr")

    if valid:
        assert response.status_code == 302
    else:
        assert response.status_code in (200, 400)
        assert response.context["form"].errors
        html = response.content.decode()
        assert "date_of_birth_error" in html or parts["day"] == "5"  # tied to the fieldset
        # The parts come back as typed: nothing is lost.
        if parts["year"].strip():
            assert f'name="date_of_birth_year" value="{parts["year"].strip()}"' in html
        if parts["month"] in {str(n) for n in range(1, 13)}:
            assert f'<option value="{parts["month"]}" selected>' in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"number": "", "date_of_birth": "1985-06-15"}, "number"),
        ({"number": NUMBER, "date_of_birth": ""}, "date_of_birth"),
        ({"number": NUMBER, "date_of_birth": "not a date"}, "date_of_birth"),
        ({"number": "X" * 21, "date_of_birth": "1985-06-15"}, "number"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_field_error(client, user, unlinked, data, field):
    client.force_login(user)
    before = snapshot()

    response = client.post(LINK, data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'id="id_{field}_error"' in response.text
    assert snapshot() == before


def test_a_mismatch_shows_the_form_again_with_the_message(client, user, unlinked):
    client.force_login(user)
    before = snapshot()

    response = client.post(LINK, {"number": NUMBER, "date_of_birth": "1985-06-16"})

    assert response.status_code == 400
    assert NO_MATCH in response.text
    assert snapshot() == before


def test_a_file_linked_elsewhere_is_told_on_the_page_as_a_miss_and_then_a_lock_out(
    client, user, unlinked
):
    client.force_login(UserFactory())
    client.post(LINK, {"number": NUMBER, "date_of_birth": "1985-06-15"})
    client.force_login(user)

    taken = client.post(LINK, {"number": NUMBER, "date_of_birth": "1985-06-15"})
    misses = [
        client.post(LINK, {"number": "NX2026999999", "date_of_birth": "1985-06-15"})
        for _attempt in range(4)
    ]

    assert taken.status_code == 400
    assert NO_MATCH in taken.text
    assert "already linked" not in taken.text
    assert [miss.status_code for miss in misses] == [400] * 3 + [429]
    assert "Too many attempts" in misses[-1].text


def test_a_right_date_of_birth_on_a_file_linked_elsewhere_answers_as_a_wrong_one_does(
    client, user, unlinked
):
    # The same request twice, once where its date of birth is the file's and once where it
    # is not: the two answers must not differ in a single byte.
    link(UserFactory())
    data = {"number": NUMBER, "date_of_birth": "1985-06-15"}
    # Frozen, so that the Expires header is the same second for both.
    with time_machine.travel(
        datetime.datetime(2027, 3, 16, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        client.force_login(user)
        right = client.post(LINK, data)
        Applicant.objects.filter(pk=unlinked.pk).update(date_of_birth=datetime.date(1985, 6, 16))
        wrong = client.post(LINK, data)

    assert right.status_code == wrong.status_code == 400
    assert NO_MATCH in right.text
    assert dict(right.items()) == dict(wrong.items())
    # The CSRF token is masked afresh on every page, whatever the answer.
    assert without_csrf_token(right.content) == without_csrf_token(wrong.content)


def test_a_link_goes_to_the_dashboard_which_then_shows_the_application(client, user, unlinked):
    client.force_login(user)

    response = client.post(LINK, {"number": f" {NUMBER.lower()} ", "date_of_birth": "1985-06-15"})

    assert response.status_code == 302
    assert response["Location"] == reverse("enrolment:dashboard") == DASHBOARD
    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert f"Application {NUMBER}" in dashboard.text
    assert "Application NX2026000003" in dashboard.text


def test_a_link_from_the_french_page_makes_french_the_applicants_language(client, user, unlinked):
    client.force_login(user)

    response = client.post("/fr/my/link/", {"number": NUMBER, "date_of_birth": "1985-06-15"})

    assert response["Location"] == "/fr/my/"
    unlinked.refresh_from_db()
    assert unlinked.preferred_language == "fr"


# Migration 0003: the name on file was the account's --------------------------------------------

migration = importlib.import_module(
    "enrolment.migrations.0003_applicant_names_and_optional_account"
)


def test_the_migration_copies_the_names_from_the_accounts():
    named = ApplicantFactory(
        given_names="", surname="", user__first_name="Amélie", user__last_name="O'Brien"
    )
    nameless = ApplicantFactory(
        given_names="", surname="", user__username="jbloggs", user__first_name="",
        user__last_name="",
    )  # fmt: skip

    migration.copy_names_from_accounts(apps, None)
    migration.copy_names_from_accounts(apps, None)  # safe to run twice

    named.refresh_from_db()
    nameless.refresh_from_db()
    assert (named.given_names, named.surname) == ("Amélie", "O'Brien")
    # A surname is required: an account without names leaves its username there.
    assert (nameless.given_names, nameless.surname) == ("", "jbloggs")


# Staff accounts ------------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}])
def test_a_staff_account_is_refused_before_anything_is_looked_up(unlinked, flags):
    staff = UserFactory(**flags)
    before = snapshot()

    error = refusal(staff)

    assert (error.code, error.kind) == ("staff_account", "forbidden")
    assert snapshot() == before


def test_an_officer_account_is_refused_too(unlinked):
    officer = UserFactory()
    StaffProfile.objects.create(user=officer, role=StaffProfile.Role.CBSA_OFFICER)

    assert refusal(officer).code == "staff_account"
    unlinked.refresh_from_db()
    assert unlinked.user is None
