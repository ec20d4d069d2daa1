"""CLI: python -m scenarios --out DIR [--seed N] [--start ISO|epoch-ms] [--hours H]
[--background-events N] [--background-hosts N] [--profile P ...]. Defaults = the bundled dataset."""
import argparse
import json
import sys
from dataclasses import replace
from datetime import datetime, timezone

from .generate import BUNDLED, write
from .profiles import PROFILE_NAMES


def parse_start(text):
    """Epoch milliseconds, or an ISO 8601 time (UTC unless it names a zone)."""
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scenarios", description="Writes the labelled ExfilWatch event dataset.")
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=BUNDLED.seed)
    ap.add_argument("--start", type=parse_start, default=BUNDLED.start_ms, help="ISO 8601 or epoch ms (UTC)")
    ap.add_argument("--hours", type=float, default=BUNDLED.hours)
    ap.add_argument("--background-events", type=int, default=BUNDLED.background_events,
                    help="approximate number of background events (labelled scenarios come on top)")
    ap.add_argument("--background-hosts", type=int, default=None,
                    help="number of background hosts (default: one per ~250 background events, 8 to 400)")
    ap.add_argument("--profile", action="extend", nargs="+", choices=PROFILE_NAMES,
                    help="profiles to write (default: all)")
    args = ap.parse_args(argv)
    if args.hours <= 0.25:
        ap.error("--hours must be more than 0.25 (the scenarios need room)")
    params = replace(BUNDLED, seed=args.seed, start_ms=args.start, hours=args.hours,
                     background_events=args.background_events, background_hosts=args.background_hosts)
    result = write(args.out, params, tuple(dict.fromkeys(args.profile or PROFILE_NAMES)))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
