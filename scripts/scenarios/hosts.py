"""The monitored estate: Windows hosts (one log source each), their users, and the assets QRadar knows.

Every scenario runs on a host of its own, so a scenario is exactly "this host IP in this time span".
Scenario hosts are fixed here; background hosts are made from the seed in a range that cannot clash.
"""
from dataclasses import dataclass

DOMAIN = "CORP"
DNS_SUFFIX = "corp.example-corp.com"
SYSTEM_USER = "NT AUTHORITY\\SYSTEM"


@dataclass(frozen=True)
class Host:
    name: str              # NetBIOS name, e.g. WS-FIN-017
    ip: str
    user: str              # the account that normally works here (sAMAccountName)
    owner: str             # asset owner as the CMDB knows it
    group: str             # the AD group / department of the owner
    criticality: str       # asset "Business Criticality"
    audit_4688: bool       # Security 4688 with command-line auditing is switched on
    logsource_id: int
    asset_id: int

    @property
    def fqdn(self):
        return f"{self.name}.{DNS_SUFFIX}".lower()

    @property
    def account(self):
        return f"{DOMAIN}\\{self.user}"

    @property
    def home(self):
        return f"C:\\Users\\{self.user}"

    @property
    def mac(self):
        a, b, c, d = (int(x) for x in self.ip.split("."))
        return f"00:50:56:{b:02x}:{c:02x}:{d:02x}"

    def paths(self):
        """Placeholders the scenario tables use in paths and command lines."""
        home = self.home
        return {"user": self.user, "home": home, "host": self.name,
                "temp": home + "\\AppData\\Local\\Temp", "appdata": home + "\\AppData\\Roaming",
                "localappdata": home + "\\AppData\\Local", "docs": home + "\\Documents"}


# key, name, ip, user, owner, group, criticality, audit_4688. Keys are what the scenario tables refer to.
# Scenario hosts sit at .220-.254 of their subnet; generated background hosts use .10-.209.
SCENARIO_HOSTS = [
    ("seed-1", "WS-FIN-017", "10.20.1.231", "mkowalski", "Marta Kowalski", "Finance", "High", False),
    ("seed-2", "WS-HR-004", "10.20.1.232", "aokafor", "Adaeze Okafor", "Human Resources", "High", True),
    ("seed-3", "WS-ENG-031", "10.20.1.233", "dbrandt", "Daniel Brandt", "Engineering", "Medium", False),
    ("seed-4", "WS-MKT-022", "10.20.1.234", "tnguyen", "Thao Nguyen", "Marketing", "Medium", False),
    ("seed-5", "WS-SLS-009", "10.20.1.235", "rsilva", "Rafael Silva", "Sales", "Medium", True),
    ("art-1", "WS-LEG-011", "10.20.2.221", "hmuller", "Hanna Muller", "Legal", "High", True),
    ("art-2", "WS-MKT-040", "10.20.2.222", "jlee", "Jin Lee", "Marketing", "Medium", False),
    ("art-3", "WS-OPS-015", "10.20.2.223", "bforde", "Brian Forde", "Operations", "Medium", False),
    ("art-4", "WS-ENG-052", "10.20.2.224", "spatel", "Sanjay Patel", "Engineering", "Medium", True),
    ("art-5", "WS-ENG-058", "10.20.2.225", "kowens", "Kara Owens", "Engineering", "Medium", False),
    ("art-6", "WS-ENG-061", "10.20.2.226", "lmartin", "Luc Martin", "Engineering", "Medium", False),
    ("art-7", "WS-FIN-033", "10.20.2.227", "egarcia", "Elena Garcia", "Finance", "High", True),
    ("art-8", "WS-FIN-036", "10.20.2.228", "pnovak", "Petr Novak", "Finance", "High", False),
    ("art-9", "WS-HR-012", "10.20.2.229", "cdubois", "Claire Dubois", "Human Resources", "High", False),
    ("art-10", "WS-SLS-021", "10.20.2.230", "mrossi", "Marco Rossi", "Sales", "Medium", False),
    ("art-11", "WS-OPS-027", "10.20.2.231", "yamamoto", "Yuki Yamamoto", "Operations", "Medium", False),
    ("art-12", "WS-LEG-019", "10.20.2.232", "okarlsson", "Oskar Karlsson", "Legal", "High", True),
    ("art-13", "WS-ENG-070", "10.20.2.233", "abanerjee", "Anika Banerjee", "Engineering", "Medium", False),
    ("art-14", "WS-SLS-030", "10.20.2.234", "tobrien", "Tom O'Brien", "Sales", "Medium", False),
    ("art-15", "WS-FIN-041", "10.20.2.235", "zkaya", "Zeynep Kaya", "Finance", "High", False),
    ("fp-1", "WS-IT-002", "10.20.3.221", "adm.jsmith", "John Smith", "IT-Admins", "High", True),
    ("fp-2", "SRV-FILE-01", "10.10.3.222", "svc_backup", "Infrastructure Team", "IT-Infrastructure",
     "Critical", True),
    ("fp-3", "SRV-BUILD-01", "10.10.3.223", "svc_build", "DevOps Team", "DevOps", "High", True),
    ("fp-4", "WS-SOC-003", "10.20.3.224", "nfischer", "Nina Fischer", "Security Operations", "High", False),
] + [
    # issue 12's families (scenarios/variants.py): one host each, in subnets no background host uses
    (f"v-{n}", f"WS-VAR-{n:03d}", f"10.20.{4 + (n - 1) // 30}.{221 + (n - 1) % 30}", f"vuser{n:02d}",
     f"Variant User {n}", ("Finance", "Engineering", "Sales", "Legal")[n % 4], "Medium", n % 3 == 0)
    for n in range(1, 38)
]

# Internal servers that background traffic goes to; they are assets but send no Windows logs.
INTERNAL_SERVERS = [
    # name, ip, owner, criticality
    ("sftp01", "10.10.50.20", "Infrastructure Team", "High"),
    ("git", "10.10.50.30", "DevOps Team", "High"),
    ("fs02", "10.10.50.40", "Infrastructure Team", "High"),
    ("jump01", "10.10.50.10", "Infrastructure Team", "Critical"),
    ("lab-build", "192.168.50.12", "Engineering", "Low"),
    ("mail", "10.10.50.25", "Infrastructure Team", "Critical"),
]

_FIRST_NAMES = ["alex", "sam", "chris", "maria", "li", "omar", "julia", "ivan", "noah", "emma", "lucas",
                "sofia", "mateo", "aya", "leon", "mia", "arjun", "eva", "tariq", "nora"]
_LAST_NAMES = ["walker", "chen", "novak", "haddad", "schmidt", "costa", "ito", "murphy", "larsen", "roth",
               "diaz", "kim", "berg", "moreau", "singh", "quinn", "adler", "sato", "weber", "ahmed"]
_DEPARTMENTS = [("FIN", "Finance"), ("HR", "Human Resources"), ("ENG", "Engineering"), ("MKT", "Marketing"),
                ("SLS", "Sales"), ("OPS", "Operations"), ("LEG", "Legal"), ("IT", "IT-Support")]
_SERVER_ROLES = [("APP", "Application Team"), ("SQL", "Database Team"), ("WEB", "Web Team"),
                 ("PRN", "Infrastructure Team"), ("RDS", "Infrastructure Team")]

_LOGSOURCE_BASE = 1100
_ASSET_BASE = 2000


def scenario_hosts():
    """{key: Host} for the hosts the labelled scenarios run on."""
    hosts = {}
    for i, (key, name, ip, user, owner, group, crit, audit) in enumerate(SCENARIO_HOSTS):
        hosts[key] = Host(name, ip, user, owner, group, crit, audit, _LOGSOURCE_BASE + i, _ASSET_BASE + i)
    return hosts


def background_hosts(rng, count):
    """`count` ordinary hosts: mostly workstations, one in seven a member server."""
    hosts, base = [], len(SCENARIO_HOSTS)
    for i in range(count):
        n = base + i
        if i % 7 == 6:
            role, team = _SERVER_ROLES[rng.randrange(len(_SERVER_ROLES))]
            name, ip = f"SRV-{role}-{i // 7 + 1:02d}", f"10.10.{1 + i // 200}.{10 + i % 200}"
            user, owner, group, crit = f"svc_{role.lower()}", team, team, rng.choice(["High", "Critical"])
        else:
            code, dept = _DEPARTMENTS[rng.randrange(len(_DEPARTMENTS))]
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            prefix = "LT" if rng.random() < 0.4 else "WS"
            name, ip = f"{prefix}-{code}-{100 + i:03d}", f"10.20.{1 + i // 200}.{10 + i % 200}"
            user, owner, group = f"{first[0]}{last}{i}", f"{first.title()} {last.title()}", dept
            crit = rng.choice(["Low", "Medium", "Medium", "High"])
        audit = rng.random() < 0.5
        hosts.append(Host(name, ip, user, owner, group, crit, audit, _LOGSOURCE_BASE + n, _ASSET_BASE + n))
    return hosts


def log_source(host):
    return {"id": host.logsource_id, "name": f"WindowsAuthServer @ {host.name}", "type_id": 12}


def _asset(asset_id, hostname, ip, mac, given_name, owner, criticality, users):
    return {
        "id": asset_id,
        "domain_id": 0,
        "hostnames": [{"name": hostname, "type": "DNS"}],
        "interfaces": [{"mac_address": mac, "ip_addresses": [{"value": ip, "type": "IPV4"}]}],
        "properties": [
            {"name": "Given Name", "value": given_name},
            {"name": "Unified Name", "value": hostname},
            {"name": "Owner", "value": owner},
            {"name": "Business Criticality", "value": criticality},
        ],
        "users": [{"id": asset_id * 10 + k, "username": u} for k, u in enumerate(users)],
        "risk_score_sum": 0.0,
        "vulnerability_count": 0,
    }


def asset(host):
    return _asset(host.asset_id, host.fqdn, host.ip, host.mac, host.name, f"{host.owner} ({host.group})",
                  host.criticality, [host.account])


def internal_server_assets():
    assets = []
    for i, (name, ip, owner, crit) in enumerate(INTERNAL_SERVERS):
        a, b, c, d = (int(x) for x in ip.split("."))
        assets.append(_asset(_ASSET_BASE + 900 + i, f"{name}.{DNS_SUFFIX}", ip, f"00:50:56:{b:02x}:{c:02x}:{d:02x}",
                             name.upper(), owner, crit, []))
    return assets


# The network hierarchy an administrator deployed on the console (context file "network_hierarchy"): the
# estate's private ranges, and the company's own public DMZ, where its file-exchange server lives.
NETWORK_HIERARCHY = [
    # group, name, cidr, description
    ("CORP", "Servers", "10.10.0.0/16", "Data centre server networks"),
    ("CORP", "Workstations", "10.20.0.0/16", "Office and VPN client networks"),
    ("CORP", "Lab", "192.168.50.0/24", "Engineering lab"),
    ("CORP", "DMZ", "198.51.100.224/28", "Public DMZ: file exchange, mail gateway"),
]
DMZ_FILE_SERVER = "198.51.100.230"


def network_hierarchy():
    return [{"id": i + 1, "network_id": 1, "group": group, "name": name, "cidr": cidr, "description": text,
             "domain_id": 0} for i, (group, name, cidr, text) in enumerate(NETWORK_HIERARCHY)]
