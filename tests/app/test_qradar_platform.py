"""AdapterPlatform (qpylib's behaviour outside the container) and the choice of platform."""
import base64
import json
import os
import sys
import types

import pytest
import requests
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from app.qradar import errors
from app.qradar.encdec import EncryptionError
from app.qradar.platform import AdapterPlatform, QpylibPlatform, get_platform


def adapter(tmp_path, **env):
    return AdapterPlatform({"APP_ROOT": str(tmp_path), **env})


def app_log(tmp_path):
    return (tmp_path / "store" / "log" / "app.log").read_text()


def test_base_url_and_store_from_environment(tmp_path):
    platform = adapter(tmp_path, QRADAR_CONSOLE_FQDN="console.example:8443")
    assert platform.base_url == "https://console.example:8443/"
    assert platform.store_path("a", "b.db") == str(tmp_path / "store" / "a" / "b.db")
    assert platform.verify == requests.certs.where()


def test_store_defaults_to_instance_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert AdapterPlatform({}).store_path() == str(tmp_path / "instance" / "store")
    assert list(tmp_path.iterdir()) == []  # nothing written until something is logged or stored


def test_ca_bundle_is_what_tls_is_verified_against(tmp_path):
    assert adapter(tmp_path, REQUESTS_CA_BUNDLE="/x/ca.pem").verify == "/x/ca.pem"


def test_missing_ca_bundle_file_is_a_clear_error(tmp_path):
    platform = adapter(tmp_path, QRADAR_CONSOLE_FQDN="c", REQUESTS_CA_BUNDLE=str(tmp_path / "nope.pem"))
    with pytest.raises(errors.ConfigurationError, match="REQUESTS_CA_BUNDLE"):
        platform.rest("GET", "api/system/about")


def test_no_console_is_a_clear_error(tmp_path):
    with pytest.raises(errors.ConfigurationError, match="QRADAR_CONSOLE_FQDN"):
        adapter(tmp_path).rest("GET", "api/system/about")


def test_plain_http_only_when_asked_and_warned(tmp_path):
    platform = adapter(tmp_path, QRADAR_CONSOLE_FQDN="127.0.0.1:9000", QRADAR_CONSOLE_SCHEME="http")
    assert platform.base_url == "http://127.0.0.1:9000/"
    assert "[WARNING]" in app_log(tmp_path) and "plain text" in app_log(tmp_path)
    with pytest.raises(errors.ConfigurationError):
        adapter(tmp_path, QRADAR_CONSOLE_SCHEME="ftp")


def test_turning_tls_verification_off_is_explicit_and_loud(tmp_path):
    assert adapter(tmp_path, QRADAR_TLS_INSECURE="true").verify is False
    assert "[ERROR]" in app_log(tmp_path) and "VERIFICATION IS OFF" in app_log(tmp_path)
    assert adapter(tmp_path, QRADAR_TLS_INSECURE="0").verify == requests.certs.where()
    assert AdapterPlatform({"APP_ROOT": str(tmp_path)}, insecure_tls=True).verify is False


def test_auth_headers_follow_qpylibs_rules(tmp_path):
    from flask import Flask

    plain, admin = adapter(tmp_path), adapter(tmp_path, SEC_ADMIN_TOKEN="admin-tok")
    with Flask(__name__).test_request_context(headers={"Cookie": "SEC=user-tok; QRadarCSRF=csrf"}):
        headers = {}
        plain._add_qpylib_auth(headers)
        assert headers == {"SEC": "user-tok", "QRadarCSRF": "csrf"}
        headers = {"SEC": "service-tok"}
        plain._add_qpylib_auth(headers)
        assert headers == {"SEC": "service-tok", "QRadarCSRF": "csrf"}
        headers = {"SEC": "service-tok"}
        admin._add_qpylib_auth(headers)
        assert headers["SEC"] == "admin-tok"
    headers = {"SEC": "service-tok"}
    plain._add_qpylib_auth(headers)  # outside a request nothing is added
    assert headers == {"SEC": "service-tok"}


def test_log_writes_store_log_app_log(tmp_path):
    platform = adapter(tmp_path)
    platform.log("hello there", "INFO")
    platform.log("look out")  # INFO by default
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        platform.log("it broke", "EXCEPTION")
    text = app_log(tmp_path)
    assert "[INFO] - hello there" in text and "[INFO] - look out" in text
    assert "[ERROR] - it broke" in text and "kaboom" in text
    with pytest.raises(ValueError):
        platform.log("x", "LOUD")


def test_two_platforms_on_one_store_do_not_log_twice(tmp_path):
    adapter(tmp_path).log("once")
    adapter(tmp_path)
    assert app_log(tmp_path).count("once") == 1


def test_secret_round_trip_in_qpylib_format(tmp_path):
    platform = adapter(tmp_path, QRADAR_APP_UUID="5f0c-uuid")
    token = platform.encryption("sec_token", "exfilwatch").encrypt("s3cret-token")
    assert platform.encryption("sec_token", "exfilwatch").decrypt() == "s3cret-token"
    assert platform.encryption("sec_token", "exfilwatch").decrypt(token) == "s3cret-token"

    store = tmp_path / "store" / "exfilwatch_e.db"
    assert oct(store.stat().st_mode & 0o777) == "0o600"
    entry = json.loads(store.read_text())["sec_token"]
    assert entry["version"] == 4 and entry["iterations"] == 100000 and len(entry["salt"]) == 16
    assert entry["secret"] == token and "s3cret" not in store.read_text()
    # Decrypt the file the way qpylib's engine 4 does, independently of our module.
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=entry["salt"].encode(), iterations=100000)
    key = base64.urlsafe_b64encode(kdf.derive(b"5f0c-uuid"))
    assert Fernet(key).decrypt(entry["secret"].encode()) == b"s3cret-token"


def test_secret_written_like_qpylib_is_read(tmp_path):
    salt = "abcdefgh!@#$%^&*"
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode(), iterations=100000)
    secret = Fernet(base64.urlsafe_b64encode(kdf.derive(b"u-1"))).encrypt(b"from-qpylib").decode()
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "admin_e.db").write_text(json.dumps(
        {"tok": {"version": 4, "salt": salt, "iterations": 100000, "secret": secret}, "other": {"version": 4}}))
    platform = adapter(tmp_path, QRADAR_APP_UUID="u-1")
    assert platform.encryption("tok", "admin").decrypt() == "from-qpylib"
    platform.encryption("new", "admin").encrypt("x")
    assert set(json.loads((tmp_path / "store" / "admin_e.db").read_text())) == {"tok", "other", "new"}


def test_secrets_refuse_to_work_without_the_app_uuid(tmp_path):
    with pytest.raises(EncryptionError, match="QRADAR_APP_UUID"):
        adapter(tmp_path).encryption("sec_token", "exfilwatch")


def test_wrong_uuid_or_wrong_token_or_nothing_stored(tmp_path):
    adapter(tmp_path, QRADAR_APP_UUID="one").encryption("t", "u").encrypt("v")
    with pytest.raises(EncryptionError, match="another QRADAR_APP_UUID"):
        adapter(tmp_path, QRADAR_APP_UUID="two").encryption("t", "u").decrypt()
    with pytest.raises(EncryptionError, match="not the secret stored"):
        adapter(tmp_path, QRADAR_APP_UUID="one").encryption("t", "u").decrypt("gAAAA-other")
    with pytest.raises(EncryptionError, match="no secret stored"):
        adapter(tmp_path, QRADAR_APP_UUID="one").encryption("absent", "u").decrypt()


def test_get_platform_prefers_qpylib_when_importable(tmp_path, monkeypatch):
    assert isinstance(get_platform({"APP_ROOT": str(tmp_path)}), AdapterPlatform)

    calls = []
    fake = types.SimpleNamespace(
        REST=lambda *a, **k: calls.append((a, k)) or "response",
        get_store_path=lambda *parts: os.path.join("/opt/app-root/store", *parts),
        log=lambda msg, level: calls.append(("log", msg, level)),
        create_log=lambda *a: calls.append(("create_log", a)))
    package = types.ModuleType("qpylib")
    package.qpylib = fake
    monkeypatch.setitem(sys.modules, "qpylib", package)
    monkeypatch.setitem(sys.modules, "qpylib.qpylib", fake)
    platform = get_platform()
    assert isinstance(platform, QpylibPlatform)
    assert platform.rest("get", "/api/system/about", headers={"SEC": "t"}, timeout=5) == "response"
    assert calls[0] == (("GET", "api/system/about"), {"headers": {"SEC": "t"}, "params": None, "json_body": None,
                                                        "data": None, "timeout": 5, "verify": platform.verify})
    assert platform.store_path("x") == "/opt/app-root/store/x"
    platform.log("hi", "warning")
    assert calls[-1] == ("log", "hi", "WARNING")


def fake_qpylib(monkeypatch, store, logs):
    """A stand-in for the base image's qpylib module: records what the platform asks of it."""
    state = {"ready": False}

    def log(msg, level):
        if not state["ready"]:
            raise RuntimeError("create_log() first")
        logs.append((msg, level))

    def create_log(syslog_enabled=True):
        state["ready"] = True
        logs.append(("create_log", syslog_enabled))
    fake = types.SimpleNamespace(REST=lambda *a, **k: k, get_store_path=lambda *p: os.path.join(store, *p),
                                 log=log, create_log=create_log)
    package = types.ModuleType("qpylib")
    package.qpylib = fake
    monkeypatch.setitem(sys.modules, "qpylib", package)
    monkeypatch.setitem(sys.modules, "qpylib.qpylib", fake)


def test_inside_the_container_app_logs_never_become_qradar_events(tmp_path, monkeypatch):
    logs = []
    fake_qpylib(monkeypatch, str(tmp_path), logs)
    platform = QpylibPlatform({})
    platform.log("first", "INFO")
    platform.log("second", "ERROR")
    # create_log(False): file log in store/log only, no syslog handler to QRADAR_CONSOLE_IP:514
    assert logs[0] == ("create_log", False) and logs[-2:] == [("first", "INFO"), ("second", "ERROR")]
    assert sum(1 for entry in logs if entry[0] == "create_log") == 1


def test_the_console_ca_the_platform_provides_is_what_rest_verifies_against(tmp_path, monkeypatch):
    from app.qradar.platform import console_ca
    store = tmp_path / "store"
    store.mkdir()
    pki = tmp_path / "qradar_pki"
    assert console_ca({}, str(store), pki=str(pki)) is None
    (store / "consolecert.pem").write_text("pem")
    assert console_ca({}, str(store), pki=str(pki)) == str(store / "consolecert.pem")
    pki.mkdir()
    assert console_ca({}, str(store), pki=str(pki)) == str(pki)
    assert console_ca({"REQUESTS_CA_BUNDLE": "/ca.pem"}, str(store), pki=str(pki)) == "/ca.pem"
    fake_qpylib(monkeypatch, str(store), [])
    assert QpylibPlatform({"REQUESTS_CA_BUNDLE": "/ca.pem"}).rest("GET", "api/x")["verify"] == "/ca.pem"
    assert QpylibPlatform({}).rest("GET", "api/x")["verify"] in (str(store / "consolecert.pem"), "/etc/qradar_pki")


def test_the_adapter_finds_the_console_cert_in_the_store_and_verifies_with_it(start_sim, tmp_path):
    from urllib.parse import urlsplit
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"))
    app_root = tmp_path / "app"
    (app_root / "store").mkdir(parents=True)
    env = {"QRADAR_CONSOLE_FQDN": urlsplit(sim.url).netloc, "APP_ROOT": str(app_root), "SEC_ADMIN_TOKEN": sim.token}
    with pytest.raises(requests.exceptions.SSLError):   # certifi's roots do not know the console's CA
        AdapterPlatform(env).rest("GET", "api/system/about")
    (app_root / "store" / "consolecert.pem").write_bytes(open(sim.ca_path, "rb").read())
    assert AdapterPlatform(env).rest("GET", "api/system/about").status_code == 200


@pytest.mark.parametrize("given, expected", [("[fd00::5]", "fd00::5"), ("fd00::5", "fd00::5"),
                                             ("10.1.2.3", "10.1.2.3"), (" [::1] ", "::1"), ("", None)])
def test_an_ipv6_console_ip_in_brackets_is_a_usable_address(given, expected):
    from app.pipeline.offenses import OffenseSettings
    from app.qradar.platform import console_address
    assert console_address({"QRADAR_CONSOLE_IP": given}) == expected
    if expected:
        assert OffenseSettings.from_value({}, environ={"QRADAR_CONSOLE_IP": given}).host == expected
