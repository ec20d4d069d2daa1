"""Logical events: the normalized fields QRadar fills plus the Windows/Sysmon fields under logical names.

A logical event is a dict with the normalized Ariel columns, the payload, `_scenario`, and `props`:
the custom-property values under logical keys (see profiles.py for the names each console uses).
`Timeline` writes the events of one host in one scenario, keeping the links real telemetry has:
one ProcessGuid from a process's Sysmon 1 through its 3, 11 and 22 events.
"""
from dataclasses import dataclass

from . import catalog, payload
from .hosts import SYSTEM_USER

TCP, UDP, NO_PROTOCOL = 6, 17, 255


@dataclass(frozen=True)
class Proc:
    """A process as Sysmon describes it; `guid` is None for processes that started before the window."""
    image: str
    cmd: str
    guid: str
    pid: int
    user: str
    ofn: str = None
    parent_image: str = None
    parent_cmd: str = None

    @property
    def name(self):
        return self.image.rsplit("\\", 1)[-1]


def new_guid(rng):
    h = f"{rng.getrandbits(128):032x}"
    return "{" + f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}".upper() + "}"


def new_pid(rng):
    return rng.randrange(100, 6000) * 4   # Windows PIDs are multiples of 4


class Timeline:
    """Emits the events of one host inside one scenario, in time order, into `self.events`.

    `t` is the host's clock (devicetime); each event reaches QRadar after a small WinCollect
    delivery lag, which becomes its starttime. Methods take `gap`, the milliseconds since the
    previous action.
    """

    def __init__(self, host, rng, scenario_id, t_ms, note=None, record=None, delivered=0):
        self.host, self.rng, self.scenario_id, self.t, self.note = host, rng, scenario_id, t_ms, note
        self.events = []
        # Per-host state a caller may carry from one timeline to the next: the event log's record
        # number, and the last delivery time (WinCollect reads a log in order, so a host's events
        # reach QRadar in the order they happened).
        self.record = rng.randrange(100000, 9000000) if record is None else record
        self.delivered = delivered

    # -- the actions a scenario is made of -------------------------------------------------------
    def run(self, image, cmd, parent, user=None, ofn=None, gap=300):
        """Process creation: Sysmon 1, and Security 4688 where the host audits command lines."""
        user = user or self.host.account
        proc = Proc(image, cmd, new_guid(self.rng), new_pid(self.rng), user,
                    ofn or image.rsplit("\\", 1)[-1], parent.image, parent.cmd)
        self.advance(gap)
        self._emit(catalog.KINDS["1"], user, {
            "eid": "1", "image": image, "cmd": cmd, "pimage": parent.image, "pcmd": parent.cmd,
            "guid": proc.guid, "ofn": proc.ofn,
        }, [("ProcessGuid", proc.guid), ("ProcessId", proc.pid),
            ("Image", image), ("OriginalFileName", proc.ofn), ("CommandLine", cmd), ("User", user),
            ("ParentImage", parent.image)])
        if self.host.audit_4688:
            self.advance(self.rng.randrange(0, 40))
            domain, _, account = user.partition("\\")
            self._emit(catalog.KINDS["4688"], user, {
                "eid": "4688", "image": image, "cmd": cmd, "pimage": parent.image,
            }, [("Account Name", account), ("Account Domain", domain), ("New Process ID", hex(proc.pid)),
                ("New Process Name", image), ("Creator Process Name", parent.image),
                ("Process Command Line", cmd)])
        return proc

    def connect(self, proc, dest_ip, dest_port, dest_host=None, protocol=TCP, gap=200):
        """Sysmon 3. No CommandLine: the real schema has none (join on ProcessGuid for it)."""
        self.advance(gap)
        src_port = self.rng.randrange(49152, 65535)
        src_ip = "127.0.0.1" if dest_ip.startswith("127.") else self.host.ip
        self._emit(catalog.KINDS["3"], proc.user, {
            "eid": "3", "image": proc.image, "guid": proc.guid, "dhost": dest_host or "-",
        }, [("ProcessGuid", proc.guid), ("Image", proc.image),
            ("User", proc.user), ("Protocol", "udp" if protocol == UDP else "tcp"),
            ("SourceIp", src_ip), ("SourcePort", src_port), ("DestinationIp", dest_ip),
            ("DestinationHostname", dest_host or "-"), ("DestinationPort", dest_port)],
            net=(dest_ip, dest_port, src_port, protocol))

    def dns(self, proc, name, answer, gap=50):
        """Sysmon 22, written for the process that asked."""
        self.advance(gap)
        self._emit(catalog.KINDS["22"], proc.user, {
            "eid": "22", "image": proc.image, "guid": proc.guid, "qname": name,
        }, [("ProcessGuid", proc.guid), ("QueryName", name),
            ("QueryStatus", 0), ("QueryResults", f"::ffff:{answer};"), ("Image", proc.image)])

    def file(self, proc, path, gap=100):
        """Sysmon 11."""
        self.advance(gap)
        self._emit(catalog.KINDS["11"], proc.user, {
            "eid": "11", "image": proc.image, "guid": proc.guid, "tfile": path,
        }, [("ProcessGuid", proc.guid), ("Image", proc.image),
            ("TargetFilename", path), ("User", proc.user)])

    def logon(self, account, logon_type, process_image, gap=100):
        """Security 4624 (interactive 2, network 3, service 5, unlock 7, cached 11)."""
        self.advance(gap)
        domain, _, name = account.partition("\\")
        self._emit(catalog.KINDS["4624"], account, {"eid": "4624", "image": process_image},
                   [("Logon Type", logon_type), ("Account Name", name), ("Account Domain", domain),
                    ("Logon ID", hex(self.rng.getrandbits(28))), ("Process Name", process_image)])

    def advance(self, ms):
        self.t += ms

    # -- plumbing --------------------------------------------------------------------------------
    def _emit(self, kind, username, props, fields, net=None):
        self.record += 1
        received = max(self.t + self.rng.randrange(200, 2500), self.delivered)   # WinCollect delivery lag
        self.delivered = received
        low = catalog.category(kind)
        dest_ip, dest_port, src_port, proto = net or (self.host.ip, 0, 0, NO_PROTOCOL)
        event = {
            "starttime": received, "endtime": received, "devicetime": self.t,
            "logsourceid": self.host.logsource_id, "devicetype": catalog.DEVICE_TYPE_WINDOWS,
            "category": low, "highlevelcategory": catalog.high_level_category(low), "qid": kind.qid,
            "username": username, "sourceip": self.host.ip, "destinationip": dest_ip,
            "sourceport": src_port, "destinationport": dest_port, "protocolid": proto, "eventcount": 1,
            "magnitude": kind.magnitude, "severity": kind.severity, "credibility": kind.credibility,
            "relevance": kind.relevance, "domainid": 0,
            "payload": payload.render(kind, self.host, self.t, self.record, fields),
            "props": props, "_scenario": self.scenario_id,
        }
        if self.note:
            event["_note"] = self.note
        self.events.append(event)


# Processes that were already running when the window opened: they only ever appear as parents
# (or, with a GUID, as the Image of long-lived network activity).
@dataclass(frozen=True)
class Running:
    image: str
    cmd: str
    user: str = None

    @property
    def name(self):
        return self.image.rsplit("\\", 1)[-1]


RUNNING = {
    "explorer": Running(r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE"),
    "scheduler": Running(r"C:\Windows\System32\svchost.exe", r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
                         SYSTEM_USER),
    "services": Running(r"C:\Windows\System32\services.exe", r"C:\Windows\system32\services.exe", SYSTEM_USER),
    "build-agent": Running(r"C:\agent\bin\Agent.Worker.exe",
                           r'"C:\agent\bin\Agent.Worker.exe" spawnclient 3724 3728'),
    "vigilant": Running(r"C:\Program Files\Vigilant Security\Sensor\VigilantSensor.exe",
                        r'"C:\Program Files\Vigilant Security\Sensor\VigilantSensor.exe" --service', SYSTEM_USER),
    "wmiprvse": Running(r"C:\Windows\System32\wbem\WmiPrvSE.exe", r"C:\Windows\system32\wbem\wmiprvse.exe -Embedding",
                        SYSTEM_USER),
}
