"""All talk with the QRadar console: the lowest layer of the app.

- :mod:`.platform`   qpylib inside the container, the same behaviour outside it
- :mod:`.client`     QRadarClient: SEC token, Version header, typed errors, retries
- :mod:`.ariel`      ArielSearch: submit, wait, poll, page, delete, cancel, recreate
- :mod:`.properties` which console column holds each logical field
- :mod:`.errors`     the exceptions, one per way a caller reacts

Nothing here imports another app package. See docs/qradar-client.md.
"""
from .ariel import ArielSearch
from .client import JsonReply, QRadarClient, filter_string
from .encdec import EncryptionError
from .errors import (AuthenticationError, AuthorizationError, BadRequestError, ConfigurationError,
                     ConsoleUnavailableError, InvalidQueryError, MalformedResponseError, NotFoundError,
                     QRadarError, ResultsNotReadyError, SearchCanceledError, SearchFailedError,
                     SearchNotFoundError, SearchTimeoutError, TLSError, UnsupportedVersionError)
from .platform import AdapterPlatform, QpylibPlatform, get_platform
from .properties import LOGICAL_FIELDS, FieldMap, resolve_fields

__all__ = [
    "AdapterPlatform", "ArielSearch", "AuthenticationError", "AuthorizationError", "BadRequestError",
    "ConfigurationError", "ConsoleUnavailableError", "EncryptionError", "FieldMap", "InvalidQueryError",
    "JsonReply", "LOGICAL_FIELDS", "MalformedResponseError", "NotFoundError", "QRadarClient", "QRadarError",
    "QpylibPlatform", "ResultsNotReadyError", "SearchCanceledError", "SearchFailedError", "SearchNotFoundError",
    "SearchTimeoutError", "TLSError", "UnsupportedVersionError", "filter_string", "get_platform",
    "resolve_fields",
]
