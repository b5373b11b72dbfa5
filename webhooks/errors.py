from common.errors import ApplicationError


class WebhookError(ApplicationError):
    """A subscription refused (its URL, its events) or a change to one refused."""
