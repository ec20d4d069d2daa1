"""Who is asking, and may they administer ExfilWatch: checked server-side with the user's OWN console session.

The manifest's `required_capabilities: ["ADMIN"]` only hides the admin page in the console's menus; any
signed-in user can still call the app's URLs. So every admin route and every piece of admin-only data is
checked here, with the `SEC` session cookie the console forwards to the app, never with the app's token
(which is an administrator's by construction and would make everyone an admin). qpylib.REST replaces SEC
with SEC_ADMIN_TOKEN whenever that is set, so the check calls the console through `platform.user_rest`.

Console endpoints (docs/admin.md says why these):
1. `GET /api/config/access/users?current_user=true` (every caller, API 13.0+): the signed-in user
   (username for the audit trail, user_role_id). 401 = no valid session; an empty list = an authorized
   service token, not a person.
2. `GET /api/config/access/user_roles?current_user_role=true` at API 21.0 or newer: the caller's role and its
   capabilities; admin = the ADMIN capability.
3. Where the console does not speak that version (422): `GET /api/config/access/user_roles` at the older version.
   Up to 20.0 it needs ADMIN or SAASADMIN (403 otherwise); from 21.0 a non-administrator gets only their own
   role. So: admin when the list holds a role other than the caller's own; 403 or only their own role = not.
   This can only err towards refusing (a console with one single role), never towards admitting.
Anything else (console down, an unexpected answer) refuses: the check fails closed.
"""
from __future__ import annotations

import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field

import requests
from flask import current_app, g, jsonify, request

from . import runtime

ADMIN_CAPABILITY = "ADMIN"
ROLES_VERSION = "21.0"          # the first API version whose user_roles lists the caller's capabilities
FALLBACK_VERSION = "20.0"
CACHE_TTL_S = 30.0              # a revoked role or a logged-out session is honoured within this
MAX_CACHED = 1000


class AuthError(Exception):
    """The request may not go on: `status` (401, 403 or 503) and a message for the person."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    role: str
    is_admin: bool
    capabilities: frozenset = field(default_factory=frozenset)
    checked_by: str = ""        # which console endpoint decided is_admin

    @property
    def name(self) -> str:      # what other blueprints record as the actor (g.console_user.name)
        return self.username


class UserCheck:
    """Asks the console who owns a SEC session; answers are cached per session for CACHE_TTL_S."""

    def __init__(self, platform, *, version=lambda: None, ttl_s: float = CACHE_TTL_S, clock=time.monotonic):
        """`version()`: the API version the app's client uses with this console (None when unknown)."""
        self.platform = platform
        self.version_source = version
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, ConsoleUser | AuthError]] = {}
        self._lock = threading.Lock()

    def user(self, sec: str) -> ConsoleUser:
        key = hashlib.sha256(sec.encode("utf-8", "surrogatepass")).hexdigest()   # no session value kept
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            try:
                answer: ConsoleUser | AuthError = self._ask(sec)
            except AuthError as error:
                answer = error
            if not (isinstance(answer, AuthError) and answer.status == 503):   # an outage is not remembered
                with self._lock:
                    if len(self._cache) >= MAX_CACHED:
                        self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                    self._cache[key] = (now + self.ttl_s, answer)
        else:
            answer = cached[1]
        if isinstance(answer, AuthError):
            raise answer
        return answer

    def _get(self, path: str, sec: str, version: str, params=None):
        try:
            response = self.platform.user_rest("GET", path, sec=sec, params=params,
                                               headers={"Version": version, "Accept": "application/json"})
        except requests.RequestException as error:
            raise AuthError(503, f"cannot reach the QRadar console to check your session: {error}") from None
        if response.status_code == 401:
            raise AuthError(401, "your QRadar session is not valid (logged out or expired): log in to the "
                                 "console again and reopen ExfilWatch")
        return response

    @staticmethod
    def _json(response, what: str):
        try:
            return response.json()
        except ValueError:
            raise AuthError(503, f"the console's answer to {what} is not JSON (HTTP {response.status_code})") from None

    def _versions(self) -> tuple[str, str]:
        """(version for the users call and the fallback, version for current_user_role)."""
        try:
            known = self.version_source()
            number = float(known)
        except Exception:    # not negotiated yet, console unreachable, nothing configured
            known, number = None, 0.0
        return (known or FALLBACK_VERSION), (known if number >= float(ROLES_VERSION) else ROLES_VERSION)

    def _ask(self, sec: str) -> ConsoleUser:
        version, roles_version = self._versions()
        response = self._get("api/config/access/users", sec, version,
                             {"current_user": "true", "fields": "id,username,user_role_id"})
        if response.status_code != 200:
            raise AuthError(503, f"the console answered HTTP {response.status_code} when asked who you are")
        users = self._json(response, "config/access/users")
        if not isinstance(users, list):
            raise AuthError(503, "the console's config/access/users answer is not a list")
        if not users:
            raise AuthError(403, "this session is an authorized service token, not a console user")
        user = users[0] if isinstance(users[0], dict) else {}
        username, role_id = user.get("username"), user.get("user_role_id")
        if not isinstance(username, str) or not username or isinstance(role_id, bool) or not isinstance(role_id, int):
            raise AuthError(503, "the console's config/access/users answer has no username and user_role_id")

        response = self._get("api/config/access/user_roles", sec, roles_version, {"current_user_role": "true"})
        if response.status_code == 200:
            roles = self._json(response, "config/access/user_roles")
            role = roles[0] if isinstance(roles, list) and len(roles) == 1 and isinstance(roles[0], dict) else None
            if role is None or not isinstance(role.get("capabilities"), list):
                raise AuthError(503, "the console's user_roles answer does not list the role's capabilities")
            names = frozenset(c.get("name") for c in role["capabilities"] if isinstance(c, dict))
            return ConsoleUser(username, str(role.get("name") or role_id), ADMIN_CAPABILITY in names, names,
                               "config/access/user_roles?current_user_role=true")
        if response.status_code != 422:   # 422 = this console does not offer that API version
            raise AuthError(503, f"the console answered HTTP {response.status_code} when asked for your role")
        response = self._get("api/config/access/user_roles", sec, version)
        if response.status_code == 403:
            return ConsoleUser(username, str(role_id), False, frozenset(), "config/access/user_roles")
        if response.status_code != 200:
            raise AuthError(503, f"the console answered HTTP {response.status_code} when asked for the roles")
        roles = self._json(response, "config/access/user_roles")
        if not isinstance(roles, list):
            raise AuthError(503, "the console's user_roles answer is not a list")
        ids = {r.get("id") for r in roles if isinstance(r, dict)}
        own = next((r.get("name") for r in roles if isinstance(r, dict) and r.get("id") == role_id), None)
        return ConsoleUser(username, str(own or role_id), bool(ids - {role_id}), frozenset(), "config/access/user_roles")


# -- Flask side --------------------------------------------------------------------------------------------
def _checker() -> UserCheck:
    checker = current_app.extensions.get("exfilwatch.users")
    if checker is None:
        rt = runtime()
        checker = current_app.extensions["exfilwatch.users"] = UserCheck(
            rt.platform, version=lambda: getattr(rt.client, "version", None))
    return checker


def session_value() -> str | None:
    """The user's SEC session cookie. Outside a console (scripts/demo) EXFILWATCH_LOCAL_SESSION may name a
    session of the stand-in instead; inside the container (qpylib) that setting is ignored."""
    sec = request.cookies.get("SEC")
    if sec:
        return sec
    rt = runtime()
    local = getattr(rt.config, "local_session", None)
    if local and getattr(rt.platform, "name", "") != "qpylib":
        return local
    return None


def current_user() -> ConsoleUser:
    """The signed-in console user, also left in `g.console_user` for the rest of the request; raises AuthError.
    Any blueprint may call it to name the actor of a change (e.g. a triage action)."""
    cached = g.get("console_user")
    if isinstance(cached, ConsoleUser):
        return cached
    sec = session_value()
    if not sec:
        raise AuthError(401, "no QRadar session: open ExfilWatch from the QRadar console")
    if len(sec) > 4096 or not all(33 <= ord(c) <= 126 for c in sec):
        raise AuthError(401, "the QRadar session cookie is malformed: log in to the console again")
    user = _checker().user(sec)
    g.console_user = user
    return user


def viewer_is_admin() -> bool:
    """For pages shown to everyone that hide admin-only details (stored AQL, errors with queries)."""
    try:
        return current_user().is_admin
    except AuthError:
        return False


def admin_refusal():
    """None when the signed-in user is an administrator, else the 401/403/503 JSON response to send."""
    try:
        user = current_user()
    except AuthError as error:
        return jsonify({"error": error.message}), error.status
    if not user.is_admin:
        return jsonify({"error": f"{user.username} is not an administrator (role {user.role}): the ExfilWatch "
                                 "admin page needs the ADMIN capability"}), 403
    return None


def require_admin(view):
    """For a single admin-only view outside the admin blueprint (the blueprint checks every route)."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        return admin_refusal() or view(*args, **kwargs)
    return checked
