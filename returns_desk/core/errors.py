"""Errors that services raise for people to read.

Views and admin actions show `str(error)` as it is, so each message is written for the VA or the
customer, not for a developer.
"""


class ServiceError(Exception):
    """A request that the business rules refuse; nothing was changed."""


class ActionNotAllowed(ServiceError):
    """The return is not in a state where this action can run (or its conditions are not met)."""


class ActionForbidden(ServiceError):
    """The person asking may not run this action."""


class AlreadyActedError(ActionNotAllowed):
    """Someone else changed the return first; the message says who, what and when."""
