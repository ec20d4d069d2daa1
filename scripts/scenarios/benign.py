"""The seed's four false-positive classes, as benign scenarios an administrator would write exceptions for.

They look like exfiltration to any tool-name or upload-flag logic (that is the point); each
description names the exception that covers it. They recur through the day like the real jobs.
"""
from .malicious import CMD, CURL
from .script import Connect, Dns, Run, Spec, Wait

WINSCP = r"C:\Program Files (x86)\WinSCP\WinSCP.exe"
RCLONE = r"C:\Program Files\rclone\rclone.exe"
VIGILANT_CURL = r"C:\Program Files\Vigilant Security\Sensor\tools\curl.exe"

SPECS = [
    Spec("fp-1-admin-winscp", False, "T1048.002",
         "FP class 1 (authorized admin transfer): CORP\\adm.jsmith, member of IT-Admins, uses WinSCP from "
         "Program Files to push exports to the managed partner SFTP host sftp.mft.example-corp.com. "
         "Exception: username CORP\\adm.jsmith (or group IT-Admins) AND destination host sftp.mft.example-corp.com "
         "(198.51.100.200) port 22.",
         "fp-1", (0.38, 0.62), (
             Run("winscp", WINSCP,
                 r'"C:\Program Files (x86)\WinSCP\WinSCP.exe" /log="C:\Users\adm.jsmith\winscp.log" /command '
                 r'"open sftp://adm.jsmith@sftp.mft.example-corp.com/ -hostkey=""ssh-ed25519 255 '
                 r'mB1p3oV0yq6Y2e5N8xJ1dGfS4aZtR7uW9cLkHnEoQvI""" "put D:\Exports\*.csv /inbound/" "exit"'),
             Dns("winscp", "sftp.mft.example-corp.com", gap=300),
             Connect("winscp", "sftp.mft.example-corp.com", 22),
             Wait(30000),
         ), note="authorized admin transfer (IT-Admins) to the managed SFTP host"),
    Spec("fp-2-backup-rclone", False, "T1048.002",
         "FP class 2 (approved backup): Task Scheduler runs C:\\Program Files\\rclone\\rclone.exe as "
         "CORP\\svc_backup, syncing D:\\Shares to the approved bucket corp-backups-prod on "
         "corp-backups-prod.s3.eu-central-1.amazonaws.com:443. Exception: username CORP\\svc_backup AND image "
         "C:\\Program Files\\rclone\\rclone.exe AND destination host corp-backups-prod.s3.eu-central-1.amazonaws.com.",
         "fp-2", (0.083, 0.333, 0.583, 0.833), (
             Run("rclone", RCLONE,
                 r'"C:\Program Files\rclone\rclone.exe" sync D:\Shares s3-approved:corp-backups-prod/fs01 '
                 r'--config "C:\ProgramData\rclone\rclone.conf" --transfers 4 --fast-list '
                 r'--log-file "C:\ProgramData\rclone\logs\sync.log"',
                 parent="scheduler", user="CORP\\svc_backup"),
             Dns("rclone", "corp-backups-prod.s3.eu-central-1.amazonaws.com", gap=300),
             Connect("rclone", "corp-backups-prod.s3.eu-central-1.amazonaws.com", 443),
             Connect("rclone", "corp-backups-prod.s3.eu-central-1.amazonaws.com", 443, gap=2000),
             Wait(120000),
         ), note="scheduled backup to the approved bucket"),
    Spec("fp-3-devops-curl-artifacts", False, "T1048.002",
         "FP class 3 (DevOps artifact push): the build agent on SRV-BUILD-01 (CORP\\svc_build) uploads release "
         "packages with curl -T and reports with curl -F to https://artifacts.example-corp.com. Exception: "
         "username CORP\\svc_build (or host SRV-BUILD-01) AND destination host artifacts.example-corp.com.",
         "fp-3", (0.30, 0.45, 0.64, 0.78), (
             Run("cmd", CMD, r'C:\Windows\system32\cmd.exe /D /E:ON /V:OFF /S /C "CALL "C:\agent\_work\_temp\publish.cmd""',
                 parent="build-agent", user="CORP\\svc_build"),
             Run("curl", CURL,
                 r"curl.exe -sS --fail -u svc_build:%ARTIFACT_TOKEN% -T C:\agent\_work\1\s\dist\app-1.4.2.zip "
                 r"https://artifacts.example-corp.com/repository/releases/app/1.4.2/app-1.4.2.zip",
                 parent="cmd", gap=200),
             Dns("curl", "artifacts.example-corp.com"), Connect("curl", "artifacts.example-corp.com", 443),
             Run("curl2", CURL,
                 r'curl.exe -sS --fail -F "report=@C:\agent\_work\1\s\dist\test-report.html" '
                 r"https://artifacts.example-corp.com/api/reports/app",
                 parent="cmd", gap=4000),
             Connect("curl2", "artifacts.example-corp.com", 443),
             Wait(2000),
         ), note="build pipeline artifact upload"),
    Spec("fp-4-security-saas-callback", False, "T1048.002",
         "FP class 4 (security tooling): the Vigilant Security sensor (running as SYSTEM) ships telemetry "
         "batches with its bundled curl (--tlsv1.2 -F) to ingest.vigilant-saas.example.net:443 every few hours. "
         "Exception: parent image C:\\Program Files\\Vigilant Security\\Sensor\\VigilantSensor.exe AND "
         "destination host *.vigilant-saas.example.net.",
         "fp-4", (0.12, 0.29, 0.46, 0.63, 0.80, 0.96), (
             Run("curl", VIGILANT_CURL,
                 r'"C:\Program Files\Vigilant Security\Sensor\tools\curl.exe" -s --tlsv1.2 --cacert '
                 r'"C:\Program Files\Vigilant Security\Sensor\ca.pem" -F '
                 r'"batch=@C:\ProgramData\Vigilant\upload\batch.json.gz" https://ingest.vigilant-saas.example.net/v2/telemetry',
                 parent="vigilant", ofn="curl.exe"),
             Dns("curl", "ingest.vigilant-saas.example.net"),
             Connect("curl", "ingest.vigilant-saas.example.net", 443),
             Wait(2000),
         ), note="security sensor telemetry upload to vendor SaaS"),
]
