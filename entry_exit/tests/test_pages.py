from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from centres.models import StaffProfile
from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from entry_exit.models import AccessLogEntry, BatchStatus, ExchangeBatch
from entry_exit.services import access_log_verify
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory
from entry_exit.tests.people import Role, analyst, operator, programme_admin, staff

pytestmark = pytest.mark.django_db

PAGES = ["entry_exit:home", "entry_exit:look_up", "entry_exit:exchange", "entry_exit:access_log"]
# Who may open which page (everything else is a 404).
MAY = {
    Role.ENTRY_EXIT_ANALYST: {"entry_exit:home", "entry_exit:look_up"},
    Role.ENTRY_EXIT_OPERATOR: {"entry_exit:home", "entry_exit:exchange"},
    Role.PROGRAMME_ADMIN: set(PAGES),
    Role.CBSA_OFFICER: set(),
    Role.CBP_OFFICER: set(),
    Role.CENTRE_ADMIN: set(),
}


def _client(user) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


def _look_up(client, **fields):
    return client.post(reverse("entry_exit:look_up"), fields)


@pytest.fixture
def traveller():
    """Three crossings of one traveller (two ports in two zones, one air exit) and one of
    someone else with the same surname."""
    toronto = PortFactory(name="Queenston", time_zone="America/Toronto")
    vancouver = PortFactory(name="Douglas", region="BC", time_zone="America/Vancouver")
    records = [
        CrossingRecordFactory(
            port=toronto,
            document_number="P1234567",
            document_country="DEU",
            occurred_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        ),
        CrossingRecordFactory(
            port=vancouver,
            document_number="P1234567",
            document_country="DEU",
            occurred_at=datetime(2026, 7, 10, 20, 30, tzinfo=UTC),
        ),
        CrossingRecordFactory(
            air_exit=True,
            document_number="P1234567",
            document_country="DEU",
            occurred_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        ),
    ]
    CrossingRecordFactory(date_of_birth=date(1990, 1, 1), document_number="Z9999999")
    return records


@pytest.mark.parametrize("role", sorted(MAY))
@pytest.mark.parametrize("name", PAGES)
def test_each_role_opens_only_its_pages(role, name):
    response = _client(staff(role)).get(reverse(name))
    if name in MAY[role]:
        assert response.status_code in (200, 302)
        assert (
            response["Cache-Control"].startswith("max-age=0")
            or "no-store" in response["Cache-Control"]
        )
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_applicants_get_404_and_strangers_sign_in(applicant, name):
    client = Client()
    client.force_login(applicant.user)
    assert client.get(reverse(name)).status_code == 404
    assert Client().get(reverse(name)).status_code == 302


def test_staff_without_the_code_step_are_sent_to_it():
    client = Client()
    client.force_login(analyst())
    response = client.get(reverse("entry_exit:look_up"))
    assert response.status_code == 302
    assert reverse("common:verify") in response["Location"]


def test_look_up_without_a_purpose_shows_nothing_and_logs_nothing(traveller):
    response = _look_up(_client(analyst()), document_number="P1234567", document_country="DEU")
    assert response.status_code == 200
    assert "P1234567" not in response.content.decode().split("<form")[0]
    assert "Müller" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_other_purpose_needs_words(traveller):
    client = _client(analyst())
    response = _look_up(client, purpose="other", document_number="P1234567", document_country="DEU")
    assert "Müller" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()
    _look_up(
        client,
        purpose="other",
        purpose_text="Audit sample",
        document_number="P1234567",
        document_country="DEU",
    )
    assert AccessLogEntry.objects.get().purpose_text == "Audit sample"


def test_look_up_by_document_shows_the_timeline_in_each_ports_time(traveller):
    user = analyst()
    response = _look_up(
        _client(user), purpose="investigation", document_number="p1234567", document_country="deu"
    )
    page = response.content.decode()
    assert "3 crossings found" in page
    # Newest first, each in its port's zone: 20:30 UTC in July is 13:30 in Vancouver.
    assert page.index("10 July 2026 at 13:30</time> (Pacific time)") < page.index(
        "1 May 2026 at 12:00</time> (UTC)"
    )
    assert page.index("1 May 2026 at 12:00") < page.index("2 March 2026 at 10:00</time> (Eastern")
    assert "Pacific time" in page and "Eastern time" in page and "(UTC)" in page
    assert "Entry into Canada at a land port" in page and "Exit from Canada by air" in page
    entry = AccessLogEntry.objects.get()
    assert entry.user == user
    assert entry.purpose == "investigation"
    assert entry.criteria_kind == "document"
    assert entry.record_ids == sorted(record.pk for record in traveller)
    assert "P1234567" not in entry.criteria_ref and len(entry.criteria_ref) == 64


def test_look_up_by_name_and_date_of_birth(traveller):
    response = _look_up(
        _client(programme_admin()),
        purpose="data_quality",
        surname="mueller",  # its ICAO form is that of "Müller"
        date_of_birth="1984-05-17",
    )
    assert "3 crossings found" in response.content.decode()
    assert AccessLogEntry.objects.get().criteria_kind == "name_dob"


def test_an_empty_result_is_logged_too(traveller):
    response = _look_up(
        _client(analyst()),
        purpose="traveller_request",
        document_number="NOBODY1",
        document_country="CAN",
    )
    assert "No crossing matches these details." in response.content.decode()
    assert AccessLogEntry.objects.get().record_ids == []


@pytest.mark.parametrize(
    "fields",
    [
        {"document_number": "P1234567"},
        {"surname": "Müller"},
        {"document_number": "P1234567", "document_country": "DEU", "surname": "Müller"},
        {"document_number": "P1234567", "document_country": "XXX"},
        {"surname": "<script>", "date_of_birth": "1984-05-17"},
    ],
)
def test_incomplete_or_mixed_criteria_are_refused(traveller, fields):
    response = _look_up(_client(analyst()), purpose="investigation", **fields)
    assert response.status_code == 200
    assert "crossings found" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_the_log_page_lists_newest_first_with_the_chain_check(traveller):
    admin = programme_admin()
    client = _client(admin)
    for purpose in ("investigation", "legal_request"):
        _look_up(client, purpose=purpose, document_number="P1234567", document_country="DEU")
    page = client.get(reverse("entry_exit:access_log")).content.decode()
    assert "The chain of hashes holds: 2 entries checked." in page
    assert page.index("Legal request") < page.index("Investigation")
    assert "P1234567" not in page
    assert access_log_verify().ok


def _failed_batch() -> ExchangeBatch:
    return ExchangeBatch.objects.create(
        direction="outbound",
        partner="cbp",
        phase=1,
        status=BatchStatus.FAILED,
        file_name="batch-x.jsonl",
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        last_error="OSError: No space left on device",
    )


def test_the_exchange_page_shows_batches_and_row_errors():
    _failed_batch()
    ExchangeBatch.objects.create(
        direction="inbound",
        partner="cbp",
        status=BatchStatus.PARTIALLY_IMPORTED,
        partner_batch_id=41,
        rows_ok=2,
        rows_refused=1,
        checksum="a" * 64,
        created_at=datetime(2026, 3, 3, tzinfo=UTC),
        row_errors=[{"line": 3, "field": "date_of_birth", "code": "x", "reason": "Too old"}],
    )
    page = _client(operator()).get(reverse("entry_exit:exchange")).content.decode()
    assert page.index("Received from the partner") < page.index("Sent to the partner")
    assert "2 imported, 0 already held, 1 refused" in page
    assert "a" * 64 in page and "Too old" in page and "date_of_birth" in page
    assert "Send again now" in page


def test_resend_posts_a_failed_batch_through_the_outbound_service(monkeypatch):
    batch = _failed_batch()
    calls = []

    def send(**kwargs):
        calls.append(kwargs)
        return True

    monkeypatch.setattr("entry_exit.views.outbound_batch_send", send)
    user = operator()
    client = _client(user)
    url = reverse("entry_exit:resend", args=[batch.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert calls[0]["batch"] == batch and calls[0]["actor"] == user


def test_resend_refuses_what_is_not_a_failed_outbound_batch():
    batch = _failed_batch()
    ExchangeBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.SENT)
    client = _client(operator())
    assert client.post(reverse("entry_exit:resend", args=[batch.pk])).status_code == 404
    assert _client(analyst()).post(reverse("entry_exit:resend", args=[batch.pk])).status_code == 404


def test_resend_for_real_retries_and_audits(settings, tmp_path):
    batch = _failed_batch()  # no items: the empty file rebuilds to its checksum
    from entry_exit import exchange_format
    from entry_exit.services.outbound import _body

    ExchangeBatch.objects.filter(pk=batch.pk).update(
        checksum=exchange_format.sha256(_body(batch, []))
    )
    user = operator()
    _client(user).post(reverse("entry_exit:resend", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    assert AuditEvent.objects.filter(action="exchangebatch.sent", actor=user).exists()


def test_pages_in_french(traveller):
    client = _client(programme_admin())
    with translation.override("fr"):
        look_up = reverse("entry_exit:look_up")
        exchange = reverse("entry_exit:exchange")
        log = reverse("entry_exit:access_log")
    assert look_up.startswith("/fr/")
    page = client.get(look_up).content.decode()
    assert "Consultation d'un voyageur" in page and "Pourquoi consultez-vous" in page
    response = client.post(
        look_up,
        {"purpose": "investigation", "document_number": "P1234567", "document_country": "DEU"},
    )
    page = response.content.decode()
    assert "3 passages trouvés" in page and "(heure du Pacifique)" in page
    assert "Échanges avec le partenaire" in client.get(exchange).content.decode()
    assert "Journal des consultations" in client.get(log).content.decode()


def test_the_site_navigation_links_entry_exit_for_its_roles_only():
    url = reverse("entry_exit:home")
    assert url in _client(analyst()).get(reverse("centres:list")).content.decode()
    officer = staff(StaffProfile.Role.CBSA_OFFICER)
    assert url not in _client(officer).get(reverse("centres:list")).content.decode()


def test_entry_exit_staff_are_not_shown_the_officer_console():
    console = reverse("interviews:day_list")
    assert console not in _client(analyst()).get(reverse("centres:list")).content.decode()
    officer = staff(StaffProfile.Role.CBSA_OFFICER)
    assert console in _client(officer).get(reverse("centres:list")).content.decode()
