"""The tasks app's members of the EvalprepError family."""

from evalprep.core.errors import EvalprepError, ImportRejected


class PlanError(EvalprepError):
    """A task plan data file is missing or malformed."""


class TaskNotAllowed(EvalprepError):
    """The user may not do this to this assignment or finding (views answer 403)."""


class ListRejected(ImportRejected):
    """An uploaded list does not match the template's columns or has bad rows."""


class FileRejected(EvalprepError):
    """An uploaded file was refused (type by content, size, duplicate)."""
