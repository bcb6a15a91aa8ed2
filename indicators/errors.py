"""The indicators app's members of the EvalprepError family."""

from evalprep.core.errors import EvalprepError


class LibraryError(EvalprepError):
    """A framework data file is missing, malformed or older than what is loaded."""


class EvidenceRejected(EvalprepError):
    """An uploaded evidence file was refused (type by content, size, duplicate)."""


class ChecklistNotAllowed(EvalprepError):
    """The user may not do this to this checklist row (views answer 403)."""
