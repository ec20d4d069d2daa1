"""The offense rule engine: a tiny stand-in for QRadar's custom rule engine (CRE).

A rule matches LEEF events (vendor, optionally product and event id) and responds like the CRE's
"ensure the detected event is part of an offense, indexed on <field>": the first matching event with
a given index value opens an offense; later ones join that offense while it is OPEN. A closed (or
hidden) offense is never reused: the next event opens a new one.
"""
import threading

from .offenses import magnitude_for_severity

# QRadar offense_type ids for the index fields a rule can use; any other LEEF key is indexed the way a
# console indexes a custom property (its own offense type).
OFFENSE_TYPES = {"src": 0, "dst": 1, "usrName": 3, "srcMAC": 4, "dstMAC": 5, "identHostName": 7,
                 "srcPort": 8, "dstPort": 9}
CUSTOM_PROPERTY_OFFENSE_TYPE = 1000

DEFAULT_RULES = [{
    "id": 100001,
    "name": "ExfilWatch: ensure detection is part of an offense",
    "enabled": True,
    "vendor": "ExfilWatch",
    "product": None,
    "event_id": None,
    "index_key": "src",
}]


def _validate(rule):
    if not isinstance(rule, dict) or not isinstance(rule.get("id"), int) or not rule.get("vendor"):
        raise ValueError('a rule needs an integer "id" and a "vendor"')
    out = {"name": f"rule {rule['id']}", "enabled": True, "product": None, "event_id": None,
           "index_key": "src"}
    out.update(rule)
    out.setdefault("offense_type", OFFENSE_TYPES.get(out["index_key"], CUSTOM_PROPERTY_OFFENSE_TYPE))
    return out


def _severity(attributes):
    try:
        return max(1, min(10, int(float(attributes.get("sev", 5)))))
    except ValueError:
        return 5


class OffenseRules:
    def __init__(self, offenses):
        self.offenses = offenses
        self._lock = threading.Lock()   # find-or-create must be atomic across syslog threads
        self._rules = [_validate(r) for r in DEFAULT_RULES]

    def get(self):
        with self._lock:
            return [dict(r) for r in self._rules]

    def set(self, rules):
        rules = rules if isinstance(rules, list) else [rules]
        checked = [_validate(r) for r in rules]
        with self._lock:
            self._rules = checked
        return self.get()

    def _matches(self, rule, leef):
        return (rule["enabled"] and leef["vendor"].lower() == rule["vendor"].lower()
                and rule["product"] in (None, leef["product"])
                and rule["event_id"] in (None, leef["event_id"]))

    def apply(self, leef, log_source, category_name, when_ms):
        """Runs every rule on one LEEF event; returns the ids of the offenses it created or updated."""
        touched = []
        attributes = leef["attributes"]
        with self._lock:
            for rule in self._rules:
                index_value = attributes.get(rule["index_key"])
                if not self._matches(rule, leef) or not index_value:
                    continue
                severity = _severity(attributes)
                existing = self.offenses.open_for_index(rule["id"], rule["offense_type"], index_value)
                if existing is not None:
                    touched.append(self.offenses.record_event(existing, severity, when_ms)["id"])
                    continue
                offense = self.offenses.create({
                    "description": attributes.get("exfilwatchRule") or leef["event_id"],
                    "offense_source": index_value,
                    "offense_type": rule["offense_type"],
                    "severity": severity,
                    "magnitude": magnitude_for_severity(severity),
                    "start_time": when_ms, "last_updated_time": when_ms,
                    "first_persisted_time": when_ms, "last_persisted_time": when_ms,
                    "event_count": 1,
                    "categories": [category_name] if category_name else [],
                    "rules": [{"id": rule["id"], "type": "CRE_RULE"}],
                    "log_sources": [log_source],
                    "username_count": 1 if attributes.get("usrName") else 0,
                })
                touched.append(offense["id"])
        return touched
