"""Ordinary activity: what every Windows host does all day, including look-alikes of exfiltration.

An activity is a short burst of one host's events (a browser fetching a page, curl downloading an
installer, git pushing over ssh to the internal server...). `ACTIVITIES` lists them with a weight per
host role; `Background` samples activities over the window and streams their events in starttime
order without holding the whole day in memory.
"""
import heapq

from . import destinations as dst
from .events import RUNNING, Proc, Timeline, new_guid, new_pid
from .hosts import DNS_SUFFIX, SYSTEM_USER

SYSTEM32 = r"C:\Windows\System32"
CURL = SYSTEM32 + r"\curl.exe"
POWERSHELL = SYSTEM32 + r"\WindowsPowerShell\v1.0\powershell.exe"
CMD = SYSTEM32 + r"\cmd.exe"

# Long-lived processes started before the window: they never get a Sysmon 1 here, but their
# network, DNS and file events carry their GUID. key -> (image, command line, runs as SYSTEM)
LONG_LIVED = {
    "chrome": (r"C:\Program Files\Google\Chrome\Application\chrome.exe",
               r'"C:\Program Files\Google\Chrome\Application\chrome.exe"', False),
    "edge": (r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
             r'"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --profile-directory=Default', False),
    "outlook": (r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
                r'"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE"', False),
    "teams": (r"C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\ms-teams.exe",
              r'"ms-teams.exe"', False),
    "onedrive": (r"C:\Program Files\Microsoft OneDrive\OneDrive.exe",
                 r'"C:\Program Files\Microsoft OneDrive\OneDrive.exe" /background', False),
    "excel": (r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
              r'"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE"', False),
    "dnscache": (SYSTEM32 + r"\svchost.exe", r"C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache",
                 True),
    "wuauserv": (SYSTEM32 + r"\svchost.exe", r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv", True),
    "defender": (r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe",
                 r'"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe"', True),
}

_WEB = sorted(dst.WEB_SITES.items())
_NOISE = sorted(dst.WINDOWS_NOISE_NAMES.items())
_DOWNLOADS = [  # (url, host name, file name)
    ("https://dl.google.com/chrome/install/GoogleChromeStandaloneEnterprise64.msi", "dl.google.com",
     "GoogleChromeStandaloneEnterprise64.msi"),
    ("https://www.7-zip.org/a/7z2408-x64.exe", "www.7-zip.org", "7z2408-x64.exe"),
    ("https://the.earth.li/~sgtatham/putty/latest/w64/putty.exe", "the.earth.li", "putty.exe"),
    ("https://nodejs.org/dist/v22.11.0/node-v22.11.0-x64.msi", "nodejs.org", "node-v22.11.0-x64.msi"),
    ("https://files.pythonhosted.org/packages/requests-2.32.3-py3-none-any.whl", "files.pythonhosted.org",
     "requests-2.32.3-py3-none-any.whl"),
    ("https://objects.githubusercontent.com/github-production-release-asset/jq-windows-amd64.exe",
     "objects.githubusercontent.com", "jq-windows-amd64.exe"),
    ("https://download.microsoft.com/download/vc_redist.x64.exe", "download.microsoft.com", "vc_redist.x64.exe"),
]
_APIS = [("https://status.corp-saas.example.net/api/v2/health", "status.corp-saas.example.net"),
         ("https://api.github.com/repos/example-corp/tools/releases/latest", "api.github.com"),
         ("https://api.weather-feed.example.com/v1/current?city=berlin", "api.weather-feed.example.com"),
         ("https://registry.npmjs.org/left-pad", "registry.npmjs.org")]
_INTERNAL_SSH = [("sftp01." + DNS_SUFFIX, "10.10.50.20"), ("jump01." + DNS_SUFFIX, "10.10.50.10"),
                 ("lab-build", "192.168.50.12")]
_DEV_GROUPS = {"Engineering", "IT-Support", "IT-Admins", "DevOps"}


def role_of(host):
    if host.name.startswith("SRV-"):
        return "srv"
    return "dev" if host.group in _DEV_GROUPS else "ws"


def long_lived(host, rng):
    """The host's long-lived processes, keyed like LONG_LIVED."""
    procs = {}
    for key, (image, cmd, system) in LONG_LIVED.items():
        parent = RUNNING["services"] if system else RUNNING["explorer"]
        procs[key] = Proc(image, cmd, new_guid(rng), new_pid(rng), SYSTEM_USER if system else host.account,
                          image.rsplit("\\", 1)[-1], parent.image, parent.cmd)
    return procs


# -- the activities: each writes one short burst on the timeline -----------------------------------
def browse(tl, rng, procs):
    proc = procs["chrome" if rng.random() < 0.65 else "edge"]
    for _ in range(rng.randrange(1, 4)):
        name, ip = _WEB[rng.randrange(len(_WEB))]
        tl.dns(proc, name, ip, gap=rng.randrange(5, 4000))
        tl.connect(proc, ip, 443, name, gap=rng.randrange(5, 60))


def mail(tl, rng, procs):
    name, port = rng.choice([("outlook.office365.com", 993), ("outlook.office365.com", 443),
                             ("smtp.office365.com", 587), ("mail." + DNS_SUFFIX, 587)])
    tl.connect(procs["outlook"], dst.MAIL_SERVERS[name], port, name)


def teams(tl, rng, procs):
    tl.connect(procs["teams"], dst.WEB_SITES["teams.microsoft.com"], 443, "teams.microsoft.com")


def onedrive_sync(tl, rng, procs):
    doc = rng.choice(["Budget.xlsx", "Notes.docx", "Slides.pptx", "Report.pdf", "Plan.xlsx"])
    tl.file(procs["onedrive"], f"{tl.host.home}\\OneDrive - Example Corp\\Documents\\{doc}")
    tl.connect(procs["onedrive"], dst.WEB_SITES["onedrive.live.com"], 443, "onedrive.live.com")


def office_temp_file(tl, rng, procs):
    tl.file(procs["excel"], f"{tl.host.home}\\AppData\\Local\\Temp\\~$Book{rng.randrange(1, 99)}.xlsx")


def browser_download(tl, rng, procs):
    name = rng.choice(["invoice_1120.pdf", "agenda.docx", "screenshot.png", "setup.msi", "report.csv"])
    tl.file(procs["chrome"], f"{tl.host.home}\\Downloads\\{name}")


def dns_noise(tl, rng, procs):
    for _ in range(rng.randrange(1, 3)):
        name, ip = _NOISE[rng.randrange(len(_NOISE))]
        tl.dns(procs["dnscache"], name, ip, gap=rng.randrange(10, 3000))


def windows_update(tl, rng, procs):
    name = rng.choice(["ctldl.windowsupdate.com", "download.windowsupdate.com", "fe3cr.delivery.mp.microsoft.com"])
    tl.dns(procs["wuauserv"], name, dst.DOWNLOAD_SITES[name])
    tl.connect(procs["wuauserv"], dst.DOWNLOAD_SITES[name], 443, name)


def chrome_updater(tl, rng, procs):
    upd = tl.run(r"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe",
                 r'"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /ua /installsource scheduler',
                 RUNNING["scheduler"], user=SYSTEM_USER)
    tl.dns(upd, "update.googleapis.com", dst.DOWNLOAD_SITES["update.googleapis.com"], gap=400)
    tl.connect(upd, dst.DOWNLOAD_SITES["update.googleapis.com"], 443, "update.googleapis.com")


def defender_update(tl, rng, procs):
    upd = tl.run(r"C:\Program Files\Windows Defender\MpCmdRun.exe",
                 r'"C:\Program Files\Windows Defender\MpCmdRun.exe" -SignatureUpdate -ScheduleJob -RestrictPrivileges',
                 RUNNING["scheduler"], user=SYSTEM_USER)
    tl.connect(upd, dst.DOWNLOAD_SITES["download.windowsupdate.com"], 443, "download.windowsupdate.com", gap=900)


def _shell(tl, rng):
    return tl.run(CMD, r'"C:\Windows\system32\cmd.exe"', RUNNING["explorer"], gap=rng.randrange(100, 5000))


def curl_download(tl, rng, procs):
    url, name, file = _DOWNLOADS[rng.randrange(len(_DOWNLOADS))]
    form = rng.randrange(3)
    cmd = [f"curl.exe -o {tl.host.home}\\Downloads\\{file} {url}", f"curl.exe -L -O {url}",
           f"curl -sSL {url} --output C:\\Temp\\{file}"][form]
    curl = tl.run(CURL, cmd, _shell(tl, rng), gap=rng.randrange(2000, 20000))
    tl.dns(curl, name, dst.DOWNLOAD_SITES[name])
    tl.connect(curl, dst.DOWNLOAD_SITES[name], 443, name)
    tl.file(curl, f"{tl.host.home}\\Downloads\\{file}" if form == 0 else f"C:\\Temp\\{file}", gap=1500)


def curl_health_check(tl, rng, procs):
    url, name = _APIS[rng.randrange(len(_APIS))]
    curl = tl.run(CURL, f"curl.exe -s -f -m 10 {url}", RUNNING["scheduler"], user=tl.host.account)
    tl.dns(curl, name, dst.DOWNLOAD_SITES[name])
    tl.connect(curl, dst.DOWNLOAD_SITES[name], 443, name)


def curl_version(tl, rng, procs):
    tl.run(CURL, rng.choice(["curl --version", "curl.exe -V", "curl --help"]), _shell(tl, rng),
           gap=rng.randrange(1000, 9000))


def wget_download(tl, rng, procs):
    url, name, file = _DOWNLOADS[rng.randrange(len(_DOWNLOADS))]
    wget = tl.run(r"C:\ProgramData\chocolatey\bin\wget.exe", f"wget.exe -q {url} -O C:\\Temp\\{file}",
                  _shell(tl, rng), ofn="wget.exe", gap=rng.randrange(2000, 9000))
    tl.dns(wget, name, dst.DOWNLOAD_SITES[name])
    tl.connect(wget, dst.DOWNLOAD_SITES[name], 443, name)
    tl.file(wget, f"C:\\Temp\\{file}", gap=2000)


def iwr_download(tl, rng, procs):
    url, name, file = _DOWNLOADS[rng.randrange(len(_DOWNLOADS))]
    ps = tl.run(POWERSHELL, f'powershell.exe -NoProfile -Command "Invoke-WebRequest -Uri {url} '
                            f'-OutFile C:\\Temp\\{file} -UseBasicParsing"', RUNNING["explorer"])
    tl.dns(ps, name, dst.DOWNLOAD_SITES[name], gap=900)
    tl.connect(ps, dst.DOWNLOAD_SITES[name], 443, name)
    tl.file(ps, f"C:\\Temp\\{file}", gap=2500)


def winscp_internal(tl, rng, procs):
    image = r"C:\Program Files (x86)\WinSCP\WinSCP.exe"
    u = tl.host.user
    cmd = (f'"{image}" /command "open sftp://{u}@sftp01.{DNS_SUFFIX}/ -hostkey=*" '
           f'"get /data/reports/weekly.xlsx {tl.host.home}\\Documents\\" "exit"')
    scp = tl.run(image, cmd, RUNNING["explorer"])
    tl.dns(scp, "sftp01." + DNS_SUFFIX, "10.10.50.20")
    tl.connect(scp, "10.10.50.20", 22, "sftp01." + DNS_SUFFIX)


def scp_internal(tl, rng, procs):
    name, ip = _INTERNAL_SSH[rng.randrange(len(_INTERNAL_SSH))]
    u = tl.host.user
    scp = tl.run(SYSTEM32 + r"\OpenSSH\scp.exe", f"scp.exe {u}@{name}:/var/log/app/app.log C:\\Temp\\",
                 _shell(tl, rng), gap=rng.randrange(2000, 9000))
    ssh = tl.run(SYSTEM32 + r"\OpenSSH\ssh.exe",
                 f'"C:\\Windows\\System32\\OpenSSH\\ssh.exe" -x -oPermitLocalCommand=no -oClearAllForwardings=yes '
                 f'-oRemoteCommand=none -oRequestTTY=no -oForwardAgent=no -l {u} -s -- {name} sftp', scp, gap=30)
    if "." in name:
        tl.dns(ssh, name, ip)
    tl.connect(ssh, ip, 22, name)


def git_over_ssh(tl, rng, procs):
    action = rng.choice(["push origin main", "fetch --all", "pull --rebase", "push origin feature/login"])
    git = tl.run(r"C:\Program Files\Git\cmd\git.exe", f'"C:\\Program Files\\Git\\cmd\\git.exe" {action}',
                 _shell(tl, rng), gap=rng.randrange(2000, 20000))
    verb = "git-receive-pack" if action.startswith("push") else "git-upload-pack"
    ssh = tl.run(r"C:\Program Files\Git\usr\bin\ssh.exe",
                 f"/usr/bin/ssh -o SendEnv=GIT_PROTOCOL git@git.{DNS_SUFFIX} \"{verb} 'corp/tools.git'\"", git, gap=60)
    tl.dns(ssh, "git." + DNS_SUFFIX, "10.10.50.30")
    tl.connect(ssh, "10.10.50.30", 22, "git." + DNS_SUFFIX)


def logon(tl, rng, procs):
    if role_of(tl.host) == "srv":
        logon_type, account = rng.choice([(3, tl.host.account), (5, tl.host.account), (3, "CORP\\svc_backup"),
                                          (3, "CORP\\svc_monitor")])
        image = SYSTEM32 + (r"\services.exe" if logon_type == 5 else r"\lsass.exe")
    else:
        logon_type, account, image = rng.choice([2, 7, 7, 11]), tl.host.account, SYSTEM32 + r"\svchost.exe"
    tl.logon(account, logon_type, image)


# name -> (activity, weight on a workstation, on a developer/IT machine, on a server)
ACTIVITIES = {
    "browse": (browse, 30, 22, 1),
    "mail": (mail, 8, 6, 0),
    "teams": (teams, 6, 5, 0),
    "onedrive_sync": (onedrive_sync, 4, 3, 0),
    "office_temp_file": (office_temp_file, 5, 2, 0),
    "browser_download": (browser_download, 3, 2, 0),
    "dns_noise": (dns_noise, 10, 9, 20),
    "windows_update": (windows_update, 2, 2, 4),
    "chrome_updater": (chrome_updater, 1, 1, 0),
    "defender_update": (defender_update, 1, 1, 2),
    "curl_download": (curl_download, 1, 4, 2),
    "curl_health_check": (curl_health_check, 0, 2, 6),
    "curl_version": (curl_version, 0, 1, 1),
    "wget_download": (wget_download, 0, 1, 2),
    "iwr_download": (iwr_download, 1, 2, 3),
    "winscp_internal": (winscp_internal, 0, 2, 1),
    "scp_internal": (scp_internal, 0, 2, 2),
    "git_over_ssh": (git_over_ssh, 0, 5, 0),
    "logon": (logon, 4, 4, 12),
}
_ROLE_COLUMN = {"ws": 1, "dev": 2, "srv": 3}


def _cumulative(role):
    col, total, table = _ROLE_COLUMN[role], 0, []
    for row in ACTIVITIES.values():
        total += row[col]
        table.append((total, row[0]))
    return table


_CUMULATIVE = {role: _cumulative(role) for role in _ROLE_COLUMN}


def pick_activity(rng, role):
    table = _CUMULATIVE[role]
    x = rng.random() * table[-1][0]
    for bound, activity in table:
        if x < bound:
            return activity
    return table[-1][1]


# Working-hours profile (UTC taken as the office's local time): relative activity per hour of day.
HOURLY = (0.15, 0.12, 0.12, 0.12, 0.12, 0.15, 0.3, 0.6, 0.9, 1, 1, 1, 0.8, 1, 1, 1, 0.9, 0.7, 0.5, 0.4,
          0.35, 0.3, 0.25, 0.2)


def sample_time(rng, lo, hi):
    """A time in [lo, hi) drawn from the HOURLY profile (rejection sampling: cheap and exact)."""
    while True:
        t = lo + int(rng.random() * (hi - lo))
        if rng.random() < HOURLY[(t // 3_600_000) % 24]:
            return t


class HostState:
    """What persists on a host between its bursts: long-lived processes and the log's record number."""

    def __init__(self, host, rng, scenario_id, note=None):
        self.host, self.scenario_id, self.note = host, scenario_id, note
        self.role = role_of(host)
        self.procs = long_lived(host, rng)
        self.record = rng.randrange(100000, 9000000)
        self.delivered = 0

    def timeline(self, rng, t, scenario_id=None, note=None):
        return Timeline(self.host, rng, scenario_id or self.scenario_id, t, note or self.note, self.record,
                        self.delivered)

    def keep(self, tl):
        """Carries the host's record number and delivery clock over from a finished timeline."""
        self.record, self.delivered = tl.record, tl.delivered
        return tl.events

    def burst(self, rng, t, activity=None):
        tl = self.timeline(rng, t)
        (activity or pick_activity(rng, self.role))(tl, rng, self.procs)
        return self.keep(tl)


def mean_events_per_burst(rng, states, samples=20000):
    """Calibrates how many bursts give the requested number of events (same seed, same answer)."""
    total = 0
    for i in range(samples):
        total += len(states[i % len(states)].burst(rng, 0))
    return total / samples


def stream(rng, states, lo, hi, bursts):
    """Events of `bursts` bursts spread over [lo, hi), yielded in (starttime, creation) order.

    Burst start times are drawn and sorted first (a few floats per burst); events wait in a heap
    only until no later burst can precede them, so memory stays bounded by the bursts in flight.
    """
    times = sorted(sample_time(rng, lo, hi) for _ in range(bursts))
    heap, seq = [], 0
    n = len(states)
    for t in times:
        while heap and heap[0][0] < t:
            yield heapq.heappop(heap)[2]
        for event in states[rng.randrange(n)].burst(rng, t):
            seq += 1
            heapq.heappush(heap, (event["starttime"], seq, event))
    while heap:
        yield heapq.heappop(heap)[2]
