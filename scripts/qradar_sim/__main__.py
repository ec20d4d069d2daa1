"""CLI of the stand-in (scripts/qradar-sim). Prints one JSON "ready" line on stdout once it listens,
then serves until SIGINT/SIGTERM."""
import argparse
import json
import os
import signal
import sys
import threading

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios", "data")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="qradar-sim", description="Local QRadar console stand-in.")
    parser.add_argument("--port", type=int, default=0, help="HTTP(S) port on 127.0.0.1 (0 = a free port)")
    parser.add_argument("--events", help="JSON Lines events (default: the bundled dataset of the profile)")
    parser.add_argument("--profile", default="seed", help="console profile (custom event properties)")
    parser.add_argument("--token", default="qradar-sim-token", help="the SEC token the console accepts")
    parser.add_argument("--tls-dir", help="serve HTTPS; a CA is written to DIR/ca.pem")
    parser.add_argument("--syslog-port", type=int, default=0, help="UDP+TCP syslog port (0 = a free port)")
    parser.add_argument("--syslog-tls-port", type=int, default=0,
                        help="TLS syslog port, with --tls-dir only (0 = a free port)")
    parser.add_argument("--latency-ms", type=int, default=300, help="how long a search takes to execute")
    parser.add_argument("--regex-mode", choices=("full", "substring"), default="full",
                        help="MATCHES/IMATCHES: whole-value match (full) or search (substring)")
    parser.add_argument("--retention-s", type=float, default=86400, help="search results lifetime")
    parser.add_argument("--faults", help="JSON list of faults to arm at start")
    parser.add_argument("--release", help="answer to the API versions of this QRadar release, e.g. 7.5.0-UP10 "
                        "(releases.py); default: every version from 12.0 to 20.0")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from .server import ConsoleHTTPServer
    from .state import Console
    from .syslog import SyslogServers

    try:
        console = Console(profile=args.profile, token=args.token, latency_ms=args.latency_ms,
                          regex_mode=args.regex_mode, retention_s=args.retention_s,
                          release=args.release)
    except ValueError as exc:
        print(f"[qradar-sim] {exc}", file=sys.stderr)
        return 2
    events_path = args.events or os.path.join(DATA_DIR, f"events-{args.profile}.jsonl")
    if os.path.exists(events_path):
        count = console.load_events(events_path)
        print(f"[qradar-sim] loaded {count} events from {events_path}", file=sys.stderr)
    elif args.events:
        print(f"[qradar-sim] events file not found: {events_path}", file=sys.stderr)
        return 2
    else:
        print(f"[qradar-sim] bundled dataset {events_path} is absent: starting with no events", file=sys.stderr)
    if args.faults:
        with open(args.faults, encoding="utf-8") as f:
            console.faults.add(json.load(f))

    ssl_context = None
    if args.tls_dir:
        from .tls import server_context
        ssl_context, ca_path = server_context(args.tls_dir)
        print(f"[qradar-sim] HTTPS; CA certificate in {ca_path}", file=sys.stderr)
    http = ConsoleHTTPServer(("127.0.0.1", args.port), console, ssl_context)
    # The TLS syslog listener uses the HTTPS server's certificate: one CA (DIR/ca.pem) for all of the console,
    # as a client trusts a deployment's CA, not each listener.
    syslog = SyslogServers(console.intake, port=args.syslog_port, tls_context=ssl_context,
                           tls_port=args.syslog_tls_port).start()
    scheme = "https" if ssl_context else "http"
    console.url = f"{scheme}://127.0.0.1:{http.server_address[1]}"
    console.syslog_port = syslog.port
    console.syslog_tls_port = syslog.tls_port

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # serve_forever runs in a thread: shutdown() must be called from another thread than the loop's.
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True).start()

    print(json.dumps({"ready": True, "url": console.url, "syslog_port": syslog.port,
                      "syslog_tls_port": syslog.tls_port, "profile": args.profile,
                      "events": len(console.store), "token": args.token}), flush=True)
    while not stop.wait(1.0):
        pass
    print("[qradar-sim] stopping", file=sys.stderr)
    http.shutdown()
    http.server_close()
    syslog.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
