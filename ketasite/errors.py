"""The one base of the refusals the apps' service functions raise.

Every rule that refuses a change (the workflow's, annotations', claims', suggestions') raises
a subclass of `Refusal` before anything is written. The API answers all of them through one
mapping (`ketasite.api.refusal_error`, applied by its exception handler), so a view only calls
the service; the admin shows `message`.
"""


class Refusal(Exception):
    """A rule refused the change; nothing was changed.

    `message` names the rule. `code` (machine-readable) and `http_status` serve the API: 400
    for input that cannot be saved (then `errors` maps each field to its messages), 403 for
    an actor who may not, 409 for a state that does not allow it, 412 for a change based on
    an older version.
    """

    code = "refused"
    http_status = 409
    errors: dict[str, list[str]] | None = None

    def __init__(self, message, *, http_status=None, code=None, errors=None):
        self.message = message
        if http_status is not None:
            self.http_status = http_status
        if code:
            self.code = code
        if errors is not None:
            self.errors = errors
        super().__init__(message)


class StaleVersion(Refusal):
    """The change was based on an older version of a versioned object (412); `current` is
    the object as it is now."""

    code = "stale"
    http_status = 412

    def __init__(self, message, *, current):
        self.current = current
        super().__init__(message)
