"""Where the traffic goes: host names and the addresses they resolve to.

Attacker infrastructure uses the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24);
well-known services use addresses from their real ranges. Every destination here ends up in the
context file's "dns" map so the console stand-in can answer reverse look-ups.
"""
from .hosts import DNS_SUFFIX, INTERNAL_SERVERS

# hostname -> IPv4, for every named destination of the labelled scenarios.
SCENARIO_DESTINATIONS = {
    "g.api.mega.co.nz": "31.216.148.11",
    "gfs270n103.userstorage.mega.co.nz": "31.216.147.135",
    "file.io": "34.197.10.85",
    "transfer.sh": "144.76.136.153",
    "temp.sh": "51.91.79.17",
    "0x0.st": "168.119.145.117",
    "eapi.pcloud.com": "74.120.8.14",
    "smtp.attacker-controlled.com": "203.0.113.25",
    "ftp.exfil-staging.net": "203.0.113.21",
    "adversary-host": "203.0.113.50",
    "drop.adversary-sftp.net": "203.0.113.61",
    "api.exfil-collector.net": "203.0.113.77",
    "upload.files-drop.example.net": "203.0.113.88",
    "smtp.mail-relay-x.net": "203.0.113.95",
    "collect.data-sink.example.org": "198.51.100.77",
    # the false-positive classes: approved, named partners
    "sftp.mft.example-corp.com": "198.51.100.200",
    "corp-backups-prod.s3.eu-central-1.amazonaws.com": "52.219.170.10",
    "artifacts.example-corp.com": "203.0.113.140",
    "ingest.vigilant-saas.example.net": "198.51.100.160",
    "policy.vigilant-saas.example.net": "198.51.100.161",
}

# Destinations of issue 12's families (variants.py), all in public test ranges.
VARIANT_DESTINATIONS = {
    "drop.quietbox.example.net": "203.0.113.101",
    "api.paste-relay.example.com": "203.0.113.102",
    "pastebin.com": "104.20.208.21",
    "bits.cloud-stash.example.org": "198.51.100.103",
    "enroll.cert-mirror.example.org": "198.51.100.104",
    "ssh.far-archive.example.net": "203.0.113.105",
    "dav.share-bay.example.com": "203.0.113.106",
    "docs.partner-portal.example.com": "198.51.100.107",
    "tls.sink-point.example.net": "203.0.113.108",
}

# Public sites ordinary users and services reach over HTTPS.
WEB_SITES = {
    "www.google.com": "142.250.185.68",
    "www.bing.com": "204.79.197.200",
    "login.microsoftonline.com": "20.190.160.20",
    "outlook.office365.com": "52.97.146.162",
    "teams.microsoft.com": "52.113.194.132",
    "www.office.com": "13.107.6.156",
    "github.com": "140.82.121.4",
    "en.wikipedia.org": "185.15.58.224",
    "www.linkedin.com": "13.107.42.14",
    "news.ycombinator.com": "209.216.230.207",
    "www.salesforce.com": "104.109.11.129",
    "docs.python.org": "151.101.64.223",
    "stackoverflow.com": "104.18.32.7",
    "www.reuters.com": "23.46.134.23",
    "graph.microsoft.com": "20.190.151.7",
    "onedrive.live.com": "13.107.42.13",
    "www.youtube.com": "142.250.186.46",
    "intranet.example-corp.com": "10.10.50.80",
}

# Software-distribution and API endpoints (downloads, updaters, health checks).
DOWNLOAD_SITES = {
    "update.googleapis.com": "142.250.186.67",
    "dl.google.com": "142.250.185.110",
    "ctldl.windowsupdate.com": "93.184.221.240",
    "download.windowsupdate.com": "13.107.4.50",
    "fe3cr.delivery.mp.microsoft.com": "20.54.232.160",
    "download.microsoft.com": "23.32.112.10",
    "objects.githubusercontent.com": "185.199.108.133",
    "api.github.com": "140.82.121.6",
    "pypi.org": "151.101.0.223",
    "files.pythonhosted.org": "151.101.64.223",
    "nodejs.org": "104.20.22.46",
    "registry.npmjs.org": "104.16.27.34",
    "status.corp-saas.example.net": "198.51.100.30",
    "api.weather-feed.example.com": "198.51.100.31",
    "www.7-zip.org": "159.65.89.65",
    "the.earth.li": "46.43.34.31",
}

MAIL_SERVERS = {
    "outlook.office365.com": "52.97.146.162",
    "smtp.office365.com": "52.97.147.18",
    f"mail.{DNS_SUFFIX}": "10.10.50.25",
}

# Names Windows itself resolves all day long (svchost / DNS client noise).
WINDOWS_NOISE_NAMES = {
    "settings-win.data.microsoft.com": "20.42.65.92",
    "v10.events.data.microsoft.com": "20.189.173.3",
    "wpad." + DNS_SUFFIX: "10.10.50.5",
    "time.windows.com": "168.61.215.74",
    "login.live.com": "20.190.159.68",
    "client.wns.windows.com": "52.177.166.224",
    "dc01." + DNS_SUFFIX: "10.10.50.2",
    "dc02." + DNS_SUFFIX: "10.10.50.3",
}

INTERNAL = {f"{name}.{DNS_SUFFIX}": ip for name, ip, _owner, _crit in INTERNAL_SERVERS}


def all_destinations():
    """hostname -> ip over every table (later tables win on a shared name; they agree anyway)."""
    merged = {}
    for table in (WEB_SITES, DOWNLOAD_SITES, MAIL_SERVERS, WINDOWS_NOISE_NAMES, INTERNAL, SCENARIO_DESTINATIONS,
                  VARIANT_DESTINATIONS):
        merged.update(table)
    return merged


def reverse_dns():
    """ip -> hostname, the context file's "dns" map (first name in sorted order wins for shared IPs)."""
    rev = {}
    for name, ip in sorted(all_destinations().items()):
        rev.setdefault(ip, name)
    return dict(sorted(rev.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("."))))
