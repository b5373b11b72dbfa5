"""Hostile input to every page (issue 10 §6): no value, in any form field, query parameter
or path parameter, makes a server error; a refused form stores nothing.

The pages are found, not listed by hand: every named URL of the site (under the language
prefix, less the Django admin) is visited as the persona it is for, and a guard test
fails when a new page is not. Each page's forms are read from its own HTML, so a new
field is fuzzed the day it appears. Hypothesis draws each value from the kinds of input
that broke pages before (dates past the calendar's end, integers past the column's,
Unicode digits, NUL bytes, fractions and booleans for ids, very long text) and from
arbitrary text. Deterministic and bounded for CI: derandomized, no example database, a
few examples per page and method.

The number of requests made and of 5xx answers seen are printed at the end of the run
(``tests/conftest.py``).
"""

import datetime
import zoneinfo
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Appointment, SlotHold, WaitlistRequest
from bookings.services import appointment_book
from bookings.services.waitlist import waitlist_request_create
from centres.models import Slot
from centres.tests.factories import CentreFactory, OpeningRuleFactory, SlotFactory
from common.tests.helpers import force_login_verified
from enrolment.models import Application
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory
from entry_exit.models import (
    AccessLogEntry,
    BatchStatus,
    ExchangeBatch,
    LegalHold,
    TravellerReport,
)
from entry_exit.reconciliation.tests.factories import exit_match_for_review
from entry_exit.services import access_log_append, legal_hold_place
from entry_exit.tests import people as entry_exit_people
from entry_exit.tests.factories import CrossingRecordFactory
from interviews.models import EnrolmentEvent, Interview
from interviews.tests.factories import officer
from tests import hostile
from webhooks.services import subscription_create

pytestmark = pytest.mark.django_db

VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
EXAMPLES = 8
PLACEHOLDER = "7777777"  # matches every path converter: swapped for the hostile value

# Values that broke a page or an API before, and their kin. None is ever valid input for
# a field that is required to be a date, a number, an id, a choice or an e-mail address.
HOSTILE = [
    "9999-12-31",
    "0001-01-01",
    "99999-01-01",
    "2027-02-30",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 400,
    "1e999",
    "NaN",
    "-Infinity",
    "19621.9",
    "true",
    "²",
    "١٢",
    "𝟙𝟚",
    "\x00",
    "NX\x000000001",
    "A" * 3000,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "' OR 1=1 --",
    "%00",
    "\u202e\ufeff",
]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
# Every query parameter any page reads, besides the fields of its own forms.
QUERY_NAMES = [
    "day",
    "from",
    "month",
    "slot",
    "move",
    "kind",
    "region",
    "centre",
    "number",
    "next",
    "start",
    "end",
    "grain",
]
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# Forms whose only inputs are buttons or hidden ids: posting them is the action itself
# (cancel, confirm a hold, sign out, check in), so "refused and nothing stored" is not
# asked of them; "no server error" is.
ACTION_ONLY = {
    "common:verify",  # signed in without a code to give: sent on, whatever was posted
    "booking:cancel",
    "booking:hold",
    "booking:waitlist_stop",
    "common:sign_out",
    "interviews:check_in",
    "interviews:no_show",
    "interviews:share",
    "entry_exit:resend",
    "entry_exit_reconciliation:confirm",  # a candidate chosen, or a message and back
    "entry_exit_reconciliation:reject",
}


def _local(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate(timezone=VANCOUVER) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=VANCOUVER)


@pytest.fixture
def world(applicant):
    """The applicant's booked application (with an earlier-time request), one not booked
    yet, a centre with open times, and a CBSA officer of that centre."""
    yvr = CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")
    for days in (1, 2, 3):
        SlotFactory(centre=yvr, starts_at=_local(days, 9), capacity=2)
    booked = ApplicationFactory(applicant=applicant)
    appointment = appointment_book(
        application=booked,
        slot=SlotFactory(centre=yvr, starts_at=_local(5, 10), capacity=2),
        actor=applicant.user,
    )
    waiting = waitlist_request_create(
        application=booked,
        actor=applicant.user,
        centres=[yvr],
        earliest=_local(1, 0).date(),
        latest=_local(4, 0).date(),
        mornings=True,
        afternoons=True,
        evenings=True,
        auto_rebook=False,
    )
    unbooked = ApplicationFactory(applicant=applicant)
    ApplicationFactory(applicant=ApplicantFactory(user=None))  # waiting to be linked
    held = CrossingRecordFactory(document_number="P1234567", document_country="DEU")
    review_item = exit_match_for_review()
    # Failed, with no checksum: sending it again withdraws it (nothing is written).
    failed = ExchangeBatch.objects.create(
        direction="outbound",
        partner="cbp",
        phase=1,
        status=BatchStatus.FAILED,
        file_name="batch-hostile.jsonl",
        created_at=timezone.now(),
    )
    programme_admin = entry_exit_people.programme_admin()
    hold = legal_hold_place(
        user=programme_admin,
        consultation=access_log_append(
            user=programme_admin,
            purpose="legal_request",
            criteria_kind="document",
            criteria_ref="0" * 64,
            record_ids=[held.pk],
        ),
        record_ids=[held.pk],
        basis="court_order",
        reference="T-1",
        reason="Order.",
    )
    subscription = subscription_create(
        name="Partner", url="https://93.184.216.34/in", events=["appointment.booked"],
        actor=programme_admin, language="en",
    )  # fmt: skip
    return {
        "subscription": subscription.pk,
        "opening_rule": OpeningRuleFactory(centre=yvr).pk,
        "analyst": entry_exit_people.analyst(),
        "operator": entry_exit_people.operator(),
        "programme admin": programme_admin,
        "legal_hold": hold.pk,
        "failed_batch": failed.pk,
        "review_item": review_item.pk,
        "applicant": applicant.user,
        "officer": officer("cbsa", yvr),
        "centre": yvr.pk,
        "booked": booked.number,
        "unbooked": unbooked.number,
        "appointment": appointment.pk,
        "enrolment": Interview.objects.get(application=booked).pk,
        "waiting": waiting.pk,
    }


# --- The pages -------------------------------------------------------------------------

# (URL name, persona, path parameters from the world) for every page of the site.
PAGES = {
    "centres:list": ("anonymous", {}),
    "centres:detail": ("anonymous", {"pk": "centre"}),
    "common:sign_in": ("anonymous", {}),
    "common:verify": ("applicant", {}),  # signed in, no code to give: sent on to `next`
    "common:sign_out": ("applicant", {}),
    "common:sign_up": ("anonymous", {}),
    "common:sign_up_sent": ("anonymous", {}),
    "common:confirm_resend": ("anonymous", {}),
    "common:confirm_resend_sent": ("anonymous", {}),
    "common:confirm": ("anonymous", {"uidb64": "MQ", "token": "abc-def"}),
    "common:password_reset": ("anonymous", {}),
    "common:password_reset_done": ("anonymous", {}),
    "common:password_reset_complete": ("anonymous", {}),
    "common:password_reset_confirm": ("anonymous", {"uidb64": "MQ", "token": "abc-def"}),
    "common:account": ("applicant", {}),
    "common:language_change": ("applicant", {}),
    "common:password_change": ("applicant", {}),
    "common:email_change": ("applicant", {}),
    "common:email_confirm": ("applicant", {"token": "abc:def"}),
    "enrolment:dashboard": ("applicant", {}),
    "enrolment:link": ("applicant", {}),
    "enrolment:history": ("applicant", {"number": "booked"}),
    "booking:centres": ("applicant", {"number": "unbooked"}),
    "booking:time": ("applicant", {"number": "unbooked", "centre_pk": "centre"}),
    "booking:hold": ("applicant", {"number": "unbooked"}),
    "booking:appointment": ("applicant", {"pk": "appointment"}),
    "booking:cancel": ("applicant", {"pk": "appointment"}),
    "booking:calendar": ("applicant", {"pk": "appointment"}),
    "booking:print": ("applicant", {"pk": "appointment"}),
    "booking:waitlist": ("applicant", {"number": "unbooked"}),
    "booking:waitlist_stop": ("applicant", {"pk": "waiting"}),
    "interviews:day_list": ("officer", {}),
    "interviews:find": ("officer", {}),
    "interviews:check_in": ("officer", {"pk": "appointment"}),
    "interviews:no_show": ("officer", {"pk": "appointment"}),
    "interviews:enrolment": ("officer", {"pk": "enrolment"}),
    "interviews:outcome": ("officer", {"pk": "enrolment"}),
    "interviews:share": ("officer", {"pk": "enrolment"}),
    "interviews:review": ("officer", {"pk": "enrolment"}),
    "interviews:timeline": ("officer", {"pk": "enrolment"}),
    "entry_exit:home": ("analyst", {}),
    "entry_exit:look_up": ("analyst", {}),
    "entry_exit:exchange": ("operator", {}),
    "entry_exit:resend": ("operator", {"pk": "failed_batch"}),
    "entry_exit:access_log": ("programme admin", {}),
    "entry_exit_reconciliation:figures": ("analyst", {}),
    "entry_exit_reconciliation:figures_csv": ("analyst", {}),
    "entry_exit_reconciliation:queue": ("analyst", {}),
    "entry_exit_reconciliation:review": ("analyst", {"pk": "review_item"}),
    "entry_exit_reconciliation:confirm": ("analyst", {"pk": "review_item"}),
    "entry_exit_reconciliation:reject": ("analyst", {"pk": "review_item"}),
    "entry_exit_reconciliation:overstays": ("analyst", {}),
    "entry_exit:legal_holds": ("analyst", {}),
    "entry_exit:legal_hold_new": ("programme admin", {}),
    "entry_exit:legal_hold": ("programme admin", {"pk": "legal_hold"}),
    "entry_exit:traveller_report": ("analyst", {}),
    "webhooks:subscriptions": ("programme admin", {}),
    "figures:dashboard": ("programme admin", {}),
    "figures:csv": ("programme admin", {"table": "centres"}),
    "capacity:centres": ("programme admin", {}),
    "capacity:week": ("programme admin", {"pk": "centre"}),
    "capacity:change": ("programme admin", {"pk": "centre", "kind": "closure"}),
    "capacity:remove": ("programme admin", {"pk": "centre", "kind": "rule", "obj": "opening_rule"}),
    "capacity:edit": ("programme admin", {"pk": "centre", "kind": "rule", "obj": "opening_rule"}),
    "webhooks:detail": ("programme admin", {"pk": "subscription"}),
    "webhooks:act": ("programme admin", {"pk": "subscription"}),
}


def _site_url_names() -> set[str]:
    """Every named page under the language prefix, the Django admin left out (its own
    forms and filters are Django's; its pages are fuzzed by ``test_admin_…``)."""
    names: set[str] = set()

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name and namespace:
                names.add(f"{namespace}{entry.name}")

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and "LocalePrefixPattern" in type(entry.pattern).__name__:
            walk(entry.url_patterns, "")
    return names


def test_every_page_of_the_site_is_fuzzed():
    assert _site_url_names() == set(PAGES)


def _client(world, persona: str) -> Client:
    client = Client()
    if persona == "applicant":
        client.force_login(world["applicant"])
    elif persona in ("officer", "analyst", "operator", "programme admin"):
        force_login_verified(client, world[persona])
    return client


def _url(world, name: str, **override) -> str:
    _persona, params = PAGES[name]
    kwargs = {key: world.get(value, value) for key, value in params.items()}
    return reverse(name, kwargs={**kwargs, **override})


class _Forms(HTMLParser):
    """The POST forms of a page that post to the page itself: the names of their
    fields, buttons included. (A form posting elsewhere is fuzzed at its own URL.)"""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.forms: list[list[str]] = []
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = (attrs.get("action") or "").split("?")[0]
            self._in_post_form = (attrs.get("method") or "").lower() == "post" and (
                action in ("", self.url)
            )
            if self._in_post_form:
                self.forms.append([])
        elif self._in_post_form and tag in ("input", "select", "textarea", "button"):
            name = attrs.get("name")
            if name and name != "csrfmiddlewaretoken" and name not in self.forms[-1]:
                self.forms[-1].append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False


def _post_forms(client, url: str) -> list[list[str]]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = _Forms(url)
    parser.feed(response.content.decode())
    return parser.forms


def _stored() -> tuple:
    """What a refused form must leave as it was."""
    return (
        Appointment.objects.count(),
        Appointment.objects.filter(status=Appointment.Status.BOOKED).count(),
        SlotHold.objects.count(),
        WaitlistRequest.objects.count(),
        WaitlistRequest.objects.filter(status=WaitlistRequest.Status.ACTIVE).count(),
        EnrolmentEvent.objects.count(),
        Application.objects.filter(applicant__user__isnull=False).count(),
        Slot.objects.aggregate(booked=Sum("booked"))["booked"],
        # A look-up is logged only once it has a purpose and valid criteria.
        AccessLogEntry.objects.count(),
        # A hold is placed or lifted, a report generated, only from a valid form.
        LegalHold.objects.count(),
        LegalHold.objects.filter(lifted_at__isnull=True).count(),
        TravellerReport.objects.count(),
        sorted(map(str, Application.objects.values_list("applicant__user__email", flat=True))),
    )


@pytest.mark.parametrize("name", sorted(PAGES))
def test_hostile_query_parameters_never_make_a_server_error(world, name):
    persona, _params = PAGES[name]
    url = _url(world, name)
    fields = sorted({field for form in _post_forms(_client(world, persona), url) for field in form})
    names = sorted(set(QUERY_NAMES) | set(fields))

    @HYPOTHESIS
    @given(query=st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=4))
    def answers(query):
        response = hostile.request(_client(world, persona), "get", url, query)
        assert response.status_code < 500

    answers()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_hostile_path_parameters_never_make_a_server_error(world, name):
    persona, params = PAGES[name]
    if not params:
        pytest.skip("no path parameter")
    client = _client(world, persona)

    @HYPOTHESIS
    @given(key=st.sampled_from(sorted(params)), value=VALUES.filter(bool))
    def answers(key, value):
        # The real URL with this one parameter swapped, percent-encoded as a client sends it.
        url = _url(world, name, **{key: PLACEHOLDER}).replace(PLACEHOLDER, quote(value, safe=""))
        response = hostile.request(client, "get", url, {})
        assert response.status_code < 500

    answers()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_hostile_form_input_is_refused_and_stores_nothing(world, name):
    """Each form of the page (posting to the page itself), every field hostile at once;
    a page without a form of its own (the POST-only actions, pages that only show) gets
    the names pages read instead."""
    persona, _params = PAGES[name]
    url = _url(world, name)
    forms = _post_forms(_client(world, persona), url) or [QUERY_NAMES]
    for fields in forms:
        _post_hostile(world, name, persona, url, fields)


def _post_hostile(world, name: str, persona: str, url: str, fields: list[str]) -> None:
    @HYPOTHESIS
    @given(data=st.data())
    def refused(data):
        body = {field: data.draw(VALUES, label=field) for field in fields}
        before = _stored()
        response = hostile.request(_client(world, persona), "post", url, body)
        assert response.status_code < 500
        if name in ACTION_ONLY:
            return
        assert response.status_code != 302 or "sign-in" in response["Location"], (
            f"{name} accepted {body!r}"
        )
        assert _stored() == before

    refused()


# --- Endpoints outside the language prefix and the Django admin ---------------------------

SCHEDULER_NAMES = [
    "serviceName",
    "locationType",
    "orderBy",
    "limit",
    "locationId",
    "minimum",
    "startTimestamp",
    "endTimestamp",
    "timestamp",
    "filterTimestampBy",
    "temporary",
    "inviteOnly",
    "operational",
]
OTHER_ENDPOINTS = {
    "/schedulerapi/locations": SCHEDULER_NAMES,
    "/schedulerapi/slots": SCHEDULER_NAMES,
    "/schedulerapi/slot-availability": SCHEDULER_NAMES,
    "/schedulerapi/locations/5026/slots": SCHEDULER_NAMES,
    "/schedulerapi/slots/asLocations": SCHEDULER_NAMES,
    "/api/schema/": ["format", "lang", "version"],
    "/api/docs/": ["script", "lang"],
    "/health/": ["check"],
    "/i18n/setlang/": ["language", "next"],
}


@pytest.mark.parametrize("path", sorted(OTHER_ENDPOINTS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_hostile_values_elsewhere_never_make_a_server_error(world, path, method):
    CentreFactory(ttp_location_id=5026, time_zone="America/Vancouver")
    names = OTHER_ENDPOINTS[path]

    @HYPOTHESIS
    @given(query=st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=4))
    def answers(query):
        response = hostile.request(_client(world, "applicant"), method, path, query)
        assert response.status_code < 500

    answers()


def _admin_pages() -> list[str]:
    """Every admin list, add and change page (of the first row) the programme admin has."""
    from django.contrib import admin

    pages = []
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        pages.append(reverse(f"{prefix}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{prefix}_change", args=[first.pk]))
    return pages


ADMIN_QUERY = ["q", "o", "p", "e", "all", "_popup", "_to_field", "centre__id__exact", "status"]


def test_hostile_values_in_the_admin_never_make_a_server_error(world, programme_admin):
    client = Client()
    force_login_verified(client, programme_admin)
    pages = _admin_pages()
    assert len(pages) > 20

    for url in pages:
        fields = sorted({field for form in _post_forms(client, url) for field in form})
        _fuzz_admin_page(client, url, fields)


def _fuzz_admin_page(client, url: str, fields: list[str]) -> None:
    @HYPOTHESIS
    @given(
        query=st.dictionaries(st.sampled_from(ADMIN_QUERY), VALUES, min_size=1, max_size=3),
        data=st.data(),
    )
    def answers(query, data):
        response = hostile.request(client, "get", url, query)
        assert response.status_code < 500, (url, query)
        if fields:
            before = _stored()
            body = {field: data.draw(VALUES, label=field) for field in fields}
            response = hostile.request(client, "post", url, body)
            assert response.status_code < 500, (url, body)
            assert _stored() == before

    answers()
