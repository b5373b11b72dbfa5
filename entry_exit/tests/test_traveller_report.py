"""The traveller's own report (the right of access): identity checked first, written in the
traveller's language, a standalone printable page; generating it is logged and audited."""

import base64
import hashlib
import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from entry_exit.models import (
    AccessLogEntry,
    AccessPurpose,
    BatchStatus,
    ExchangeBatch,
    OutboundItem,
    TravellerReport,
)
from entry_exit.services import EntryExitError, traveller_report_create
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory
from entry_exit.tests.people import Role, analyst, operator, programme_admin, staff

pytestmark = pytest.mark.django_db

URL = "entry_exit:traveller_report"
FIELDS = {
    "identity_check": "document_seen",
    "request_reference": "A-2026-00123",
    "language": "en",
    "document_number": "P1234567",
    "document_country": "DEU",
}


def _client(user) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


@pytest.fixture
def traveller():
    """A land entry at Douglas (Pacific) sent to the US, one at Queenston (Eastern) not yet
    sent, a US land entry (an exit) and an air exit; and someone else's crossing."""
    douglas = PortFactory(name="Douglas", region="BC", time_zone="America/Vancouver")
    queenston = PortFactory(name="Queenston", time_zone="America/Toronto")
    same = {"document_number": "P1234567", "document_country": "DEU"}
    sent = CrossingRecordFactory(
        port=douglas, occurred_at=datetime(2026, 7, 10, 20, 30, tzinfo=UTC), **same
    )
    waiting = CrossingRecordFactory(
        port=queenston, occurred_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC), **same
    )
    exit_us = CrossingRecordFactory(
        us_entry=True, occurred_at=datetime(2026, 7, 20, 16, 0, tzinfo=UTC), **same
    )
    air = CrossingRecordFactory(
        air_exit=True, occurred_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC), **same
    )
    CrossingRecordFactory(document_number="Z9999999", surname="Someone")
    batch = ExchangeBatch.objects.create(
        direction="outbound",
        partner="cbp",
        phase=1,
        status=BatchStatus.SENT,
        created_at=datetime(2026, 7, 10, 20, 35, tzinfo=UTC),
        sent_at=datetime(2026, 7, 10, 20, 36, tzinfo=UTC),
    )
    pending = ExchangeBatch.objects.create(
        direction="outbound",
        partner="cbp",
        phase=1,
        status=BatchStatus.FAILED,
        created_at=datetime(2026, 3, 2, 15, 5, tzinfo=UTC),
    )
    for record, into in ((sent, batch), (waiting, pending)):
        OutboundItem.objects.create(
            batch=into,
            record=record,
            phase=1,
            status=record.status,
            nationality=record.nationality,
            event=record.event,
        )
    return {"sent": sent, "waiting": waiting, "exit": exit_us, "air": air, "batch": batch}


def test_the_report_lists_the_crossings_and_what_was_shared_and_is_logged(traveller):
    user = analyst()
    response = _client(user).post(reverse(URL), FIELDS)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert "Travel history report" in page and "A-2026-00123" in page
    assert "Identity document seen in person" in page
    assert "Müller, Anne-Sophie" in page and "17 May 1984" in page
    # Oldest first, each in its port's local time; the air exit in UTC.
    assert page.index("2 March 2026, 10:00") < page.index("1 May 2026, 12:00")
    assert page.index("1 May 2026, 12:00") < page.index("10 July 2026, 13:30")
    assert "(Pacific time)" in page and "(Eastern time)" in page and "(UTC)" in page
    assert "Exit from Canada by air" in page and "(exit from Canada)" in page
    shared = page[page.index("What was shared with the United States") :]
    assert f"<td>{traveller['batch'].pk}</td>" in shared and "10 July 2026" in shared
    assert "Not sent yet" in shared
    assert "Someone" not in page and "Z9999999" not in page
    assert "Under the rules in force, records of Canadian citizens" in page

    entry = AccessLogEntry.objects.get()
    assert entry.user == user and entry.purpose == AccessPurpose.RIGHT_OF_ACCESS
    assert entry.record_ids == sorted(r.pk for r in traveller.values() if hasattr(r, "surname"))
    report = TravellerReport.objects.get()
    assert (report.consultation, report.generated_by, report.language) == (entry, user, "en")
    assert (report.record_count, report.shared_count) == (4, 1)
    assert report.identity_check == "document_seen"
    event = AuditEvent.objects.get(action="travellerreport.generated")
    assert event.actor == user and event.target_id == str(report.pk)
    assert event.data == {
        "consultation": entry.sequence,
        "identity_check": "document_seen",
        "language": "en",
        "records": 4,
        "shared": 1,
    }


def test_the_report_is_in_the_travellers_language_not_the_analysts(traveller):
    response = _client(analyst()).post(reverse(URL), {**FIELDS, "language": "fr"})

    page = response.content.decode()
    assert '<html lang="fr">' in page and response["Content-Language"] == "fr"
    # Dates, zones and the event's name in French (the analyst's page is in English).
    assert "10 juillet 2026" in page and "heure du Pacifique" in page
    assert "Travel history report" not in page or not _has_french("Travel history report")
    assert TravellerReport.objects.get().language == "fr"


def test_an_analyst_working_in_french_can_give_a_report_in_english(traveller):
    with translation.override("fr"):
        url = reverse(URL)
    page = _client(analyst()).post(url, FIELDS).content.decode()
    assert '<html lang="en">' in page and "10 July 2026" in page and "juillet" not in page


def _has_french(msgid: str) -> bool:
    with translation.override("fr"):
        return translation.gettext(msgid) != msgid


def test_the_report_is_a_standalone_page_whose_own_styles_alone_are_allowed(traveller):
    response = _client(analyst()).post(reverse(URL), FIELDS)
    page = response.content.decode()

    [style] = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert "@media print" in style and "@page" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = response["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "<script" not in page and "<link" not in page and "<form" not in page
    assert "no-store" in response["Cache-Control"]


def test_no_crossing_gives_a_report_that_says_so_and_is_logged(traveller):
    page = (
        _client(analyst())
        .post(reverse(URL), {**FIELDS, "document_number": "NOBODY1", "document_country": "CAN"})
        .content.decode()
    )
    assert "We hold no crossing record matching the details you gave." in page
    assert "None of your records has been shared with the United States." in page
    assert AccessLogEntry.objects.get().record_ids == []


@pytest.mark.parametrize(
    "change",
    [
        {"identity_check": ""},
        {"identity_check": "trust_me"},
        {"request_reference": ""},
        {"request_reference": "A\x00"},
        {"language": "de"},
        {"document_country": ""},
        {"document_number": "", "document_country": "", "surname": "Müller"},
    ],
)
def test_without_an_identity_check_or_criteria_nothing_is_shown_or_logged(traveller, change):
    response = _client(analyst()).post(reverse(URL), {**FIELDS, **change})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<style>" not in page and "Anne-Sophie" not in page and "Douglas" not in page
    assert not AccessLogEntry.objects.exists() and not TravellerReport.objects.exists()


def test_by_name_and_date_of_birth(traveller):
    fields = {**FIELDS, "document_number": "", "document_country": ""}
    fields.update(surname="MUELLER", date_of_birth="1984-05-17")
    page = _client(programme_admin()).post(reverse(URL), fields).content.decode()
    assert "Douglas" in page
    assert AccessLogEntry.objects.get().criteria_kind == "name_dob"


def test_the_service_refuses_what_the_form_would_not_let_through():
    user = analyst()
    arguments = {
        "user": user,
        "records": [],
        "criteria_kind": "document",
        "criteria_ref": "x" * 64,
        "identity_check": "document_seen",
        "request_reference": "A-1",
        "language": "fr",
    }
    for change, code in (
        ({"identity_check": "none"}, "identity_unchecked"),
        ({"request_reference": " "}, "report_incomplete"),
        ({"language": "de"}, "report_incomplete"),
    ):
        with pytest.raises(EntryExitError) as refused:
            traveller_report_create(**{**arguments, **change})
        assert refused.value.code == code
    assert not AccessLogEntry.objects.exists()


MAY = {Role.ENTRY_EXIT_ANALYST, Role.PROGRAMME_ADMIN}


@pytest.mark.parametrize(
    "role",
    sorted(
        [
            Role.ENTRY_EXIT_ANALYST,
            Role.ENTRY_EXIT_OPERATOR,
            Role.PROGRAMME_ADMIN,
            Role.CBSA_OFFICER,
            Role.CBP_OFFICER,
            Role.CENTRE_ADMIN,
        ]
    ),
)
def test_only_analysts_and_administrators_open_the_report_page(traveller, role):
    client = _client(staff(role))
    expected = 200 if role in MAY else 404
    assert client.get(reverse(URL)).status_code == expected
    assert client.post(reverse(URL), FIELDS).status_code == expected
    assert TravellerReport.objects.count() == (1 if role in MAY else 0)


def test_applicants_get_404(traveller, applicant):
    client = Client()
    client.force_login(applicant.user)
    assert client.get(reverse(URL)).status_code == 404
    assert client.post(reverse(URL), FIELDS).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_the_look_up_does_not_offer_the_right_of_access_purpose(traveller):
    client = _client(analyst())
    page = client.get(reverse("entry_exit:look_up")).content.decode()
    assert 'value="right_of_access"' not in page
    response = client.post(
        reverse("entry_exit:look_up"),
        {"purpose": "right_of_access", "document_number": "P1234567", "document_country": "DEU"},
    )
    assert "crossings found" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_the_report_form_is_linked_for_analysts_not_operators():
    url = reverse(URL)
    assert url in _client(analyst()).get(reverse("entry_exit:look_up")).content.decode()
    assert url not in _client(operator()).get(reverse("entry_exit:exchange")).content.decode()


def test_a_purged_traveller_has_an_empty_report(traveller):
    from entry_exit.services import crossing_records_purge

    crossing_records_purge(today=date(2100, 1, 1))
    page = _client(analyst()).post(reverse(URL), FIELDS).content.decode()
    assert "We hold no crossing record" in page
