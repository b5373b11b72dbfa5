"""Air exit from carriers' passenger manifests (issue 12, part 1).

A carrier sends the UN/EDIFACT PAXLST manifest of a flight (WCO/IATA/ICAO API
guidelines); every passenger and crew member on a flight leaving Canada becomes one
``entry_exit.CrossingRecord`` (event ``air_exit``, source ``carrier_manifest``), which the
share rules never let leave Canada. What is manifest-specific lives here:

* ``paxlst.py`` — the EDIFACT syntax (UNA, release character, UNB…UNZ, UNH…UNT with their
  control counts) and the PAXLST segments read, in one place; a fault is reported with its
  message, segment number and element position.
* ``airports.py`` — the Canadian airports (IATA code, time zone): only a flight leaving
  one of them makes exit records.
* ``models.py`` — ``ManifestInterchange`` (one file received), ``ManifestFlight`` (one
  carrier's flight on one day, and which list of it is current), ``Manifest`` (one
  message: a passenger or a crew list), ``ManifestTraveller`` (one person on a list, linked
  to their record).
* ``services.py`` — the import: the travellers become rows of the exchange format and go
  through ``entry_exit.services.inbound_batch_import`` (the one idempotent, row-error
  reporting import: validation, batches, claims, chunks, redelivery); then each message is
  applied to its flight, the later version winning.
* ``carriers.py`` — the carriers' credentials (``ENTRY_EXIT_CARRIERS``); ``api.py`` — their
  signed endpoint; ``management/commands/entry_exit_manifest_import.py`` — the file command.
* ``synthetic.py`` — deterministic PAXLST interchanges for the demo data and the bench.

See ``docs/entry_exit_manifests.md``.
"""
