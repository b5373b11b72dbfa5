from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from entry_exit.models import AccessLogEntry
from entry_exit.reconciliation.models import ExitMatch, Outcome, Stay
from entry_exit.reconciliation.services import reconciliation_run, stays_record
from entry_exit.reconciliation.tests.factories import crossings_matched, exit_match_for_review
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory
from entry_exit.tests.people import Role, analyst, staff

pytestmark = pytest.mark.django_db

PAGES = [
    "entry_exit_reconciliation:figures",
    "entry_exit_reconciliation:figures_csv",
    "entry_exit_reconciliation:queue",
    "entry_exit_reconciliation:overstays",
]


def _client(user) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


@pytest.mark.parametrize(
    "role", [Role.ENTRY_EXIT_OPERATOR, Role.CBSA_OFFICER, Role.CBP_OFFICER, Role.CENTRE_ADMIN]
)
def test_only_analysts_and_programme_admins_see_the_pages(role):
    client = _client(staff(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404
    match = exit_match_for_review()
    for name in ("review", "confirm", "reject"):
        url = reverse(f"entry_exit_reconciliation:{name}", args=[match.pk])
        assert client.post(url, {"entry": 1}).status_code == 404
    assert ExitMatch.objects.get().outcome == Outcome.REVIEW
    for name in PAGES:
        assert _client(staff(Role.PROGRAMME_ADMIN)).get(reverse(name)).status_code == 200


def test_the_figures_show_our_share_next_to_the_public_one_with_charts_and_tables():
    crossings_matched(3)
    response = _client(analyst()).get(reverse("entry_exit_reconciliation:figures"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "50.0 %" in body and "94.5 %" in body
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 2
    assert 'aria-labelledby="chart-days-title chart-days-desc"' in body
    assert body.count("<table>") == 2


def test_the_figures_in_french():
    crossings_matched(1)
    response = _client(analyst()).get(
        reverse("entry_exit_reconciliation:figures").replace("/en/", "/fr/")
    )
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_the_figures_take_a_constant_number_of_queries():
    client = _client(analyst())
    url = reverse("entry_exit_reconciliation:figures")
    crossings_matched(2)
    client.get(url)  # the session's own queries, once
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    crossings_matched(8)
    start = (timezone.now() - timedelta(days=20)).date().isoformat()
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"start": start})
    assert len(many) == len(few)


def test_the_figures_as_csv():
    crossings_matched(2)
    response = _client(analyst()).get(reverse("entry_exit_reconciliation:figures_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("group,day_or_place,exits,matched")
    total = lines[1].split(",")
    assert total[0] == "total" and total[2:5] == ["4", "2", "0"]


def test_a_bad_period_is_refused_in_words():
    client = _client(analyst())
    url = reverse("entry_exit_reconciliation:figures")
    response = client.get(url, {"start": "2026-05-01", "end": "2026-04-01"})
    assert "The start comes after the end." in response.content.decode()
    response = client.get(url, {"start": "2020-01-01", "end": "2026-01-01"})
    assert "at most 366 days" in response.content.decode()
    csv = client.get(reverse("entry_exit_reconciliation:figures_csv"), {"start": "nonsense"})
    assert csv.status_code == 400


def test_opening_a_review_asks_why_and_logs_the_consultation():
    match = exit_match_for_review()
    client = _client(analyst())
    url = reverse("entry_exit_reconciliation:review", args=[match.pk])
    queue = client.get(reverse("entry_exit_reconciliation:queue")).content.decode()
    assert f"#{match.exit_id}" in queue and "Müller" not in queue
    first = client.get(url).content.decode()
    assert "Müller" not in first
    assert AccessLogEntry.objects.count() == 0
    refused = client.post(url, {"purpose": "other"}).content.decode()
    assert "Müller" not in refused and AccessLogEntry.objects.count() == 0
    shown = client.post(url, {"purpose": "data_quality"}).content.decode()
    assert "Müller" in shown
    entry = AccessLogEntry.objects.get()
    assert entry.criteria_kind == "review"
    assert sorted(entry.record_ids) == sorted(
        [match.exit_id, *(item["entry"] for item in match.candidates)]
    )


def test_an_analyst_confirms_or_rejects_from_the_page():
    match = exit_match_for_review()
    client = _client(analyst())
    confirm = reverse("entry_exit_reconciliation:confirm", args=[match.pk])
    assert client.post(confirm, {"entry": "nonsense"}).status_code == 302
    assert ExitMatch.objects.get().outcome == Outcome.REVIEW
    entry = match.candidates[1]["entry"]
    assert client.post(confirm, {"entry": entry}).status_code == 302
    match.refresh_from_db()
    assert (match.outcome, match.entry_id) == (Outcome.MATCHED, entry)
    assert AuditEvent.objects.filter(action="exitmatch.confirmed").exists()
    # No longer in review: gone from the queue, and its actions 404.
    reject = reverse("entry_exit_reconciliation:reject", args=[match.pk])
    assert client.post(reject).status_code == 404
    other = exit_match_for_review()
    client.post(reverse("entry_exit_reconciliation:reject", args=[other.pk]))
    other.refresh_from_db()
    assert other.outcome == Outcome.UNMATCHED


def test_suspected_overstays_say_why_and_clear_when_an_exit_arrives():
    port = PortFactory(time_zone="America/Toronto")
    entered = datetime.now(UTC) - timedelta(days=200)
    entry = CrossingRecordFactory(port=port, occurred_at=entered, document_number="S1")
    citizen = CrossingRecordFactory(
        port=port, occurred_at=entered, status="canadian_citizen", nationality="CAN", surname="Roy"
    )
    stays_record(entry_ids=[entry.pk, citizen.pk])
    assert Stay.objects.count() == 1
    client = _client(analyst())
    url = reverse("entry_exit_reconciliation:overstays")
    body = client.get(url).content.decode()
    assert f"#{entry.pk}" in body and f"#{citizen.pk}" not in body
    assert "Suspected overstays" in body and "Müller" not in body
    stay = Stay.objects.get()
    days_over = (timezone.localdate(timezone=port.tz) - stay.authorised_until).days
    assert f"<td>{days_over}</td>" in body
    # A late exit arrives: the suspicion is gone.
    CrossingRecordFactory(
        us_entry=True, document_number="S1", occurred_at=entered + timedelta(days=190)
    )
    reconciliation_run()
    assert f"#{entry.pk}" not in client.get(url).content.decode()
