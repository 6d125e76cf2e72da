"""The refusals of the workflow and the services around it. Each names the rule it applies;
nothing was changed when one is raised. `http_status` and `code` serve the API, which answers
them as it answers every `Refusal` (`ketasite.api.refusal_error`)."""

from ketasite.errors import Refusal


class WorkflowError(Refusal):
    """A workflow rule refused the change. The message names the rule; nothing was changed."""

    code = "workflow_error"
    http_status = 409


class NotAllowed(WorkflowError):
    """The actor lacks the role or falls foul of a personal rule (four-eyes, authorship)."""

    code = "not_allowed"
    http_status = 403


class WrongState(WorkflowError):
    """The article's state does not allow this action."""

    code = "wrong_state"
    http_status = 409


class GateFailed(WorkflowError):
    """A gate found items to fix first; `failures` lists every one of them (and `errors`
    under "failures", as the API shows them)."""

    code = "gate_failed"
    http_status = 409

    def __init__(self, message, failures):
        self.failures = list(failures)
        super().__init__(f"{message}: " + "; ".join(self.failures))
        self.errors = {"failures": self.failures}


class StaleRevision(WorkflowError):
    """The edit was based on an older revision; `current` is the newer one. Nothing was saved."""

    code = "stale_revision"
    http_status = 412

    def __init__(self, message, current):
        self.current = current
        super().__init__(message)


class InvalidInput(WorkflowError):
    """The input itself is wrong (empty title, a missing comment). `errors` maps field → list."""

    code = "invalid"
    http_status = 400

    def __init__(self, message, errors=None):
        super().__init__(message, errors=errors or {})
