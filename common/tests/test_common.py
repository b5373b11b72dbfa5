import pytest
from django.urls import reverse
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

from common.audit import audit_record
from common.errors import ApplicationError
from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Input(serializers.Serializer):
    when = serializers.DateField()


def _view(exc):
    @api_view(["POST"])
    def view(request):
        if exc == "validation":
            _Input(data=request.data).is_valid(raise_exception=True)
        raise exc

    view.cls.permission_classes = [AllowAny]
    return view


@pytest.mark.parametrize(
    ("kind", "status"),
    [("conflict", 409), ("not_found", 404), ("invalid", 400), ("forbidden", 403)],
)
def test_a_domain_error_becomes_one_json_shape_with_its_status(kind, status):
    error = ApplicationError("This time has just been taken.", code="slot_full", kind=kind)
    response = _view(error)(APIRequestFactory().post("/x", {}, format="json"))
    assert response.status_code == status
    assert response.data == {
        "code": "slot_full",
        "message": "This time has just been taken.",
        "fields": {},
    }


def test_a_validation_error_names_its_fields_in_the_same_shape():
    response = _view("validation")(APIRequestFactory().post("/x", {"when": "soon"}, format="json"))
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert list(response.data["fields"]) == ["when"]


def test_an_audit_row_records_actor_action_and_target_but_no_anonymous_actor():
    user = UserFactory()
    event = audit_record(actor=user, action="user.touched", target=user, field="x")
    assert (event.actor, event.target_id, event.data) == (user, str(user.pk), {"field": "x"})
    from django.contrib.auth.models import AnonymousUser

    assert audit_record(actor=AnonymousUser(), action="a", target=user).actor is None
    assert AuditEvent.objects.count() == 2


def test_the_health_endpoint_answers_ok(client):
    response = client.get("/health/")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("permission", ["9223372036854775808", "²", "1" * 40])
def test_the_admin_refuses_an_id_past_64_bits_in_a_many_to_many_choice(
    client, programme_admin, permission
):
    force_login_verified(client, programme_admin)
    user = UserFactory()

    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {"username": user.username, "user_permissions": [permission], "date_joined_0": "2027-01-01",
         "date_joined_1": "10:00:00"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user_permissions"]
    assert not user.user_permissions.exists()


def test_the_admin_reads_a_blank_to_field_as_the_primary_key(client, programme_admin):
    force_login_verified(client, programme_admin)
    user = UserFactory()

    response = client.get(reverse("admin:auth_user_change", args=[user.pk]), {"_to_field": ""})

    assert response.status_code == 200
