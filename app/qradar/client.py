"""QRadarClient: every REST call the app makes, with auth, versioning, typed errors and retries.

    client = QRadarClient(get_platform(), token_provider=lambda: token)
    client.about()                       # connection test
    client.get_json("api/siem/offenses", params={"filter": "status=OPEN"})

Every call sends ``SEC: <token>`` and ``Version: <version>``. A failure that may
pass (5xx, 429, refused/dropped connection, timeout, a garbled success body) is
retried with full-jitter exponential back-off; one that will not (401, 403, 404,
422, untrusted certificate) is raised at once as its :mod:`.errors` type.
"""
import ipaddress
import json as _json
import random as _random
import threading
import time
from collections import namedtuple
from urllib.parse import quote

import requests

from .errors import (CODE_NOT_FOUND, ConfigurationError, ConsoleUnavailableError, MalformedResponseError,
                     NotFoundError, TLSError, error_from_response)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

# A garbled success body is usually a proxy hiccup; more than this many retries of it is a real bug.
MAX_MALFORMED_RETRIES = 2

# The API versions this app was written and checked against, per IBM's table from 20.0 (7.5.0 UP6; UP7, the
# oldest release the 4.x base image installs on, offers 21.0, 20.0, 19.0) to 27.0 (UP14). The client uses the
# newest of them that the console offers.
KNOWN_API_VERSIONS = ("20.0", "21.0", "22.0", "23.0", "24.0", "25.0", "26.0", "27.0")

JsonReply = namedtuple("JsonReply", "status data headers")
JsonReply.__doc__ = "A decoded answer: HTTP status, JSON body, response headers."


def negotiate_version(offered, known=KNOWN_API_VERSIONS):
    """The newest API version both the console (its ``GET api/help/versions`` list) and the app know,
    preferring one the console has not deprecated; raises ConfigurationError when they share none."""
    usable = {str(v.get("version")): bool(v.get("deprecated")) for v in offered
              if isinstance(v, dict) and not v.get("removed")}
    common = sorted((v for v in known if v in usable), key=_version_key)
    current = [v for v in common if not usable[v]]
    if current or common:
        return (current or common)[-1]
    raise ConfigurationError(
        f"the console offers API versions {', '.join(sorted(usable, key=_version_key)) or 'none'} and this app "
        f"knows {', '.join(known)}: none in common (set EXFILWATCH_API_VERSION to force one)",
        method="GET", path="api/help/versions")


def _version_key(version):
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


def filter_string(value):
    """``value`` as a double-quoted string literal of the REST ``filter=`` syntax."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def path_segment(value):
    """``value`` made safe as one path segment (reference set names may hold spaces and slashes)."""
    return quote(str(value), safe="")


_CERTIFICATE_PROBLEMS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "hostname mismatch",
                         "doesn't match", "self signed", "self-signed", "unable to get local issuer")


def _is_certificate_problem(error):
    text = str(error)
    return any(marker.lower() in text.lower() for marker in _CERTIFICATE_PROBLEMS)


class QRadarClient:
    """Talks to one console through a :mod:`.platform`.

    ``token_provider`` is called before every request and returns the SEC token
    (so a token the admin replaces is used at once). Pass ``None`` to send no SEC
    header, for calls made on behalf of a logged-in user: the platform then
    forwards that user's SEC cookie.
    """

    def __init__(self, platform, token_provider, *, version=None, retries=4, backoff_base=0.5,
                 backoff_max=30, timeout=60, sleep=time.sleep, random=_random.random):
        self.platform = platform
        self.token_provider = token_provider
        self._version = version           # None: negotiated with the console on the first call
        self._version_lock = threading.Lock()
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self._sleep = sleep
        self._random = random

    def with_options(self, **options):
        """A client like this one (same platform, token and API version once known) with other settings,
        e.g. ``retries=0, timeout=2`` for calls made while shutting down."""
        settings = dict(version=self._version, retries=self.retries, backoff_base=self.backoff_base,
                        backoff_max=self.backoff_max, timeout=self.timeout, sleep=self._sleep, random=self._random)
        settings.update(options)
        return QRadarClient(self.platform, self.token_provider, **settings)

    @property
    def version(self):
        """The API version every call names: the one configured, else the newest one both the console
        offers and the app knows (``GET api/help/versions``, asked once, without a Version header: the
        one call that cannot name a version before knowing which exist)."""
        if self._version is None:
            with self._version_lock:
                if self._version is None:
                    offered = self._send("GET", "api/help/versions", None, None, None, None, (200,), None, True,
                                         lambda r: self._decode(r, list, "GET", "api/help/versions"),
                                         versioned=False)
                    self._version = negotiate_version(offered)
                    self.platform.log(f"QRadar API version {self._version} (negotiated with the console)", "INFO")
        return self._version

    # -- the one way out ---------------------------------------------------
    def request(self, method, path, *, params=None, headers=None, json=None, data=None,
                expected=(200,), timeout=None, idempotent=None):
        """Sends one request (retrying what may pass) and returns the ``requests.Response``.

        A status outside ``expected`` raises the matching :class:`QRadarError`.
        ``idempotent`` (default: true for GET/PUT/DELETE, false for POST) decides
        whether a request the console may already have acted on is sent again.
        """
        return self._send(method, path, params, headers, json, data, expected, timeout, idempotent,
                          decode=lambda response: response)

    def request_json(self, method, path, *, params=None, headers=None, json=None, data=None,
                     expected=(200,), shape=dict, timeout=None, idempotent=None):
        """Like :meth:`request` but decodes the body: returns a :data:`JsonReply`.

        ``shape`` (dict, list, or None for any) is the JSON type the body must
        have; anything else is a :class:`MalformedResponseError` (retried).
        """
        def decode(response):
            return JsonReply(response.status_code, self._decode(response, shape, method, path), response.headers)

        return self._send(method, path, params, headers, json, data, expected, timeout, idempotent, decode)

    def get_json(self, path, *, params=None, headers=None, shape=dict, expected=(200,)):
        """GET ``path`` and return its decoded JSON body."""
        return self.request_json("GET", path, params=params, headers=headers, shape=shape,
                                 expected=expected).data

    def _send(self, method, path, params, headers, json, data, expected, timeout, idempotent, decode,
              versioned=True):
        method = method.upper()
        path = path.lstrip("/")
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        version = self.version if versioned else None   # negotiated (with its own retries) before this call
        unavailable_tries = malformed_tries = 0
        while True:
            try:
                response = self._send_once(method, path, params, headers, json, data, timeout, version)
                if response.status_code not in expected:
                    raise error_from_response(response, method=method, path=path)
                return decode(response)
            except MalformedResponseError as error:
                malformed_tries += 1
                if not idempotent or malformed_tries > min(self.retries, MAX_MALFORMED_RETRIES):
                    raise
                delay = self._backoff(malformed_tries - 1)
                last = error
            except ConsoleUnavailableError as error:
                unavailable_tries += 1
                if (error.maybe_applied and not idempotent) or unavailable_tries > self.retries:
                    raise
                delay = self._backoff(unavailable_tries - 1, error.retry_after)
                last = error
            self.platform.log(f"QRadar {method} {path} failed ({last}); retry in {delay:.1f}s", "WARNING")
            self._sleep(delay)

    def _backoff(self, attempt, retry_after=None):
        """Full jitter: uniform in [0, min(max, base * 2**attempt)], so clients that failed
        together do not come back together. A console's Retry-After is a floor."""
        delay = self._random() * min(self.backoff_max, self.backoff_base * (2 ** attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    def _send_once(self, method, path, params, headers, json, data, timeout, version):
        sent_headers = {"Accept": "application/json"}
        if version is not None:
            sent_headers["Version"] = version
        if self.token_provider is not None:
            token = self.token_provider()
            if not token:
                raise ConfigurationError("no authorized service token (SEC) is configured for background "
                                         "calls: authorize the app or enter a token on the admin page",
                                         method=method, path=path)
            sent_headers["SEC"] = token
        sent_headers.update(headers or {})
        try:
            return self.platform.rest(method, path, params=params, headers=sent_headers, json=json, data=data,
                                      timeout=timeout or self.timeout)
        except requests.exceptions.SSLError as error:
            if _is_certificate_problem(error):
                raise TLSError(f"the console's TLS certificate is not trusted ({error}); set REQUESTS_CA_BUNDLE "
                               "to the CA that signed it", method=method, path=path) from None
            # An abrupt close inside TLS (EOF, reset) is a dropped connection, not a trust problem.
            raise ConsoleUnavailableError(f"TLS connection to the console failed: {error}", method=method,
                                          path=path) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError) as error:
            raise ConsoleUnavailableError(f"cannot connect to the console: {error}", maybe_applied=False,
                                          method=method, path=path) from None
        except requests.exceptions.ConnectionError as error:
            # Refused before sending (NewConnectionError) is safe to repeat; dropped after sending is not known.
            refused = "NewConnectionError" in repr(error) or "Connection refused" in str(error)
            raise ConsoleUnavailableError(f"connection to the console failed: {error}", maybe_applied=not refused,
                                          method=method, path=path) from None
        except requests.exceptions.Timeout as error:
            raise ConsoleUnavailableError(f"the console did not answer in time: {error}", method=method,
                                          path=path) from None
        except requests.exceptions.RequestException as error:
            raise ConsoleUnavailableError(f"request to the console failed: {error}", method=method,
                                          path=path) from None

    @staticmethod
    def _decode(response, shape, method, path):
        try:
            # JSON on the wire is UTF-8 (RFC 8259). requests would guess another charset for a body that is
            # not, and a mis-decoded page would store altered command lines; refuse it like any garbled body.
            body = _json.loads(response.content.decode("utf-8"))
        except ValueError:   # UnicodeDecodeError included
            snippet = " ".join((response.text or "").split())[:120] or "<empty body>"
            raise MalformedResponseError(f"answer is not JSON: {snippet}", status=response.status_code,
                                         method=method, path=path) from None
        if shape is not None and not isinstance(body, shape):
            raise MalformedResponseError(f"answer is a JSON {type(body).__name__}, expected a {shape.__name__}",
                                         status=response.status_code, method=method, path=path)
        return body

    # -- system and Ariel metadata ------------------------------------------
    def about(self):
        """``GET api/system/about``: build_version, external_version, release_name. The connection test."""
        return self.get_json("api/system/about")

    def event_columns(self):
        """Names of every column (normalized fields and custom properties) of the events database."""
        body = self.get_json("api/ariel/databases/events")
        columns = body.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                                    for c in columns):
            raise MalformedResponseError("api/ariel/databases/events has no list of named columns",
                                         method="GET", path="api/ariel/databases/events")
        return [c["name"] for c in columns]

    def network_hierarchy(self):
        """CIDRs of the deployed network hierarchy (``GET api/config/network_hierarchy/networks``)."""
        body = self.get_json("api/config/network_hierarchy/networks", params={"fields": "cidr"}, shape=list)
        return [n["cidr"] for n in body if isinstance(n, dict) and isinstance(n.get("cidr"), str)]

    # -- offenses and assets ------------------------------------------------
    def get_offenses(self, filter=None, fields=None, range=None, sort=None):
        """Offenses matching a REST ``filter``; ``fields`` trims them; ``range=(first, last)``
        (zero based, inclusive) pages them."""
        params = {k: v for k, v in (("filter", filter), ("fields", fields), ("sort", sort)) if v}
        headers = {"Range": f"items={range[0]}-{range[1]}"} if range else None
        return self.get_json("api/siem/offenses", params=params, headers=headers, shape=list,
                             expected=(200, 206))

    def add_offense_note(self, offense_id, text):
        """Adds a note to an offense; returns the note. Not retried once it may have been written
        (a duplicate note is worse than a missing one the next run adds)."""
        return self.request_json("POST", f"api/siem/offenses/{int(offense_id)}/notes",
                                 params={"note_text": text}, expected=(200, 201)).data

    def find_assets_by_ip(self, ip):
        """Assets with an interface holding ``ip``. Raises ValueError for something not an IP."""
        address = str(ipaddress.ip_address(str(ip).strip()))
        query = f"interfaces contains ip_addresses contains value={filter_string(address)}"
        return self.get_json("api/asset_model/assets", params={"filter": query}, shape=list)

    # -- reference sets -------------------------------------------------------
    def get_reference_set(self, name):
        """The reference set ``name`` with its data, or None when the console has no such set."""
        try:
            return self.get_json(f"api/reference_data/sets/{path_segment(name)}")
        except NotFoundError as error:
            if error.code in (CODE_NOT_FOUND, None):
                return None
            raise

    def create_reference_set(self, name, element_type="ALN", time_to_live=None):
        """Creates a reference set (element_type ALN, NUM, IP, PORT, ALNIC or DATE); returns it."""
        params = {"name": name, "element_type": element_type}
        if time_to_live:
            params["time_to_live"] = time_to_live
        return self.request_json("POST", "api/reference_data/sets", params=params,
                                 expected=(200, 201)).data

    def add_to_reference_set(self, name, value, source=None):
        """Adds ``value`` to the set; returns the set. Adding twice is harmless, so retried."""
        params = {"value": str(value)}
        if source:
            params["source"] = source
        return self.request_json("POST", f"api/reference_data/sets/{path_segment(name)}", params=params,
                                 expected=(200, 201), idempotent=True).data

    # -- lookups ----------------------------------------------------------------
    def dns_lookup(self, ip, *, attempts=10, interval_s=1.0):
        """The console's reverse DNS answer for ``ip`` (its ``message``), or None when the lookup
        failed or did not complete after ``attempts`` polls ``interval_s`` apart."""
        address = str(ipaddress.ip_address(str(ip).strip()))
        return self.dns_lookups([address], attempts=attempts, interval_s=interval_s)[address]

    def dns_lookups(self, ips, *, attempts=10, interval_s=1.0, answers=None):
        """Reverse DNS for many addresses at once: every lookup is started, then all are polled together,
        ``interval_s`` apart, so n lookups wait about as long as one. Returns ``answers`` (a new dict when
        None), address -> name or None, filled as the lookups end, so a caller still holds the answers
        given before a call that raised."""
        answers = {} if answers is None else answers
        pending = {}
        for ip in ips:
            address = str(ipaddress.ip_address(str(ip).strip()))
            if address in pending or address in answers:
                continue
            lookup = self.request_json("POST", "api/services/dns_lookups", params={"IP": address},
                                       expected=(200, 201), idempotent=True).data
            if "id" not in lookup:
                raise MalformedResponseError("DNS lookup answer has no id", method="POST",
                                             path="api/services/dns_lookups")
            pending[address] = lookup
        for attempt in range(attempts + 1):
            for address, lookup in list(pending.items()):
                status = str(lookup.get("status", "")).upper()
                if status == "COMPLETED":
                    answers[address] = lookup.get("message")
                elif status in ("ERROR", "FAILED", "CANCELED", "CANCELLED") or attempt == attempts:
                    self.platform.log(f"DNS lookup of {address} ended {status or 'without a status'}", "INFO")
                    answers[address] = None
                else:
                    continue
                del pending[address]
            if not pending:
                break
            self._sleep(interval_s)
            for address, lookup in pending.items():
                pending[address] = self.get_json(f"api/services/dns_lookups/{path_segment(lookup.get('id'))}")
        return answers
