"""Legal holds: placed on records a logged look-up showed, lifted as a decision of their
own; a record stays held while any active hold covers it, and retention skips it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from centres.models import StaffProfile
from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from common.tests.threads import run_at_once
from entry_exit.models import AccessLogEntry, CrossingRecord, LegalHold
from entry_exit.services import (
    EntryExitError,
    access_log_append,
    crossing_records_purge,
    legal_hold_lift,
    legal_hold_place,
)
from entry_exit.tests.factories import CrossingRecordFactory
from entry_exit.tests.people import Role, analyst, operator, programme_admin, staff

pytestmark = pytest.mark.django_db

TODAY = date(2041, 3, 3)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _client(user) -> Client:
    client = Client()
    force_login_verified(client, user)
    return client


@pytest.fixture
def records():
    """Two crossings of one traveller (both due for purge on TODAY) and one of another."""
    mine = [
        CrossingRecordFactory(document_number="P1234567", purge_on=TODAY),
        CrossingRecordFactory(document_number="P1234567", purge_on=TODAY),
    ]
    CrossingRecordFactory(document_number="Z9999999", purge_on=TODAY)
    return mine


def _consultation(user, records, at=NOW) -> AccessLogEntry:
    return access_log_append(
        user=user,
        purpose="legal_request",
        criteria_kind="document",
        criteria_ref="x" * 64,
        record_ids=[record.pk for record in records],
        now=at,
    )


def _place(user, records, *, reference="T-1234-26", at=NOW) -> LegalHold:
    return legal_hold_place(
        user=user,
        consultation=_consultation(user, records, at),
        record_ids=[record.pk for record in records],
        basis="court_order",
        reference=reference,
        reason="Order of the Federal Court to preserve the traveller's records.",
        now=at,
    )


def _held(record) -> bool:
    return CrossingRecord.objects.get(pk=record.pk).legal_hold


# --- The service ------------------------------------------------------------------------


def test_a_hold_flags_its_records_and_is_audited(records):
    admin = programme_admin()
    hold = _place(admin, records)

    assert hold.is_active and hold.record_count == 2 and hold.placed_by == admin
    assert set(hold.records.all()) == set(records)
    assert all(_held(record) for record in records)
    assert not CrossingRecord.objects.filter(document_number="Z9999999", legal_hold=True).exists()
    event = AuditEvent.objects.get(action="legalhold.placed")
    assert event.actor == admin and event.target_id == str(hold.pk)
    assert event.data["records"] == sorted(record.pk for record in records)
    assert "reason" not in event.data and "reference" not in event.data


def test_purge_skips_held_records_and_purges_them_after_the_lift(records):
    admin = programme_admin()
    hold = _place(admin, records[:1])

    summary = crossing_records_purge(today=TODAY)

    assert (summary.purged, summary.held) == (2, 1)
    assert list(CrossingRecord.objects.values_list("pk", flat=True)) == [records[0].pk]

    legal_hold_lift(user=admin, hold=hold, grounds="concluded", now=NOW + timedelta(days=1))
    assert not _held(records[0])
    assert crossing_records_purge(today=TODAY).purged == 1
    assert not CrossingRecord.objects.exists()
    hold.refresh_from_db()  # the hold stays, with its count
    assert hold.record_count == 1 and not hold.records.exists()


def test_lifting_one_of_two_holds_keeps_the_record_held(records):
    admin = programme_admin()
    first = _place(admin, records, reference="T-1")
    second = _place(admin, records[:1], reference="T-2")

    legal_hold_lift(user=admin, hold=first, grounds="concluded", note="Judgment final.")

    assert _held(records[0]) and not _held(records[1])
    event = AuditEvent.objects.get(action="legalhold.lifted")
    assert event.data == {"grounds": "concluded", "records": 2, "still_held_by_other_holds": 1}
    crossing_records_purge(today=TODAY)
    assert list(CrossingRecord.objects.values_list("pk", flat=True)) == [records[0].pk]

    legal_hold_lift(user=admin, hold=second, grounds="order_ended")
    assert not _held(records[0])
    crossing_records_purge(today=TODAY)
    assert not CrossingRecord.objects.exists()


def test_a_hold_is_lifted_once_with_who_when_and_why(records):
    admin = programme_admin()
    hold = _place(admin, records)
    later = NOW + timedelta(days=30)
    legal_hold_lift(user=admin, hold=hold, grounds="placed_in_error", note="Wrong file.", now=later)

    hold.refresh_from_db()
    assert (hold.lifted_at, hold.lifted_by, hold.lift_grounds, hold.lift_note) == (
        later,
        admin,
        "placed_in_error",
        "Wrong file.",
    )
    with pytest.raises(EntryExitError) as refused:
        legal_hold_lift(user=admin, hold=hold, grounds="concluded")
    assert refused.value.code == "hold_lifted"
    with pytest.raises(EntryExitError) as refused:
        legal_hold_lift(user=admin, hold=_place(admin, records), grounds="because")
    assert refused.value.code == "lift_grounds"


@pytest.mark.parametrize(
    "change, code",
    [
        ({"basis": "whim"}, "hold_incomplete"),
        ({"reference": "  "}, "hold_incomplete"),
        ({"reason": ""}, "hold_incomplete"),
        ({"record_ids": []}, "records_not_shown"),
        ({"record_ids": "other"}, "records_not_shown"),
        ({"consultation": "someone else's"}, "consultation_stale"),
        ({"consultation": "yesterday's"}, "consultation_stale"),
    ],
)
def test_a_hold_is_refused_without_its_reasons_or_outside_the_look_up(records, change, code):
    admin = programme_admin()
    other = CrossingRecord.objects.get(document_number="Z9999999")
    arguments = {
        "user": admin,
        "consultation": _consultation(admin, records),
        "record_ids": [record.pk for record in records],
        "basis": "litigation",
        "reference": "File 42",
        "reason": "Claim filed.",
        "now": NOW,
    }
    if change.get("record_ids") == "other":
        change = {"record_ids": [records[0].pk, other.pk]}
    elif change.get("consultation") == "someone else's":
        change = {"consultation": _consultation(programme_admin(), records)}
    elif change.get("consultation") == "yesterday's":
        change = {"consultation": _consultation(admin, records, at=NOW - timedelta(days=1))}

    with pytest.raises(EntryExitError) as refused:
        legal_hold_place(**{**arguments, **change})

    assert refused.value.code == code
    assert not LegalHold.objects.exists()
    assert not CrossingRecord.objects.filter(legal_hold=True).exists()


def test_a_record_purged_before_the_hold_is_left_out(records):
    admin = programme_admin()
    consultation = _consultation(admin, records)
    CrossingRecord.objects.filter(pk=records[1].pk).delete()
    hold = legal_hold_place(
        user=admin,
        consultation=consultation,
        record_ids=[record.pk for record in records],
        basis="investigation",
        reference="INV-7",
        reason="Inquiry.",
        now=NOW,
    )
    assert hold.record_count == 1
    CrossingRecord.objects.filter(pk=records[0].pk).delete()  # not through the purge
    with pytest.raises(EntryExitError) as refused:
        legal_hold_place(
            user=admin,
            consultation=consultation,
            record_ids=[records[0].pk],
            basis="investigation",
            reference="INV-8",
            reason="Inquiry.",
            now=NOW,
        )
    assert refused.value.code == "records_gone"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_holds_on_one_record_lifted_at_once_leave_it_unheld():
    record = CrossingRecordFactory(purge_on=TODAY)
    admin = programme_admin()
    holds = [_place(admin, [record], reference=f"T-{n}") for n in range(2)]

    results = run_at_once(
        *[
            (lambda hold=hold: legal_hold_lift(user=admin, hold=hold, grounds="concluded"))
            for hold in holds
        ]
    )

    assert not any(isinstance(result, Exception) for result in results), results
    assert not _held(record)
    assert crossing_records_purge(today=TODAY).purged == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hold_placed_while_the_purge_runs_is_never_lost():
    """Whichever goes first: the record is purged before the hold (which then covers
    nothing and is refused), or held and kept; never held and gone, never unheld and kept."""
    admin = programme_admin()
    for _attempt in range(5):
        record = CrossingRecordFactory(purge_on=TODAY)
        consultation = _consultation(admin, [record], at=NOW)
        results = run_at_once(
            lambda: crossing_records_purge(today=TODAY),
            lambda record=record, consultation=consultation: legal_hold_place(
                user=admin,
                consultation=consultation,
                record_ids=[record.pk],
                basis="court_order",
                reference="T-9",
                reason="Order.",
                now=NOW,
            ),
        )
        kept = CrossingRecord.objects.filter(pk=record.pk).first()
        if isinstance(results[1], LegalHold):
            assert kept is not None and kept.legal_hold
            legal_hold_lift(user=admin, hold=results[1], grounds="concluded")
        else:
            assert isinstance(results[1], EntryExitError) and kept is None
        crossing_records_purge(today=TODAY)
        assert not CrossingRecord.objects.exists()


# --- The pages --------------------------------------------------------------------------

PAGES = ["entry_exit:legal_holds", "entry_exit:legal_hold_new", "entry_exit:legal_hold"]
SEE = {"entry_exit:legal_holds", "entry_exit:legal_hold"}
MAY = {
    Role.ENTRY_EXIT_ANALYST: SEE,
    Role.ENTRY_EXIT_OPERATOR: SEE,
    Role.PROGRAMME_ADMIN: set(PAGES),
    Role.CBSA_OFFICER: set(),
    Role.CBP_OFFICER: set(),
    Role.CENTRE_ADMIN: set(),
}


def _url(name: str, hold: LegalHold) -> str:
    return reverse(name, kwargs={"pk": hold.pk} if name == "entry_exit:legal_hold" else {})


@pytest.mark.parametrize("role", sorted(MAY))
@pytest.mark.parametrize("name", PAGES)
def test_each_role_opens_only_its_hold_pages(records, role, name):
    hold = _place(programme_admin(), records)
    response = _client(staff(role)).get(_url(name, hold))
    assert response.status_code == (200 if name in MAY[role] else 404)
    if response.status_code == 200:
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", PAGES)
def test_applicants_get_404(records, applicant, name):
    hold = _place(programme_admin(), records)
    client = Client()
    client.force_login(applicant.user)
    assert client.get(_url(name, hold)).status_code == 404


@pytest.mark.parametrize("user", [analyst, operator])
def test_analysts_and_operators_may_not_lift_a_hold(records, user):
    hold = _place(programme_admin(), records)
    response = _client(user()).post(
        reverse("entry_exit:legal_hold", args=[hold.pk]), {"grounds": "concluded"}
    )
    assert response.status_code == 404
    hold.refresh_from_db()
    assert hold.is_active
    page = _client(user()).get(reverse("entry_exit:legal_hold", args=[hold.pk])).content
    assert b"Lift the hold" not in page and b"T-1234-26" in page


def test_an_administrator_places_a_hold_through_the_look_up(records):
    admin = programme_admin()
    client = _client(admin)
    url = reverse("entry_exit:legal_hold_new")

    # Without a purpose: nothing shown, nothing logged.
    response = client.post(url, {"document_number": "P1234567", "document_country": "DEU"})
    assert "2 crossings found" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()

    response = client.post(
        url, {"purpose": "legal_request", "document_number": "P1234567", "document_country": "DEU"}
    )
    page = response.content.decode()
    assert "2 crossings found" in page and "Place the hold" in page
    entry = AccessLogEntry.objects.get()
    assert entry.user == admin and entry.record_ids == sorted(r.pk for r in records)

    response = client.post(
        url,
        {
            "consultation": entry.sequence,
            "records": [records[0].pk],
            "basis": "court_order",
            "reference": "T-1234-26",
            "reason": "Preservation order.\r\nServed 2 March.",
        },
    )
    hold = LegalHold.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("entry_exit:legal_hold", args=[hold.pk])
    assert list(hold.records.all()) == [records[0]] and hold.consultation == entry
    assert hold.reason == "Preservation order.\r\nServed 2 March."
    assert _held(records[0]) and not _held(records[1])
    page = client.get(response["Location"]).content.decode()
    assert "T-1234-26" in page and "Preservation order.<br>Served 2 March." in page
    assert "P1234567" not in page and "Müller" not in page  # the hold, not the records


@pytest.mark.parametrize(
    "tamper",
    [
        {"records": ["other"]},
        {"consultation": "not mine"},
        {"consultation": "999"},
        {"consultation": "١٢"},
        {"basis": "whim"},
        {"reference": ""},
        {"reason": "a\x00b"},
        {"records": []},
    ],
)
def test_a_tampered_hold_form_is_refused_and_stores_nothing(records, tamper):
    admin = programme_admin()
    client = _client(admin)
    url = reverse("entry_exit:legal_hold_new")
    client.post(
        url, {"purpose": "legal_request", "document_number": "P1234567", "document_country": "DEU"}
    )
    mine = AccessLogEntry.objects.get()
    theirs = _consultation(programme_admin(), records)
    fields = {
        "consultation": mine.sequence,
        "records": [record.pk for record in records],
        "basis": "court_order",
        "reference": "T-1",
        "reason": "Order.",
    }
    if tamper.get("records") == ["other"]:
        tamper = {"records": [CrossingRecord.objects.get(document_number="Z9999999").pk]}
    elif tamper.get("consultation") == "not mine":
        tamper = {"consultation": theirs.sequence}

    response = client.post(url, {**fields, **tamper})

    assert response.status_code == 200
    assert not LegalHold.objects.exists()
    assert not CrossingRecord.objects.filter(legal_hold=True).exists()


def test_an_administrator_lifts_a_hold_on_its_page(records):
    admin = programme_admin()
    hold = _place(admin, records)
    client = _client(admin)
    url = reverse("entry_exit:legal_hold", args=[hold.pk])

    assert client.post(url, {"grounds": "whim"}).status_code == 200
    hold.refresh_from_db()
    assert hold.is_active

    response = client.post(url, {"grounds": "concluded", "note": "Case closed."})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active and hold.lifted_by == admin
    assert not any(_held(record) for record in records)
    page = client.get(url).content.decode()
    assert "The matter is concluded — Case closed." in page and "Lift the hold" not in page
    assert client.post(url, {"grounds": "concluded"}).status_code == 404  # lifted already


def test_the_list_shows_active_holds_first():
    admin = programme_admin()
    first = _place(admin, [CrossingRecordFactory()], reference="FIRST-1")
    _place(admin, [CrossingRecordFactory()], reference="SECOND-2", at=NOW + timedelta(hours=1))
    legal_hold_lift(user=admin, hold=first, grounds="concluded")
    page = _client(analyst()).get(reverse("entry_exit:legal_holds")).content.decode()
    assert page.index("SECOND-2") < page.index("FIRST-1")
    assert "Place a legal hold" not in page
    assert (
        "Place a legal hold"
        in _client(admin).get(reverse("entry_exit:legal_holds")).content.decode()
    )


def french(msgid: str) -> str | None:
    """The French of ``msgid`` if the catalogue has it yet (the lead merges new strings
    into it at the end of a session), else None."""
    with translation.override("fr"):
        text = translation.gettext(msgid)
    return text if text != msgid else None


def test_hold_pages_in_french(records):
    admin = programme_admin()
    hold = _place(admin, records)
    with translation.override("fr"):
        holds = reverse("entry_exit:legal_holds")
        detail = reverse("entry_exit:legal_hold", args=[hold.pk])
    assert holds.startswith("/fr/")
    client = _client(admin)
    pages = client.get(holds).content.decode() + client.get(detail).content.decode()
    assert '<html lang="fr">' in pages
    for msgid in ("Legal holds", "Lift the hold", "Court order, warrant or subpoena"):
        if french(msgid):
            assert french(msgid) in pages.replace("&#x27;", "'")


def test_the_navigation_links_the_hold_pages_for_their_roles_only():
    url = reverse("entry_exit:legal_holds")
    assert url in _client(analyst()).get(reverse("entry_exit:look_up")).content.decode()
    assert url in _client(operator()).get(reverse("entry_exit:exchange")).content.decode()
    officer = staff(StaffProfile.Role.CBSA_OFFICER)
    assert url not in _client(officer).get(reverse("centres:list")).content.decode()
