"""Refusals: a request the domain will not carry out, with a reason for people (Chinese)."""

__all__ = ["NotPermitted", "Refused", "UnknownCase"]


class Refused(Exception):
    """Nothing was changed; ``str(error)`` is the reason, ready to show the user."""


class NotPermitted(Refused):
    pass


class UnknownCase(Refused):
    def __init__(self, ticket: str) -> None:
        self.ticket = ticket
        super().__init__(f"没有找到工单 {ticket}，请核对工单号。")
