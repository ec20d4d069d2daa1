"""Reference sets: create, list, read, add and delete elements, delete the set."""
import ipaddress
import threading
import time

from .errors import ApiError, bad_parameter, not_found

ELEMENT_TYPES = ("ALN", "NUM", "IP", "PORT", "ALNIC", "DATE")


def _now_ms():
    return int(time.time() * 1000)


def _check_value(element_type, value):
    """The console refuses an element that does not fit the set's type (422)."""
    try:
        if element_type == "NUM":
            float(value)
        elif element_type == "IP":
            ipaddress.ip_address(value)
        elif element_type == "PORT":
            if not 0 <= int(value) <= 65535:
                raise ValueError
        elif element_type == "DATE":
            int(value)
    except ValueError:
        raise bad_parameter(f"{value!r} is not a valid {element_type} value")
    # ALNIC sets compare case-insensitively; the console keeps them lower case.
    return value.lower() if element_type == "ALNIC" else value


class ReferenceSets:
    def __init__(self):
        self._lock = threading.Lock()
        self._sets = {}
        self._next_task = 1

    def _summary(self, ref, with_data):
        out = {k: v for k, v in ref.items() if k != "data"}
        out["number_of_elements"] = len(ref["data"])
        if with_data:
            out["data"] = [dict(e) for e in ref["data"].values()]
        return out

    def _get(self, name):
        ref = self._sets.get(name)
        if ref is None:
            raise not_found(f"{name} does not exist", "The reference set does not exist.")
        return ref

    def all(self):
        with self._lock:
            return [self._summary(r, False) for r in self._sets.values()]

    def get(self, name):
        with self._lock:
            return self._summary(self._get(name), True)

    def create(self, name, element_type, time_to_live=None):
        if not name:
            raise bad_parameter("name is required")
        element_type = (element_type or "").upper()
        if element_type not in ELEMENT_TYPES:
            raise bad_parameter(f"element_type must be one of {', '.join(ELEMENT_TYPES)}")
        with self._lock:
            if name in self._sets:
                raise ApiError(409, 1004, f"{name} already exists", "The reference set already exists.")
            self._sets[name] = {"name": name, "element_type": element_type, "time_to_live": time_to_live,
                                "timeout_type": "UNKNOWN", "creation_time": _now_ms(), "data": {}}
            return self._summary(self._sets[name], False)

    def add(self, name, value, source=None):
        if value is None or value == "":
            raise bad_parameter("value is required")
        with self._lock:
            ref = self._get(name)
            value = _check_value(ref["element_type"], value)
            now = _now_ms()
            element = ref["data"].setdefault(value, {"value": value, "source": source or "reference data api",
                                                     "first_seen": now, "last_seen": now})
            element["last_seen"] = now
            if source:
                element["source"] = source
            return self._summary(ref, True)

    def remove_value(self, name, value):
        with self._lock:
            ref = self._get(name)
            key = value.lower() if ref["element_type"] == "ALNIC" else value
            if key not in ref["data"]:
                raise not_found(f"{value} does not exist in {name}", "The reference set element does not exist.")
            del ref["data"][key]
            return self._summary(ref, True)

    def delete(self, name):
        """The console deletes a set in a background task and answers 202 with the task's status."""
        with self._lock:
            self._get(name)
            del self._sets[name]
            task = {"id": self._next_task, "name": name, "status": "COMPLETED", "created": _now_ms(),
                    "modified": _now_ms(), "created_by": "admin", "message": f"Reference set {name} deleted"}
            self._next_task += 1
            return task
