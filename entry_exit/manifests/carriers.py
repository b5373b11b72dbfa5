"""The air carriers that send PAXLST manifests, and the partner each one imports as.

A carrier is declared in ``ENTRY_EXIT_CARRIERS`` (settings, from the environment): its id,
the secret its requests are signed with (the same HMAC scheme as the partner's,
``entry_exit.partners``) and the IATA airline designators whose flights it may report —
a carrier cannot file another airline's manifest. Carriers are not partners: they have
credentials of their own, and their batches are kept under ``carrier:<id>``, so a carrier
id can never stand for the US partner.
"""

from dataclasses import dataclass, field

from django.conf import settings

from entry_exit.choices import Source
from entry_exit.partners import Partner

PARTNER_PREFIX = "carrier:"


@dataclass(frozen=True)
class Carrier:
    name: str
    airlines: frozenset[str] = frozenset()  # empty: any airline (the file command only)
    secret: str = field(default="", repr=False)

    @property
    def partner(self) -> Partner:
        """The partner its manifests are imported as: batches under ``carrier:<id>``,
        records from the source ``carrier_manifest``."""
        return Partner(
            name=f"{PARTNER_PREFIX}{self.name}",
            sender=self.name,
            source=Source.CARRIER_MANIFEST,
            secret=self.secret,
        )

    def may_report(self, airline: str) -> bool:
        return not self.airlines or airline in self.airlines


def carrier_get(name: str) -> Carrier | None:
    """The carrier declared under ``name`` in ``ENTRY_EXIT_CARRIERS``, or None."""
    declared = settings.ENTRY_EXIT_CARRIERS.get(name) if isinstance(name, str) else None
    if not declared:
        return None
    return Carrier(name=name, airlines=frozenset(declared["airlines"]), secret=declared["secret"])


def carrier_for_files(name: str) -> Carrier:
    """The carrier a file is imported for: the declared one (its airlines), or one of that
    name that may report any airline (whoever runs the command has the server)."""
    return carrier_get(name) or Carrier(name=name)
