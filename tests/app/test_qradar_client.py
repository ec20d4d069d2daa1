"""QRadarClient's own logic against a scripted platform: headers, retries, back-off, escaping.
(The same client against the real console stand-in: test_qradar_e2e.py.)"""
import pytest
import requests

from app.qradar import errors
from app.qradar.client import QRadarClient, filter_string, path_segment
from tests.app.qradar_fakes import ScriptedPlatform, console_error, response


def make(*answers, retries=4, token="tok", rand=lambda: 1.0):
    platform = ScriptedPlatform(*answers)
    sleeps = []
    client = QRadarClient(platform, (lambda: token) if token is not ... else None, version="20.0", retries=retries,
                          backoff_base=0.5, backoff_max=30, sleep=sleeps.append, random=rand)
    return client, platform, sleeps


def test_sends_sec_version_and_accept():
    client, platform, _ = make(response(200, {"external_version": "7.5.0"}))
    assert client.about() == {"external_version": "7.5.0"}
    call = platform.calls[0]
    assert (call["method"], call["path"]) == ("GET", "api/system/about")
    assert call["headers"]["SEC"] == "tok" and call["headers"]["Version"] == "20.0"
    assert call["headers"]["Accept"] == "application/json"


def test_token_is_asked_for_on_every_call():
    tokens = iter(["first", "second"])
    platform = ScriptedPlatform(response(200, {}), response(200, {}))
    client = QRadarClient(platform, lambda: next(tokens), version="20.0")
    client.about(), client.about()
    assert [c["headers"]["SEC"] for c in platform.calls] == ["first", "second"]


def test_no_token_provider_sends_no_sec_so_the_platform_can_forward_the_users_cookie():
    platform = ScriptedPlatform(response(200, {}))
    QRadarClient(platform, None, version="20.0").about()
    assert "SEC" not in platform.calls[0]["headers"]


def test_empty_token_is_a_configuration_error_before_any_call():
    client, platform, _ = make(token="")
    with pytest.raises(errors.ConfigurationError, match="token"):
        client.about()
    assert platform.calls == []


def test_5xx_burst_is_retried_with_full_jitter_exponential_backoff():
    unavailable = [console_error(503, 1010, "The server is currently unavailable.") for _ in range(3)]
    client, platform, sleeps = make(*unavailable, response(200, {"ok": 1}))
    assert client.get_json("api/system/about") == {"ok": 1}
    assert len(platform.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]  # random() = 1.0: the top of each jitter window
    assert any("retry" in msg for level, msg in platform.logs if level == "WARNING")


def test_backoff_is_jittered_and_capped():
    client, _, _ = make(rand=lambda: 0.25)
    assert client._backoff(0) == 0.125
    assert client._backoff(3) == 1.0
    assert client._backoff(20) == 7.5  # 0.25 * backoff_max 30
    assert client._backoff(0, retry_after=5) == 5  # the console's Retry-After is a floor
    assert client._backoff(0, retry_after=500) == 30  # ... within backoff_max


def test_gives_up_after_the_configured_retries():
    client, platform, sleeps = make(*[console_error(500, 1020, "boom") for _ in range(3)], retries=2)
    with pytest.raises(errors.ConsoleUnavailableError, match="boom"):
        client.get_json("api/system/about")
    assert len(platform.calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("status, code, cls", [
    (401, 2, errors.AuthenticationError), (403, 3, errors.AuthorizationError),
    (422, 2000, errors.InvalidQueryError), (404, 1002, errors.NotFoundError)])
def test_client_errors_surface_at_once(status, code, cls):
    client, platform, sleeps = make(console_error(status, code, "console message"))
    with pytest.raises(cls, match="console message"):
        client.get_json("api/siem/offenses")
    assert len(platform.calls) == 1 and sleeps == []


def test_dropped_connection_is_retried_for_get():
    dropped = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())")
    client, platform, _ = make(dropped, response(200, {"ok": 1}))
    assert client.get_json("api/system/about") == {"ok": 1}
    assert len(platform.calls) == 2


def test_read_timeout_is_retried_for_get():
    client, platform, _ = make(requests.exceptions.ReadTimeout("slow"), response(200, {"ok": 1}))
    assert client.get_json("api/system/about") == {"ok": 1}


def test_post_that_may_have_been_applied_is_not_sent_twice():
    dropped = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())")
    client, platform, _ = make(dropped)
    with pytest.raises(errors.ConsoleUnavailableError):
        client.add_offense_note(7, "hello")
    assert len(platform.calls) == 1


def test_post_refused_before_it_was_sent_is_retried():
    refused = requests.exceptions.ConnectionError("HTTPSConnectionPool: NewConnectionError: Connection refused")
    client, platform, _ = make(refused, console_error(503, 1010, "busy"), response(201, {"id": 1}))
    assert client.add_offense_note(7, "hello") == {"id": 1}
    assert len(platform.calls) == 3
    assert platform.calls[0]["params"] == {"note_text": "hello"}
    assert platform.calls[0]["path"] == "api/siem/offenses/7/notes"


def test_untrusted_certificate_is_a_tls_error_and_not_retried():
    client, platform, sleeps = make(requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"))
    with pytest.raises(errors.TLSError, match="REQUESTS_CA_BUNDLE"):
        client.about()
    assert len(platform.calls) == 1 and sleeps == []


def test_tls_eof_is_a_dropped_connection_not_a_trust_problem():
    eof = requests.exceptions.SSLError("EOF occurred in violation of protocol (_ssl.c:2427)")
    client, platform, _ = make(eof, response(200, {"ok": 1}))
    assert client.about() == {"ok": 1}


def test_malformed_body_is_retried_at_most_twice():
    html = response(200, text="<html>proxy login</html>")
    client, platform, sleeps = make(html, html, html, response(200, {}))
    with pytest.raises(errors.MalformedResponseError, match="not JSON"):
        client.about()
    assert len(platform.calls) == 3 and len(sleeps) == 2


def test_malformed_then_good():
    client, _, _ = make(response(200, [1, 2]), response(200, {"ok": 1}))
    assert client.about() == {"ok": 1}


def test_unexpected_success_status_is_malformed():
    client, _, _ = make(response(204, text=""), response(204, text=""), response(204, text=""))
    with pytest.raises(errors.MalformedResponseError):
        client.about()


def test_event_columns():
    body = {"columns": [{"name": "starttime", "argument_type": "NUMERIC"}, {"name": "Process Name"}]}
    client, platform, _ = make(response(200, body))
    assert client.event_columns() == ["starttime", "Process Name"]
    assert platform.calls[0]["path"] == "api/ariel/databases/events"


def test_event_columns_with_wrong_shape_is_malformed():
    client, _, _ = make(*[response(200, {"columns": "nope"})] * 3)
    with pytest.raises(errors.MalformedResponseError):
        client.event_columns()


def test_get_offenses_passes_filter_fields_and_range():
    client, platform, _ = make(response(206, [{"id": 1}]))
    assert client.get_offenses(filter="status=OPEN", fields="id,status", range=(0, 49)) == [{"id": 1}]
    call = platform.calls[0]
    assert call["params"] == {"filter": "status=OPEN", "fields": "id,status"}
    assert call["headers"]["Range"] == "items=0-49"


def test_filter_string_escapes_quotes_and_backslashes():
    assert filter_string("10.1.2.3") == '"10.1.2.3"'
    assert filter_string('a"b\\c') == '"a\\"b\\\\c"'


def test_find_assets_by_ip_quotes_a_normalized_ip_and_refuses_anything_else():
    client, platform, _ = make(response(200, [{"id": 5}]))
    assert client.find_assets_by_ip(" 2001:DB8::1 ") == [{"id": 5}]
    assert platform.calls[0]["params"] == {"filter": 'interfaces contains ip_addresses contains value="2001:db8::1"'}
    with pytest.raises(ValueError):
        client.find_assets_by_ip('1.2.3.4" or id > 0 or "')


def test_reference_set_missing_is_none_and_names_are_path_escaped():
    client, platform, _ = make(console_error(404, 1002, "not found"), response(200, {"name": "a b/c"}))
    assert client.get_reference_set("a b/c") is None
    assert platform.calls[0]["path"] == "api/reference_data/sets/a%20b%2Fc"
    assert client.get_reference_set("a b/c") == {"name": "a b/c"}
    assert path_segment("x/y z") == "x%2Fy%20z"


def test_create_and_add_to_reference_set():
    client, platform, _ = make(response(201, {"name": "allow"}), console_error(503, 1010, "busy"),
                               response(200, {"name": "allow", "number_of_elements": 1}))
    client.create_reference_set("allow", "IP")
    assert platform.calls[0]["params"] == {"name": "allow", "element_type": "IP"}
    assert client.add_to_reference_set("allow", "10.0.0.1", source="exfilwatch")["number_of_elements"] == 1
    assert platform.calls[2]["params"] == {"value": "10.0.0.1", "source": "exfilwatch"}


def test_dns_lookup_polls_until_completed():
    client, platform, sleeps = make(response(201, {"id": 9, "ip": "10.0.0.1", "status": "QUEUED", "message": ""}),
                                    response(200, {"id": 9, "status": "PROCESSING"}),
                                    response(200, {"id": 9, "status": "COMPLETED", "message": "host.example"}))
    assert client.dns_lookup("10.0.0.1", interval_s=0.5) == "host.example"
    assert [c["path"] for c in platform.calls] == ["api/services/dns_lookups", "api/services/dns_lookups/9",
                                                   "api/services/dns_lookups/9"]
    assert platform.calls[0]["params"] == {"IP": "10.0.0.1"}
    assert sleeps == [0.5, 0.5]


def test_many_dns_lookups_wait_together():
    """Three addresses: three lookups started, one wait, then each polled (the third needs a second round)."""
    started = [response(201, {"id": n, "status": "QUEUED"}) for n in (1, 2, 3)]
    polled = [response(200, {"id": 1, "status": "COMPLETED", "message": "a.example"}),
              response(200, {"id": 2, "status": "COMPLETED", "message": ""}),
              response(200, {"id": 3, "status": "PROCESSING"}),
              response(200, {"id": 3, "status": "COMPLETED", "message": "c.example"})]
    client, platform, sleeps = make(*started, *polled)
    answers = client.dns_lookups(["198.51.100.1", "198.51.100.2", "2001:db8::0003"], interval_s=0.5)
    assert answers == {"198.51.100.1": "a.example", "198.51.100.2": "", "2001:db8::3": "c.example"}
    assert sleeps == [0.5, 0.5]
    assert [c["path"] for c in platform.calls] == ["api/services/dns_lookups"] * 3 + [
        "api/services/dns_lookups/1", "api/services/dns_lookups/2", "api/services/dns_lookups/3",
        "api/services/dns_lookups/3"]


def test_dns_lookup_is_bounded():
    answers = [response(201, {"id": 9, "status": "QUEUED"})] + [response(200, {"id": 9, "status": "QUEUED"})] * 3
    client, platform, _ = make(*answers)
    assert client.dns_lookup("10.0.0.1", attempts=3) is None
    assert len(platform.calls) == 4
