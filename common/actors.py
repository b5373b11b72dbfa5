"""Who does a thing: the one type every service takes as ``actor``."""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

# A signed-in user (applicant, officer, administrator); an anonymous visitor (a view passes
# ``request.user`` as it is, and the services refuse what a visitor may not do); or None:
# the system (a periodic job, the demo loader).
Actor: TypeAlias = User | AnonymousUser | None


def acting_user(actor: Actor) -> User | None:
    """The user to record as the one who did it (audit rows, who cancelled): None for the
    system and for an anonymous visitor."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None
