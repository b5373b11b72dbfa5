from common.errors import ApplicationError


class ReconciliationError(ApplicationError):
    """The reconciliation app's one domain error: matches, reviews and stays."""
