"""Syslog intake on its own port, UDP and TCP (newline framing or RFC 6587 octet counting), and, as a
QRadar event collector's "TLS Syslog" listener, TCP + TLS on a separate port with the same framing.

Each message is kept for GET /sim/syslog; a LEEF message also becomes an event in the event store
(so AQL sees it, as on a console) and goes through the offense rule engine.
"""
import socket
import socketserver
import sys
import threading
import time

from .leef import LeefError, parse_leef, parse_syslog
from .tls import serve_over_tls

# What the console's DSM would map a LEEF vendor to: log source type and (QID, category) of its events.
VENDOR_LOG_SOURCE_TYPES = {"exfilwatch": 4000}
VENDOR_QIDS = {"exfilwatch": (88000001, 20020)}
UNIVERSAL_LEEF_TYPE = 147
FIRST_LOG_SOURCE_ID = 9000
MAX_KEPT_MESSAGES = 10000
MAX_TCP_FRAME = 1 << 20
# A client that connects to the TLS port and never finishes the handshake holds only its own thread,
# and only this long.


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SyslogIntake:
    def __init__(self, store, catalog, rules):
        self.store = store
        self.catalog = catalog                    # names of log source types and categories; log sources
        self.rules = rules
        self._lock = threading.Lock()
        self._messages = []
        self._log_sources = {}                    # (type id, host) -> log source dict

    def messages(self):
        with self._lock:
            return list(self._messages)

    def _log_source(self, type_id, host, type_name):
        key = (type_id, host)
        with self._lock:
            source = self._log_sources.get(key)
            if source is None:
                source = {"id": FIRST_LOG_SOURCE_ID + len(self._log_sources),
                          "name": f"{type_name} @ {host}", "type_id": type_id}
                self._log_sources[key] = source
                self.catalog.add_log_sources([dict(source)])
            return dict(source)

    def receive(self, raw, transport, peer):
        now = int(time.time() * 1000)
        text = raw.decode("utf-8", errors="replace")
        record = {"received_ms": now, "transport": transport, "peer": peer, "raw": text,
                  "syslog": parse_syslog(text), "leef": None, "error": None, "offense_ids": []}
        try:
            record["leef"] = parse_leef(record["syslog"]["msg"])
        except LeefError as exc:
            record["error"] = str(exc)
        if record["leef"]:
            record["offense_ids"] = self._ingest(record, now)
        with self._lock:
            self._messages.append(record)
            del self._messages[:-MAX_KEPT_MESSAGES]
        return record

    def _ingest(self, record, now):
        leef = record["leef"]
        attributes = leef["attributes"]
        vendor = leef["vendor"].lower()
        type_id = VENDOR_LOG_SOURCE_TYPES.get(vendor, UNIVERSAL_LEEF_TYPE)
        type_name = self.catalog.log_source_type_name(type_id) or leef["vendor"]
        host = record["syslog"]["hostname"] or record["peer"].split(":")[0]
        source = self._log_source(type_id, host, type_name)
        qid, category = VENDOR_QIDS.get(vendor, (None, None))
        severity = _int_or_none(attributes.get("sev"))
        event = {
            "starttime": now, "devicetime": now, "endtime": now,
            "logsourceid": source["id"], "devicetype": type_id, "category": category, "qid": qid,
            "username": attributes.get("usrName"), "sourceip": attributes.get("src"),
            "destinationip": attributes.get("dst"), "sourceport": _int_or_none(attributes.get("srcPort")),
            "destinationport": _int_or_none(attributes.get("dstPort")), "eventcount": 1,
            "severity": severity, "credibility": 5, "relevance": 5, "magnitude": severity,
            "payload": record["raw"], "domainid": 0,
        }
        self.store.add([event])
        log_source = dict(source, type_name=type_name)
        return self.rules.apply(leef, log_source, self.catalog.category_name(category) if category else None, now)


def _octet_frames(buffer):
    """Split complete frames off a TCP buffer. Octet counting (`LEN SP MSG`) when a frame starts with a
    digit, else a line ending in LF. Returns (frames, rest)."""
    frames = []
    while buffer:
        if buffer[:1].isdigit():
            space = buffer.find(b" ")
            if space < 0 or not buffer[:space].isdigit():
                if space < 0 and len(buffer) < 12:
                    break                            # length not complete yet
                line, sep, rest = buffer.partition(b"\n")   # a line that just starts with a digit
                if not sep:
                    break
                frames.append(line)
                buffer = rest
                continue
            length = int(buffer[:space])
            if len(buffer) < space + 1 + length:
                break
            frames.append(buffer[space + 1:space + 1 + length])
            buffer = buffer[space + 1 + length:]
        else:
            line, sep, rest = buffer.partition(b"\n")
            if not sep:
                break
            if line.strip(b"\r\x00"):
                frames.append(line)
            buffer = rest
    return frames, buffer


class _TcpHandler(socketserver.BaseRequestHandler):
    """A stream of frames; also serves the TLS port, where `request` is the already wrapped socket."""

    def handle(self):
        intake, peer = self.server.intake, "%s:%d" % self.client_address[:2]
        transport = self.server.transport
        buffer = b""
        while True:
            try:
                chunk = self.request.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            frames, buffer = _octet_frames(buffer + chunk)
            for frame in frames:
                intake.receive(frame, transport, peer)
            if len(buffer) > MAX_TCP_FRAME:
                buffer = b""                         # a runaway frame: drop it rather than grow forever
        if buffer.strip(b"\r\n\x00 "):
            intake.receive(buffer, transport, peer)  # last message without a trailing newline


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request[0]
        if data.strip(b"\r\n\x00 "):
            self.server.intake.receive(data, "udp", "%s:%d" % self.client_address[:2])


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    transport = "tcp"


class _TlsServer(_TcpServer):
    """TCP + TLS: the handshake runs in the connection's own thread (finish_request), so a client that
    speaks plain TCP, distrusts the certificate or stalls only ends its own connection; the accept loop
    and the other connections go on. After the handshake the TCP handler reads the decrypted stream."""

    transport = "tls"

    def __init__(self, address, ssl_context):
        super().__init__(address, _TcpHandler)
        self.ssl_context = ssl_context

    def finish_request(self, request, client_address):
        def failed(error):
            print(f"[qradar-sim] syslog TLS handshake with {client_address[0]}:{client_address[1]} "
                  f"failed: {error}", file=sys.stderr)

        # idle_timeout_s=None as on the TCP port: a sender may stay idle for long between messages.
        serve_over_tls(self.ssl_context, request, lambda tls: super(_TlsServer, self).finish_request(
            tls, client_address), idle_timeout_s=None, on_failure=failed)


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True


class SyslogServers:
    """UDP and TCP listeners on the same port number; with `tls_context`, also TLS on `tls_port`."""

    def __init__(self, intake, host="127.0.0.1", port=0, tls_context=None, tls_port=0):
        for _ in range(20):   # port 0: TCP picks one, UDP must get the same number; retry on a clash
            tcp = _TcpServer((host, port), _TcpHandler)
            try:
                udp = _UdpServer((host, tcp.server_address[1]), _UdpHandler)
                break
            except OSError:
                tcp.server_close()
                if port:
                    raise
        else:
            raise OSError("no port free for both UDP and TCP syslog")
        self.port = tcp.server_address[1]
        self._servers = [tcp, udp]
        self.tls_port = None
        if tls_context is not None:
            try:
                tls = _TlsServer((host, tls_port), tls_context)
            except OSError:
                tcp.server_close()
                udp.server_close()
                raise
            self.tls_port = tls.server_address[1]
            self._servers.append(tls)
        for server in self._servers:
            server.intake = intake
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                                          name="syslog", daemon=True) for s in self._servers]

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()


def send_udp(port, message, host="127.0.0.1"):
    """Helper for tests and scripts: one syslog message over UDP."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(message.encode() if isinstance(message, str) else message, (host, port))
