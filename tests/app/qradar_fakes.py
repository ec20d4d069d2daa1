"""A scripted stand-in for the platform, for unit tests of the client's own logic
(errors, back-off, escaping). The end-to-end tests use the real console stand-in."""
import json as jsonlib

import requests
from requests.structures import CaseInsensitiveDict


def response(status=200, body=None, *, text=None, headers=None):
    r = requests.Response()
    r.status_code = status
    r._content = (text if text is not None else jsonlib.dumps(body) if body is not None else "").encode()
    r.headers = CaseInsensitiveDict(headers or {})
    r.encoding = "utf-8"
    return r


def console_error(status, code, message, description=""):
    return response(status, {"http_response": {"code": status, "message": "http says"}, "code": code,
                             "message": message, "description": description, "details": {}})


class ScriptedPlatform:
    """Answers each rest() call with the next scripted item (a Response, or an exception to raise)."""

    name = "scripted"

    def __init__(self, *answers, on_call=None):
        self.answers = list(answers)
        self.on_call = on_call  # e.g. advance a fake clock as a console holding a Prefer: wait would
        self.calls = []
        self.logs = []

    def rest(self, method, path, *, params=None, headers=None, json=None, data=None, timeout=60):
        self.calls.append({"method": method, "path": path, "params": params, "headers": dict(headers or {}),
                           "timeout": timeout})
        if self.on_call is not None:
            self.on_call(self.calls[-1])
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def log(self, msg, level="INFO"):
        self.logs.append((level, msg))

    def store_path(self, *parts):
        return "/".join(("store",) + parts)


class FakeClock:
    """time.monotonic and time.sleep in one: sleeping advances the clock."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
