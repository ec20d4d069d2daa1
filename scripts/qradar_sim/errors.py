"""The console's JSON error body, and the exception every handler raises to produce one.

A real console answers every failure with the same JSON shape whatever the Accept header, so the
stand-in funnels all errors through ApiError and never lets the stdlib write an HTML error page.
"""

# http_response.message per HTTP status. 401/403/404/503 are quoted by reference/qradar-rest-api.md
# and IBM's "API error messages" page; the others follow the same style (not confirmed on a console).
HTTP_MESSAGES = {
    400: "The request could not be processed because of invalid syntax.",
    401: "You are unauthorized to access the requested resource. Please log in.",
    403: "Your account is not authorized to access the requested resource.",
    404: "We could not find the resource you requested.",
    405: "The method used is not supported for the requested resource.",
    409: "The request could not be completed due to a conflict with the current state of the resource.",
    410: "The requested resource is no longer available.",
    422: "The request was well-formed but was unable to be followed due to semantic errors.",
    500: "Unexpected internal server error.",
    503: "The server is currently unavailable.",
}

# Console error codes the stand-in uses (the code is per endpoint on a real console).
CODE_UNAUTHORIZED = 11
CODE_NOT_FOUND = 1002
CODE_STILL_RUNNING = 1003
CODE_CONFLICT = 1004
CODE_BAD_PARAMETER = 1005
CODE_ARIEL_UNAVAILABLE = 1010
CODE_INTERNAL = 1020
CODE_INVALID_AQL = 2000
CODE_BAD_VERSION = 18

# Default message/description for a console error code, used when a fault only names status and code.
CODE_TEXT = {
    CODE_NOT_FOUND: ("The requested resource does not exist.", "The resource could not be found."),
    CODE_STILL_RUNNING: ("The search is still in progress.", "Results are available once the search completes."),
    CODE_CONFLICT: ("The request conflicts with the current state of the resource.", ""),
    CODE_ARIEL_UNAVAILABLE: ("The Ariel server is unavailable.", "The Ariel server could not be contacted."),
    CODE_INTERNAL: ("An error occurred during the attempt to process the request.", "Unexpected internal error."),
    CODE_UNAUTHORIZED: ("Invalid or revoked security token.", ""),
}


class ApiError(Exception):
    """A console error: HTTP status + console code + message/description."""

    def __init__(self, status, code, message=None, description=None, details=None):
        default_message, default_description = CODE_TEXT.get(code, (HTTP_MESSAGES.get(status, "Error"), ""))
        self.status = status
        self.code = code
        self.message = message if message is not None else default_message
        self.description = description if description is not None else default_description
        self.details = details or {}
        super().__init__(f"{status}/{code}: {self.message}")

    def body(self):
        return {
            "http_response": {"code": self.status, "message": HTTP_MESSAGES.get(self.status, "Error")},
            "code": self.code,
            "message": self.message,
            "description": self.description,
            "details": self.details,
        }


def not_found(message, description="The resource could not be found."):
    return ApiError(404, CODE_NOT_FOUND, message, description)


def bad_parameter(message, description="A request parameter is not valid."):
    return ApiError(422, CODE_BAD_PARAMETER, message, description)
