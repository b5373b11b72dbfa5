from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from common.actors import Actor, acting_user
from common.models import AuditEvent


def audit_record(*, actor: Actor, action: str, target: models.Model, **data: Any) -> AuditEvent:
    """Write an audit row; call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=acting_user(actor),
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        target_id=str(target.pk),
        data=data,
    )
