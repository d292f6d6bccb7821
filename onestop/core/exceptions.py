"""Errors raised by services. The API turns each into a 4xx with its message."""


class DomainError(Exception):
    """A request that the rules refuse. ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message, errors=None):
        super().__init__(str(message))
        self.message = message
        self.errors = errors


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The object is not in a state that allows this (already completed, wrong status...)."""

    status = 409
