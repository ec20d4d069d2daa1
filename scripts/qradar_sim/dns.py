"""DNS lookups (POST /api/services/dns_lookups?IP=, then poll GET .../{id}), answered from the
dataset's context `dns` map. The answer goes in `message`, as on a console; an unknown address
completes with an empty message. Whois lookups complete with a fixed explanatory message."""
import ipaddress
import threading

from .errors import bad_parameter, not_found


class Lookups:
    def __init__(self, kind):
        self.kind = kind
        self._lock = threading.Lock()
        self._names = {}
        self._lookups = {}
        self._next_id = 1

    def set_names(self, mapping):
        with self._lock:
            self._names.update({str(k): str(v) for k, v in mapping.items()})

    def start(self, ip):
        try:
            ipaddress.ip_address(ip or "")
        except ValueError:
            raise bad_parameter(f"IP {ip!r} is not a valid IP address")
        with self._lock:
            lookup = {"id": self._next_id, "ip": ip, "status": "QUEUED", "message": None}
            self._next_id += 1
            self._lookups[lookup["id"]] = lookup
            return dict(lookup)

    def get(self, lookup_id):
        with self._lock:
            try:
                lookup = self._lookups[int(lookup_id)]
            except (KeyError, ValueError):
                raise not_found(f"Lookup {lookup_id} does not exist.", f"The {self.kind} lookup does not exist.")
            # Answered at the first poll: the queued state is visible once, as a client must expect.
            lookup["status"] = "COMPLETED"
            lookup["message"] = self._answer(lookup["ip"])
            return dict(lookup)

    def _answer(self, ip):
        if self.kind == "dns":
            return self._names.get(ip, "")
        return f"whois is not available on the local console stand-in ({ip})"
