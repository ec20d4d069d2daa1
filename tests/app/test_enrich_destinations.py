"""Public or private addresses (IPv4 and IPv6) and the cloud-storage / file-sharing / mail service list."""
import json

import pytest

from app.pipeline.destinations import SERVICES_FILE, ServiceCatalog, is_public, normalize_host, validate_services


@pytest.mark.parametrize("ip, public", [
    ("10.20.1.231", False), ("172.16.0.1", False), ("172.31.255.254", False), ("192.168.50.12", False),
    ("127.0.0.1", False), ("169.254.10.1", False), ("100.64.0.1", False), ("100.127.255.254", False),
    ("0.0.0.0", False), ("224.0.0.251", False), ("255.255.255.255", False),
    ("::1", False), ("fd12:3456:789a::1", False), ("fc00::1", False), ("fe80::1", False), ("ff02::1", False),
    ("::ffff:10.1.2.3", False), ("[fe80::1]", False),
    # internet, including the documentation ranges the dataset uses as internet addresses
    ("8.8.8.8", True), ("172.32.0.1", True), ("100.128.0.1", True), ("31.216.148.11", True),
    ("192.0.2.1", True), ("198.51.100.1", True), ("203.0.113.50", True),
    ("2001:db8:85a3::8a2e:370:7334", True), ("2606:4700::1111", True), ("::ffff:8.8.8.8", True),
])
def test_public_or_private(ip, public):
    assert is_public(ip) is public


@pytest.mark.parametrize("value", [None, "", "-", "mega.nz", "999.1.1.1"])
def test_not_an_address(value):
    assert is_public(value) is None


def test_normalize_host():
    assert normalize_host("G.API.Mega.co.NZ.") == "g.api.mega.co.nz"
    assert normalize_host("-") is None and normalize_host("  ") is None


@pytest.fixture(scope="module")
def catalog():
    return ServiceCatalog.load()


@pytest.mark.parametrize("host, name, category", [
    ("mega.nz", "MEGA", "cloud-storage"),
    ("g.api.mega.co.nz", "MEGA", "cloud-storage"),
    ("gfs270n103.userstorage.mega.co.nz.", "MEGA", "cloud-storage"),
    ("eapi.pcloud.com", "pCloud", "cloud-storage"),
    ("FILE.IO", "file.io", "file-sharing"),
    ("transfer.sh", "transfer.sh", "file-sharing"),
    ("corp-backups-prod.s3.eu-central-1.amazonaws.com", "Amazon S3", "cloud-storage"),
    ("smtp.office365.com", "Microsoft 365 mail", "mail"),
])
def test_service_suffix_match(catalog, host, name, category):
    assert catalog.lookup(host) == {"name": name, "category": category}


@pytest.mark.parametrize("host", [
    "notmega.nz", "notmega.nz.example.com", "mega.nz.example.com", "xfile.io", "file.io.evil.example",
    "ec2-1-2-3-4.eu-central-1.compute.amazonaws.com", "31.216.148.11", None, "", "-",
])
def test_service_no_match(catalog, host):
    assert catalog.lookup(host) is None


def test_longest_suffix_wins_and_admin_overrides():
    catalog = ServiceCatalog.load({"api.mega.co.nz": {"name": "MEGA API", "category": "cloud-storage"},
                                   "file.io": None,
                                   "files.partner.example": {"name": "Partner drop", "category": "file-sharing"}})
    assert catalog.lookup("g.api.mega.co.nz")["name"] == "MEGA API"
    assert catalog.lookup("userstorage.mega.co.nz")["name"] == "MEGA"
    assert catalog.lookup("file.io") is None
    assert catalog.lookup("eu.files.partner.example") == {"name": "Partner drop", "category": "file-sharing"}


def test_shipped_list_is_valid():
    services = json.loads(SERVICES_FILE.read_text())["services"]
    assert validate_services(services) == []
    assert validate_services({"x.example": {"name": "X", "category": "spam"}})
    assert validate_services(["not", "a", "dict"])
