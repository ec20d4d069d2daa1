"""What the app needs from its host: REST to the console, a store directory, a log, secrets.

Inside a QRadar container qpylib provides all four (:class:`QpylibPlatform`).
Outside it (tests, local runs against the console stand-in, a developer laptop)
:class:`AdapterPlatform` gives the same behaviour from the same environment
variables, so nothing above this module knows where it runs.

    platform = get_platform()
    response = platform.rest("GET", "api/system/about", headers={"SEC": token})
"""
import logging
import os
import threading

import requests

from .encdec import EncryptionError, FileEncryption
from .errors import ConfigurationError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "EXCEPTION", "CRITICAL")

# Where a QRadar container may find the console's CA when REQUESTS_CA_BUNDLE does not name one.
QRADAR_PKI = "/etc/qradar_pki"
CONSOLE_CERT = "consolecert.pem"     # in the app's store


def console_ca(environ, store_dir, *, pki=QRADAR_PKI):
    """What to verify the console's TLS certificate against: REQUESTS_CA_BUNDLE (the platform sets it),
    else the console's CA mounted at /etc/qradar_pki or store/consolecert.pem, else None (requests' certifi
    roots). Never "do not verify": that is only QRADAR_TLS_INSECURE, outside the container."""
    for candidate in (environ.get("REQUESTS_CA_BUNDLE"), pki, os.path.join(store_dir, CONSOLE_CERT)):
        if candidate and (candidate == environ.get("REQUESTS_CA_BUNDLE") or os.path.exists(candidate)):
            return candidate
    return None


def console_address(environ):
    """QRADAR_CONSOLE_IP as a socket wants it: an IPv6 literal comes in brackets ("[fd00::1]"), as qpylib
    strips them before using it as a syslog host."""
    address = (environ.get("QRADAR_CONSOLE_IP") or "").strip()
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    return address or None


class QpylibPlatform:
    """Delegates to qpylib. Only constructible where qpylib is importable (the container)."""

    name = "qpylib"

    def __init__(self, environ=None):
        from qpylib import qpylib  # noqa: F401  (ImportError here means: not in a container)

        self._qpylib = qpylib
        self._log_lock = threading.Lock()
        self._log_ready = False
        env = os.environ if environ is None else environ
        self.verify = console_ca(env, qpylib.get_store_path()) or True

    def rest(self, method, path, *, params=None, headers=None, json=None, data=None, timeout=60):
        # qpylib builds https://{QRADAR_CONSOLE_FQDN}/{path}, honours QRADAR_REST_PROXY and, when
        # SEC_ADMIN_TOKEN is set, sends it as SEC whatever we pass (docs/qradar-client.md). It hands
        # `verify` to requests as given: name the console's CA explicitly where the platform mounts one.
        return self._qpylib.REST(method.upper(), path.lstrip("/"), headers=dict(headers or {}),
                                 params=params, json_body=json, data=data, timeout=timeout, verify=self.verify)

    def user_rest(self, method, path, *, sec, params=None, headers=None, timeout=15):
        """A call as the signed-in user with their own SEC session, sent directly: qpylib.REST would
        replace SEC with SEC_ADMIN_TOKEN, and a check of who the user is must not run as the app."""
        if os.path.isfile("/store/consolecert.pem"):
            verify = "/store/consolecert.pem"      # where qpylib looks first
        else:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or requests.certs.where()
        proxy = os.environ.get("QRADAR_REST_PROXY")
        sent = dict(headers or {}, SEC=sec)
        return requests.request(method.upper(), f"https://{self._qpylib.get_console_fqdn()}/{path.lstrip('/')}",
                                params=params, headers=sent, timeout=timeout, verify=verify,
                                proxies={"https": proxy} if proxy else {})

    def store_path(self, *parts):
        return self._qpylib.get_store_path(*parts)

    def log(self, msg, level="INFO"):
        level = level.upper()
        if not self._log_ready:
            with self._log_lock:
                if not self._log_ready:
                    try:
                        self._qpylib.log("ExfilWatch logging ready", "DEBUG")
                    except RuntimeError:  # qpylib raises this until create_log() was called
                        # False: no syslog handler, so app log lines stay in store/log and never become
                        # QRadar events (qpylib's default sends each one to QRADAR_CONSOLE_IP:514).
                        self._qpylib.create_log(False)
                    self._log_ready = True
        self._qpylib.log(msg, level)

    def encryption(self, name, user):
        try:
            from qpylib.encdec import Encryption

            return _QpylibEncryption(Encryption({"name": name, "user": user}))
        except Exception as error:  # qpylib raises its own EncryptionError, KeyError or ValueError
            raise EncryptionError(f"cannot open secret {name!r} for {user!r}: {error}") from None


class _QpylibEncryption:
    """qpylib's Encryption with our contract: ``decrypt(token=None)`` and our error type."""

    def __init__(self, encryption):
        self._encryption = encryption

    def encrypt(self, clear_text):
        try:
            return self._encryption.encrypt(clear_text)
        except Exception as error:
            raise EncryptionError(str(error)) from None

    def decrypt(self, token=None):
        stored = getattr(self._encryption, "config", {}).get(getattr(self._encryption, "name", None), {})
        if token is not None and isinstance(stored, dict) and token != stored.get("secret"):
            raise EncryptionError("the token given is not the secret stored under this name")
        try:
            return self._encryption.decrypt()
        except Exception as error:
            raise EncryptionError(str(error)) from None


def _truthy(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


class AdapterPlatform:
    """qpylib's behaviour outside the container, from the same environment variables.

    - REST to ``https://{QRADAR_CONSOLE_FQDN}/{path}`` (the FQDN may carry ``:port``).
      ``QRADAR_CONSOLE_SCHEME=http`` allows plain HTTP for a local stand-in only (warned).
    - TLS verified against ``REQUESTS_CA_BUNDLE``, else the console CA the platform mounts
      (``/etc/qradar_pki``, ``store/consolecert.pem``), else requests' certifi roots.
      Verification is switched off only by ``insecure_tls=True`` or
      ``QRADAR_TLS_INSECURE=true``, and that is logged as an error on start.
    - ``QRADAR_REST_PROXY`` proxies https like qpylib; ``SEC_ADMIN_TOKEN``, when set,
      is the SEC header of every call like qpylib; inside a Flask request without a
      SEC header the user's SEC cookie is forwarded like qpylib.
    - Store in ``$APP_ROOT/store`` (``./instance/store`` without APP_ROOT); log in
      ``store/log/app.log``; secrets in ``store/<user>_e.db`` keyed by ``QRADAR_APP_UUID``.
    """

    name = "adapter"

    def __init__(self, environ=None, *, insecure_tls=None):
        env = dict(os.environ if environ is None else environ)
        self._env = env
        app_root = env.get("APP_ROOT")
        store = os.path.join(app_root, "store") if app_root else os.path.join("instance", "store")
        self._store_root = os.path.abspath(store)
        self._logger = None  # opened on the first log line: constructing touches no files
        self._logger_lock = threading.Lock()
        self._sessions = threading.local()

        fqdn = (env.get("QRADAR_CONSOLE_FQDN") or "").strip().strip("/")
        scheme = (env.get("QRADAR_CONSOLE_SCHEME") or "https").strip().lower()
        if scheme not in ("https", "http"):
            raise ConfigurationError(f"QRADAR_CONSOLE_SCHEME must be https or http, not {scheme!r}")
        self.base_url = f"{scheme}://{fqdn}/" if fqdn else None
        if scheme == "http":
            self.log(f"QRADAR_CONSOLE_SCHEME=http: talking to {fqdn} in plain text. "
                     "Only for a local console stand-in; tokens cross the wire unencrypted.", "WARNING")

        if insecure_tls is None:
            insecure_tls = _truthy(env.get("QRADAR_TLS_INSECURE"))
        ca_bundle = console_ca(env, self._store_root)
        if insecure_tls:
            self.verify = False
            self.log("TLS CERTIFICATE VERIFICATION IS OFF (QRADAR_TLS_INSECURE): anyone on the path to "
                     f"{fqdn or 'the console'} can read the SEC token and forge answers.", "ERROR")
        else:
            # An explicit path even without a bundle: given verify=True, requests would consult
            # os.environ's REQUESTS_CA_BUNDLE, not the environment this platform was built from.
            self.verify = ca_bundle or requests.certs.where()
        self._proxies = {"https": env["QRADAR_REST_PROXY"]} if env.get("QRADAR_REST_PROXY") else {}

    # -- REST -------------------------------------------------------------
    def rest(self, method, path, *, params=None, headers=None, json=None, data=None, timeout=60):
        if not self.base_url:
            raise ConfigurationError("QRADAR_CONSOLE_FQDN is not set: no console to talk to "
                                     "(host or host:port of the console, e.g. 127.0.0.1:8443)")
        if isinstance(self.verify, str) and not os.path.isfile(self.verify):
            raise ConfigurationError(f"REQUESTS_CA_BUNDLE={self.verify} does not exist: "
                                     "point it at the PEM file of the CA that signed the console's certificate")
        headers = dict(headers or {})
        self._add_qpylib_auth(headers)
        return self._session().request(method.upper(), self.base_url + path.lstrip("/"), params=params,
                                       headers=headers, json=json, data=data, timeout=timeout,
                                       verify=self.verify, proxies=self._proxies)

    def user_rest(self, method, path, *, sec, params=None, headers=None, timeout=15):
        """A call as the signed-in user with their own SEC session: never replaced by SEC_ADMIN_TOKEN
        (unlike `rest`, which behaves as qpylib.REST does)."""
        if not self.base_url:
            raise ConfigurationError("QRADAR_CONSOLE_FQDN is not set: no console to ask who the user is")
        sent = dict(headers or {}, SEC=sec)
        return self._session().request(method.upper(), self.base_url + path.lstrip("/"), params=params,
                                       headers=sent, timeout=timeout, verify=self.verify, proxies=self._proxies)

    def _add_qpylib_auth(self, headers):
        # qpylib's three rules, so a token problem shows up here before it does in a console:
        # inside a browser request forward QRadarCSRF, and SEC unless the caller set one;
        # SEC_ADMIN_TOKEN, when set, overrides every SEC.
        try:
            from flask import has_request_context, request
        except ImportError:  # pragma: no cover - Flask is a dependency of the app
            has_request_context = lambda: False  # noqa: E731
        if has_request_context():
            if "QRadarCSRF" in request.cookies:
                headers["QRadarCSRF"] = request.cookies["QRadarCSRF"]
            if "SEC" in request.cookies and "SEC" not in headers:
                headers["SEC"] = request.cookies["SEC"]
        if self._env.get("SEC_ADMIN_TOKEN"):
            headers["SEC"] = self._env["SEC_ADMIN_TOKEN"]

    def _session(self):
        # One keep-alive session per thread: requests.Session is not documented as thread-safe.
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session

    # -- store, log, secrets -----------------------------------------------
    def store_path(self, *parts):
        return os.path.join(self._store_root, *parts)

    def _make_logger(self):
        path = os.path.join(self._store_root, "log", "app.log")
        # One logger per log file, so two platforms on one store do not write every line twice.
        logger = logging.getLogger(f"exfilwatch.qradar.platform.{path}")
        logger.setLevel(logging.DEBUG)
        if not logger.handlers:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                handler = logging.FileHandler(path, encoding="utf-8")
            except OSError as error:  # read-only checkout: log to stderr rather than not start
                handler = logging.StreamHandler()
                handler.setLevel(logging.WARNING)
                logger.warning("cannot open %s (%s); logging to stderr", path, error)
            handler.setFormatter(logging.Formatter(
                "%(asctime)s [%(threadName)s] [%(levelname)s] - %(message)s"))
            logger.addHandler(handler)
        return logger

    def log(self, msg, level="INFO"):
        level = str(level).upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
        if self._logger is None:
            with self._logger_lock:
                if self._logger is None:
                    self._logger = self._make_logger()
        if level == "EXCEPTION":
            self._logger.error(msg, exc_info=True)
        else:
            self._logger.log(getattr(logging, level), msg)

    def encryption(self, name, user):
        return FileEncryption(name, user, store_dir=self._store_root, app_uuid=self._env.get("QRADAR_APP_UUID"))


def get_platform(environ=None):
    """qpylib's platform inside a QRadar container, the adapter everywhere else."""
    try:
        return QpylibPlatform(environ)
    except ImportError:
        return AdapterPlatform(environ)
