"""Console users, user roles and login sessions, and the /api/config/access endpoints that expose them.

A console knows two kinds of callers: an authorized service (the SEC token an admin created; it has a
user role of its own) and a person logged in to the console, whose browser holds a `SEC` session cookie
that the console forwards to an app. Facts modelled here (IBM's REST API reference, 20.0 and 21.0 pages):

- `GET /api/config/access/users` is open to every caller; an ADMIN sees every user, anyone else only
  themselves; `current_user=true` returns only the caller (an authorized service gets an empty list).
- `GET /api/config/access/user_roles` and `.../user_roles/{id}`: up to API 20.0 they need the ADMIN (or
  SAASADMIN) capability (403 otherwise) and show only `id` and `name`. From 21.0 any caller may ask,
  `current_user_role=true` returns the caller's own role, and roles list their `capabilities`
  (`[{"application_id", "name", "description"}]`).
"""
import secrets
import threading

from .errors import ApiError, not_found
from .routing import Reply

CODE_FORBIDDEN = 1009   # not confirmed for these endpoints on a real console; the status is what matters

# Capabilities by name (a real console has many more; these are the ones apps ask for).
CAPABILITY_TEXT = {
    "ADMIN": "Administrator", "SAASADMIN": "Hosted administrator", "EventViewer": "Log Activity",
    "SEM": "Offenses", "ASSETS": "Assets", "REPORTING": "Reports",
}
DEFAULT_ROLES = [
    {"id": 1, "name": "Admin", "capabilities": ["ADMIN", "EventViewer", "SEM", "ASSETS", "REPORTING"]},
    {"id": 2, "name": "SOC Analyst", "capabilities": ["EventViewer", "SEM", "ASSETS"]},
    {"id": 3, "name": "Hosted Admin", "capabilities": ["SAASADMIN", "EventViewer", "SEM"]},
]
SERVICE = {"kind": "service", "role_id": 1}


class UserError(ValueError):
    pass


class Users:
    def __init__(self):
        self._lock = threading.Lock()
        self.roles = {r["id"]: dict(r) for r in DEFAULT_ROLES}
        self.users = {}
        self.sessions = {}         # SEC cookie value -> user id
        self.add_user({"username": "admin", "role": "Admin"})

    # -- test-only administration (/sim/users, /sim/sessions) -------------------------------------
    def add_user(self, spec):
        if not isinstance(spec, dict) or not isinstance(spec.get("username"), str) or not spec["username"]:
            raise UserError('a user is {"username": "...", "role": "<role name>"}')
        role = self.role_by_name(spec.get("role", "SOC Analyst"))
        with self._lock:
            existing = next((u for u in self.users.values() if u["username"] == spec["username"]), None)
            user = existing or {"id": 100 + len(self.users), "username": spec["username"]}
            user.update({"user_role_id": role["id"], "security_profile_id": 1, "tenant_id": 0,
                         "email": f"{spec['username']}@example.com", "description": "", "locale_id": "en_US",
                         "enable_popup_notifications": False, "old_password": None, "password": None,
                         "password_creation_time": 0, "allow_system_authentication_fallback": False,
                         "local_only_account": False, "inactivity_timeout": 0, "notification_flag": None})
            self.users[user["id"]] = user
        return dict(user)

    def role_by_name(self, name):
        found = next((r for r in self.roles.values() if r["name"] == name), None)
        if found is None:
            raise UserError(f"no user role {name!r} (known: {', '.join(r['name'] for r in self.roles.values())})")
        return found

    def open_session(self, username):
        user = next((u for u in self.users.values() if u["username"] == username), None)
        if user is None:
            raise UserError(f"no user {username!r}")
        token = secrets.token_hex(16)
        with self._lock:
            self.sessions[token] = user["id"]
        return {"sec": token, "user": dict(user)}

    def close_session(self, token):
        with self._lock:
            return self.sessions.pop(token, None) is not None

    def public(self):
        return {"users": list(self.users.values()), "roles": list(self.roles.values()),
                "sessions": len(self.sessions)}

    # -- the console side ---------------------------------------------------------------------------
    def principal(self, token):
        """The logged-in user behind a session cookie value, or None."""
        user_id = self.sessions.get(token)
        return {"kind": "user", "user": self.users[user_id], "role_id": self.users[user_id]["user_role_id"]} \
            if user_id is not None else None

    def capabilities(self, principal):
        return set(self.roles[principal["role_id"]]["capabilities"])

    def role_shown(self, role, version):
        shown = {"id": role["id"], "name": role["name"]}
        if version >= 21.0:
            shown["capabilities"] = [{"application_id": 0, "name": c, "description": CAPABILITY_TEXT.get(c, c)}
                                     for c in role["capabilities"]]
        return shown


def _version(req):
    raw = (req.headers.get("Version") or "20.0").strip()
    try:
        return float(raw)
    except ValueError:
        return 20.0


def _forbidden():
    return ApiError(403, CODE_FORBIDDEN, "You do not have the required capabilities to access this resource.",
                    "The ADMIN or SAASADMIN capability is required.")


def register(api):
    """Adds the /api/config/access routes to the console's router."""

    @api.add("GET", "/api/config/access/users")
    def users_list(req):
        users, who = req.console.users, req.principal
        if req.params.get("current_user", "").lower() == "true":
            return Reply(200, [dict(who["user"])] if who["kind"] == "user" else [])
        if "ADMIN" in users.capabilities(who):
            return Reply(200, list(users.users.values()))
        return Reply(200, [dict(who["user"])] if who["kind"] == "user" else [])

    @api.add("GET", "/api/config/access/users/{id}")
    def user_get(req):
        users, who = req.console.users, req.principal
        try:
            user = users.users[int(req.path_params["id"])]
        except (KeyError, ValueError):
            raise not_found("The deployed user does not exist.") from None
        if "ADMIN" not in users.capabilities(who) and (who["kind"] != "user" or who["user"]["id"] != user["id"]):
            raise not_found("The deployed user does not exist.")
        return Reply(200, dict(user))

    @api.add("GET", "/api/config/access/user_roles")
    def roles_list(req):
        users, who, version = req.console.users, req.principal, _version(req)
        capabilities = users.capabilities(who)
        own = users.roles[who["role_id"]]
        if version < 21.0:
            if not capabilities & {"ADMIN", "SAASADMIN"}:
                raise _forbidden()
            roles = list(users.roles.values())
        elif req.params.get("current_user_role", "").lower() == "true" or not capabilities & {"ADMIN", "SAASADMIN"}:
            roles = [own]
        else:
            roles = list(users.roles.values())
        if "ADMIN" not in capabilities:
            roles = [r for r in roles if "ADMIN" not in r["capabilities"]]
        return Reply(200, [users.role_shown(r, version) for r in roles])

    @api.add("GET", "/api/config/access/user_roles/{id}")
    def role_get(req):
        users, who, version = req.console.users, req.principal, _version(req)
        capabilities = users.capabilities(who)
        try:
            role = users.roles[int(req.path_params["id"])]
        except (KeyError, ValueError):
            raise not_found("The user role id does not exist.") from None
        admin_like = capabilities & {"ADMIN", "SAASADMIN"}
        if version < 21.0 and not admin_like:
            raise _forbidden()
        if not admin_like and role["id"] != who["role_id"]:
            raise _forbidden()
        if "ADMIN" not in capabilities and "ADMIN" in role["capabilities"]:
            raise _forbidden()
        return Reply(200, users.role_shown(role, version))
