from django.contrib.contenttypes.models import ContentType
from django.db import models

from common.models import AuditEvent


def audit_record(*, actor, action: str, target: models.Model, **data) -> AuditEvent:
    """Write an audit row; call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        target_id=str(target.pk),
        data=data,
    )
