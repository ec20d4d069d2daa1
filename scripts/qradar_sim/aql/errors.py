"""The one error the AQL engine raises; the server turns it into a 422 with code 2000."""


class AqlError(Exception):
    """An invalid query. ``message`` is the human text a console would put in its error body."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
