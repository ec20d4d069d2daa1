"""`scripts/create-reference-sets`: creates the ExfilWatch reference sets on a console, through the app's
own QRadarClient (same auth, TLS verification, retries and typed errors as the app).

    QRADAR_TOKEN=<authorized service token> scripts/create-reference-sets --console qradar.example.com \\
        --ca /etc/pki/qradar-ca.pem [--dry-run] [--json]

Idempotent: a set that exists is fine and left untouched (elements included); one that exists with
another element type is reported, not changed, and makes the exit status 1. Exit 2: the console could
not be reached or refused the token. The console, token and CA default to what the platform gives an app
(QRADAR_CONSOLE_FQDN, SEC_ADMIN_TOKEN, REQUESTS_CA_BUNDLE), so the same command works from the app's
container. What each set is for: docs/offenses.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

from app.qradar.client import QRadarClient
from app.qradar.errors import BadRequestError, QRadarError
from app.qradar.platform import AdapterPlatform


@dataclass(frozen=True)
class SetSpec:
    name: str
    element_type: str              # ALN, ALNIC, IP, NUM, PORT, DATE
    time_to_live: str | None
    purpose: str
    allowlist_field: str | None    # the hit field the app compares it with (enrichment.allowlist_sets)


REFERENCE_SETS = (
    SetSpec("ExfilWatch Allowed Destination IPs", "ALN", None,
            "destination IPs or CIDR blocks approved for transfers (ALN so that CIDRs fit)", "destination_ip"),
    SetSpec("ExfilWatch Allowed Destination Domains", "ALNIC", None,
            "destination host names or parent domains approved for transfers", "destination_hostname"),
    SetSpec("ExfilWatch Approved Transfer Users", "ALNIC", None,
            "accounts allowed to run transfer tools (DOMAIN\\user or user)", "username"),
    SetSpec("ExfilWatch Approved Transfer Hosts", "ALN", None,
            "source hosts (IPs or CIDR blocks) whose transfers are expected, e.g. backup servers", "source_ip"),
    SetSpec("ExfilWatch Exfiltration Sources", "IP", "30 days",
            "filled by the ExfilWatch offense rule's response: hosts ExfilWatch raised an offense for", None),
)


class ScriptPlatform(AdapterPlatform):
    """The app's adapter platform, logging to stderr instead of a store directory."""

    def log(self, msg, level="INFO"):
        if str(level).upper() in ("WARNING", "ERROR", "CRITICAL", "EXCEPTION"):
            print(f"[{str(level).lower()}] {msg}", file=sys.stderr)


def build_client(args) -> QRadarClient:
    token = os.environ.get(args.token_env, "")
    if not token:
        raise SystemExit(f"no token: set {args.token_env} to an authorized service token "
                         "(Admin > Authorized Services, with the security profile of an admin)")
    env = {"QRADAR_CONSOLE_FQDN": args.console or "", "REQUESTS_CA_BUNDLE": args.ca or ""}
    if args.plain_http:
        env["QRADAR_CONSOLE_SCHEME"] = "http"
    return QRadarClient(ScriptPlatform(env), lambda: token, retries=args.retries)


def ensure_sets(client: QRadarClient, specs=REFERENCE_SETS, *, dry_run: bool = False) -> list[dict]:
    """One result per set: {"name", "status": created|exists|would_create|type_mismatch, "element_type"}."""
    results = []
    for spec in specs:
        found = client.get_reference_set(spec.name)
        if found is None and dry_run:
            status = "would_create"
        elif found is None:
            try:
                client.create_reference_set(spec.name, spec.element_type, time_to_live=spec.time_to_live)
                status = "created"
            except BadRequestError as error:
                if error.status != 409:          # 409: created meanwhile by someone else: fine
                    raise
                found, status = client.get_reference_set(spec.name), "exists"
        else:
            status = "exists"
        actual = (found or {}).get("element_type", spec.element_type)
        if found is not None and actual != spec.element_type:
            status = "type_mismatch"
        results.append({"name": spec.name, "status": status, "element_type": actual,
                        "expected_type": spec.element_type})
    return results


def allowlist_setting(specs=REFERENCE_SETS) -> dict:
    """The app's enrichment.allowlist_sets value that uses these sets (set name -> hit field)."""
    return {s.name: s.allowlist_field for s in specs if s.allowlist_field}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/create-reference-sets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--console", default=os.environ.get("QRADAR_CONSOLE_FQDN"),
                        help="console HOST or HOST:PORT (default: $QRADAR_CONSOLE_FQDN)")
    parser.add_argument("--token-env", default="QRADAR_TOKEN" if os.environ.get("QRADAR_TOKEN") else "SEC_ADMIN_TOKEN",
                        help="name of the environment variable holding the SEC token (default: QRADAR_TOKEN, "
                             "else SEC_ADMIN_TOKEN); never pass a token on the command line")
    parser.add_argument("--ca", default=os.environ.get("REQUESTS_CA_BUNDLE"),
                        help="PEM file of the CA that signed the console's certificate (default: "
                             "$REQUESTS_CA_BUNDLE, else the system's trust store)")
    parser.add_argument("--plain-http", action="store_true", help="plain HTTP: a local stand-in only")
    parser.add_argument("--dry-run", action="store_true", help="only report what would be created")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    args = parser.parse_args(argv)
    if not args.console:
        parser.error("--console is required (or set QRADAR_CONSOLE_FQDN)")
    client = build_client(args)
    try:
        results = ensure_sets(client, dry_run=args.dry_run)
    except QRadarError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"sets": results, "allowlist_sets": allowlist_setting()}))
    else:
        for r in results:
            extra = f" (exists as {r['element_type']}, expected {r['expected_type']}: left as is)" \
                if r["status"] == "type_mismatch" else ""
            print(f"{r['status']:>13}  {r['name']} [{r['expected_type']}]{extra}")
        print("\nTo use the allowlists in enrichment, set enrichment.allowlist_sets on the ExfilWatch admin page to:")
        print(json.dumps(allowlist_setting(), indent=2))
    return 1 if any(r["status"] == "type_mismatch" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
