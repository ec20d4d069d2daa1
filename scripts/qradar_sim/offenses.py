"""Offenses and their notes. Offenses are only ever created by the rule engine (rules.py), as on a
console: the REST API can read them, update a few fields and add notes, never create one."""
import threading
import time

from .errors import ApiError, bad_parameter, not_found

STATUSES = ("OPEN", "HIDDEN", "CLOSED")
# GET /api/siem/offense_closing_reasons on a fresh console lists these three.
CLOSING_REASONS = [
    {"id": 1, "text": "Non-Issue", "is_reserved": False, "is_deleted": False},
    {"id": 2, "text": "False-Positive, Tuned", "is_reserved": False, "is_deleted": False},
    {"id": 3, "text": "Policy Violation", "is_reserved": False, "is_deleted": False},
]
NOTE_USERNAME = "API_user: admin"   # what consoles report for notes written with a service token


def _now_ms():
    return int(time.time() * 1000)


def _bool_param(value, name):
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_parameter(f"{name} must be true or false")


class Offenses:
    def __init__(self):
        self._lock = threading.Lock()
        self._offenses = {}
        self._notes = {}
        self._next_id = 1
        self._next_note_id = 1

    # ---- the rule engine's side -------------------------------------------------------------
    def open_for_index(self, rule_id, offense_type, index_value):
        """The OPEN offense this rule indexed on this value, or None (closed ones are never reused)."""
        with self._lock:
            for offense in self._offenses.values():
                if (offense["status"] == "OPEN" and offense["offense_source"] == index_value
                        and offense["offense_type"] == offense_type
                        and any(r["id"] == rule_id for r in offense["rules"])):
                    return offense["id"]
        return None

    def create(self, fields):
        with self._lock:
            offense_id = self._next_id
            self._next_id += 1
            now = _now_ms()
            offense = {
                "id": offense_id, "description": "", "status": "OPEN", "assigned_to": None,
                "categories": [], "category_count": 0, "close_time": None, "closing_user": None,
                "closing_reason_id": None, "credibility": 3, "relevance": 3, "severity": 5, "magnitude": 4,
                "destination_networks": [], "source_network": "other", "device_count": 1, "domain_id": 0,
                "event_count": 1, "flow_count": 0, "follow_up": False, "inactive": False,
                "first_persisted_time": now, "last_persisted_time": now, "start_time": now,
                "last_updated_time": now, "local_destination_address_ids": [], "local_destination_count": 0,
                "log_sources": [], "offense_source": "", "offense_type": 0, "policy_category_count": 0,
                "protected": False, "remote_destination_count": 0, "rules": [],
                "security_category_count": 0, "source_address_ids": [], "source_count": 1,
                "username_count": 0,
            }
            offense.update(fields)
            offense["category_count"] = len(offense["categories"])
            self._offenses[offense_id] = offense
            self._notes[offense_id] = []
            return dict(offense)

    def record_event(self, offense_id, severity, when_ms):
        with self._lock:
            offense = self._offenses[offense_id]
            offense["event_count"] += 1
            offense["last_updated_time"] = when_ms
            offense["last_persisted_time"] = when_ms
            offense["severity"] = max(offense["severity"], severity)
            offense["magnitude"] = max(offense["magnitude"], magnitude_for_severity(offense["severity"]))
            return dict(offense)

    # ---- the REST side ------------------------------------------------------------------------
    def all(self):
        with self._lock:
            return [dict(o) for o in self._offenses.values()]

    def get(self, offense_id):
        with self._lock:
            offense = self._offenses.get(_offense_id(offense_id))
            if offense is None:
                raise not_found(f"Offense {offense_id} does not exist.", "The offense does not exist.")
            return dict(offense)

    def update(self, offense_id, params):
        """POST /api/siem/offenses/{id}: status, assigned_to, follow_up, protected, closing_reason_id."""
        current = self.get(offense_id)
        changes = {}
        if "status" in params:
            status = params["status"].upper()
            if status not in STATUSES:
                raise bad_parameter(f"status must be one of {', '.join(STATUSES)}")
            changes["status"] = status
        if "closing_reason_id" in params:
            try:
                reason = int(params["closing_reason_id"])
            except ValueError:
                raise bad_parameter("closing_reason_id must be an integer")
            if reason not in {r["id"] for r in CLOSING_REASONS}:
                raise bad_parameter(f"closing reason {reason} does not exist")
            changes["closing_reason_id"] = reason
        if changes.get("status") == "CLOSED" and current["status"] != "CLOSED":
            if "closing_reason_id" not in changes:
                raise ApiError(409, 1004, "A closing_reason_id is required to close an offense.",
                               "The offense cannot be closed without a closing reason.")
            changes["close_time"] = _now_ms()
            changes["closing_user"] = NOTE_USERNAME
        elif changes.get("status") in ("OPEN", "HIDDEN") and current["status"] == "CLOSED":
            raise ApiError(409, 1004, "A closed offense cannot be reopened.", "Closed offenses stay closed.")
        if "assigned_to" in params:
            changes["assigned_to"] = params["assigned_to"] or None
        for flag in ("follow_up", "protected"):
            if flag in params:
                changes[flag] = _bool_param(params[flag], flag)
        with self._lock:
            self._offenses[current["id"]].update(changes)
            return dict(self._offenses[current["id"]])

    def add_note(self, offense_id, text):
        offense = self.get(offense_id)
        if not text:
            raise bad_parameter("note_text is required")
        with self._lock:
            note = {"id": self._next_note_id, "create_time": _now_ms(), "username": NOTE_USERNAME,
                    "note_text": text}
            self._next_note_id += 1
            self._notes[offense["id"]].append(note)
            return dict(note)

    def notes(self, offense_id):
        offense = self.get(offense_id)
        with self._lock:
            return [dict(n) for n in self._notes[offense["id"]]]


def _offense_id(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        raise not_found(f"Offense {text} does not exist.", "The offense does not exist.")


def magnitude_for_severity(severity):
    # A console weighs relevance, severity and credibility; with the fixed defaults used here the
    # magnitude tracks severity closely enough for display.
    return max(1, min(10, round((severity * 2 + 3 * 2) / 4)))


