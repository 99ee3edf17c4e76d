"""The contract between core and its adapters: one error base, one cancel, one progress protocol.
QGIS-free. Core raises `UserError` (or a subclass) for anything the user can fix and `Cancelled`
when asked to stop; it reports through a `Progress`. The Processing adapter translates all three
in one place (algorithms/base.py), so no algorithm catches a core error only to re-raise it."""

from typing import Callable, Optional


class UserError(ValueError):
    """Input the computation cannot use; the message says what to change. Safe to show as it is."""


class Cancelled(Exception):  # noqa: N818 - the event, not an error
    """The user asked to stop. Without a message the adapter says that nothing was written; work that
    is kept for a resume says so in its own message."""


class Progress:
    """Fraction done (0..1) with a message, and the cancel check. `part` maps a sub-step onto a slice
    of the whole, so nested work reports one rising bar. Adapters pass callables; core calls
    `report`, `check` and `part`, never the callables."""

    def __init__(
        self,
        report: Optional[Callable[[float, str], None]] = None,
        cancelled: Optional[Callable[[], bool]] = None,
        start: float = 0.0,
        end: float = 1.0,
    ):
        self._report, self._cancelled = report, cancelled
        self.start, self.end = start, end

    def report(self, fraction: float, message: str = "") -> None:
        if self._report is not None:
            fraction = min(max(fraction, 0.0), 1.0)
            self._report(self.start + (self.end - self.start) * fraction, message)

    def cancelled(self) -> bool:
        return bool(self._cancelled and self._cancelled())

    def check(self) -> None:
        """Raises Cancelled when the user asked to stop."""
        if self.cancelled():
            raise Cancelled()

    def part(self, start: float, end: float) -> "Progress":
        """The same bar for a sub-step that covers start..end of this one."""
        span = self.end - self.start
        return Progress(self._report, self._cancelled, self.start + span * start, self.start + span * end)


SILENT = Progress()
