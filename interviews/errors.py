from common.errors import ApplicationError


class InterviewError(ApplicationError):
    """The interviews app's one domain error: a workflow step refused."""
