"""Errors the calendar backends raise instead of raw SDK exceptions.

Why: callers (dialogs, reminders) must be able to tell the user something specific — "ask your
administrator for permission X", "that person does not exist", "Microsoft is busy, try again in N s" —
without knowing anything about msgraph/kiota/httpx exception types.
"""

from __future__ import annotations


class GraphError(Exception):
    """Any failure talking to Graph that is not covered by a more specific subclass."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphPermissionError(GraphError):
    """403: the app lacks an application permission, or an access policy excludes the mailbox.

    ``permission`` names the Graph application permission the call needs; ``admin_hint`` is a sentence an
    administrator can act on.
    """

    def __init__(
        self, permission: str, admin_hint: str, *, code: str | None = None, detail: str = ""
    ) -> None:
        super().__init__(
            f"Graph refused the call (403): needs application permission {permission}. {admin_hint}"
            + (f" Graph said: {detail}" if detail else ""),
            status=403,
            code=code,
        )
        self.permission = permission
        self.admin_hint = admin_hint


class GraphNotFound(GraphError):
    """404 on something other than a user (for example an event that was deleted in Outlook)."""


class GraphUserNotFound(GraphNotFound):
    """404 on a user/mailbox: the id or address does not exist in the tenant (or has no mailbox)."""

    def __init__(self, user: str, *, code: str | None = None) -> None:
        super().__init__(f"User or mailbox not found in Graph: {user}", status=404, code=code)
        self.user = user


class GraphEventNotFound(GraphNotFound):
    """404 on an event id: it was deleted or belongs to another organiser mailbox."""

    def __init__(self, event_id: str, *, code: str | None = None) -> None:
        super().__init__(f"Calendar event not found: {event_id}", status=404, code=code)
        self.event_id = event_id


class GraphUnavailable(GraphError):
    """Graph kept answering 429/503/504 after the SDK's own retries, or did not answer in time.

    ``retry_after`` (seconds) is Graph's last Retry-After when it gave one; None means "unknown, back off".
    A create that timed out may nevertheless have succeeded: retry with the same transaction id.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
