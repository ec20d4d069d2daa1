"""Raw log lines as WinCollect forwards them (tab-separated key=value header, then the rendered message).

Kept short on purpose (~250-600 characters): enough for UTF8(payload) searches and for a human to
recognise the event, not the full Windows rendering (no Source/Computer/Level keys, no UtcTime: the
syslog header carries host and time), so the bundled files stay small.
"""
import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def syslog_stamp(ms):
    t = time.gmtime(ms // 1000)
    return f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


LIMIT = 600
# Dropped first when a line runs over LIMIT (the command line and the identifying fields stay).
EXPENDABLE = ("ParentImage", "Creator Process Name", "User", "OriginalFileName", "ProcessId", "Account Domain")


def render(kind, host, device_ms, record, fields):
    """One payload line. `fields` is a list of (label, value); None values are left out."""
    head = (f"<13>{syslog_stamp(device_ms)} {host.fqdn} AgentDevice=WindowsLog\tAgentLogFile={kind.channel}\t"
            f"EventID={kind.event_id}\tRecordNumber={record}\tMessage={kind.title}  ")
    fields = [(label, value) for label, value in fields if value is not None]
    line = head + "  ".join(f"{label}: {value}" for label, value in fields)
    for label in EXPENDABLE:
        if len(line) <= LIMIT:
            break
        fields = [f for f in fields if f[0] != label]
        line = head + "  ".join(f"{lab}: {value}" for lab, value in fields)
    return line
