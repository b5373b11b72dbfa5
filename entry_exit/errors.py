from common.errors import ApplicationError


class EntryExitError(ApplicationError):
    """The entry_exit app's one domain error: reference data, records and the exchange."""
