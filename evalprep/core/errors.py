"""One exception family. Messages are Chinese and meant for the user."""


class EvalprepError(Exception):
    """Something the user can understand and act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportRejected(EvalprepError):
    """An uploaded file could not be taken in."""


class DossierError(EvalprepError):
    """A dossier could not be built."""
