"""Telemetry is attacker-controlled: a megabyte of crafted command line costs the analyzer a bounded, linear
amount of work. The analyzer reads at most Windows' command-line limit (32,768 characters), and everything it
does on that is a single pass or capped (nesting depth, variable look-ups, verdicts, -EncodedCommand depth)."""
import base64
import time

import pytest

from app.detection.analyzer import analyze
from app.detection.analyzer.argv import MAX_COMMAND_LINE, split_cmd, split_windows
from app.detection.analyzer.pstokens import tokenize

M = 1_000_000
CRAFTED = {
    "quotes": ('"' * M, "curl.exe"), "backslash-quotes": ('\\"' * (M // 2), "curl.exe"),
    "curl cluster": ("curl -" + "s" * M, None), "curl options": ("curl " + "-H x " * (M // 5), None),
    "ps nesting": ("powershell -c " + "$(" * (M // 2), None), "ps hashtables": ("powershell -c " + "@{" * (M // 2), None),
    "ps brackets": ("powershell -c " + "[" * M, None), "ps unclosed string": ("powershell -c '" + "a" * M, None),
    "ps variable chain": ("powershell -c $a='x';" + "$a=$a+$a+$a;" * (M // 13) + "iwr -Uri $a -Method Post -InFile f", None),
    "ps member calls": ('powershell -c $s=New-Object Net.Mail.SmtpClient("h");' + "$s.Send(1);" * (M // 11), None),
    "ps members": ("powershell -c " + "$a." * (M // 3), None),
    "ps dashes": ("powershell -c iwr " + "\u2013x " * (M // 3), None),
    "encoded": ("powershell -enc " + "A" * M, None),
    "encoded nesting": ("powershell -enc " + base64.b64encode(("powershell -enc " * 2000).encode("utf-16-le")).decode(), None),
    "cmd separators": ("cmd /c " + "a&" * (M // 2), None), "cmd pipes": ("cmd /c " + "type x|" * (M // 7), None),
    "cmd carets": ("cmd /c " + "^" * M, None), "unc": ("robocopy a \\\\" + "a@" * (M // 2), None),
    "url": ("curl -T f https://" + "a" * M, None), "script": ('python -c "' + "open(" * (M // 5), None),
    "nested cmd": ("cmd /c " + "cmd /c " * (M // 7), None),
}


@pytest.mark.parametrize("name", CRAFTED)
def test_a_megabyte_of_crafted_text_costs_what_its_first_32k_cost(name):
    text, image = CRAFTED[name]
    began = time.process_time()
    result = analyze(text, image)
    spent = time.process_time() - began
    # the cap is the bound: the result is the 32K prefix's, whatever follows it
    assert [v.as_dict() for v in result] == [v.as_dict() for v in analyze(text[:MAX_COMMAND_LINE], image)]
    assert spent < 10, f"{name}: {spent:.1f} s of CPU for one command line"     # generous: ~0.1 s measured


def test_the_one_pass_readers_scale_linearly_by_counting_their_output():
    # split_windows / split_cmd / tokenize are single passes: doubling the input doubles what they return.
    unit = 'a "b c" \\"d\\" & e | f < g ; $h.i(@{j=1}) '
    for reader in (split_windows, split_cmd, lambda t: tokenize(t).items):
        small, large = len(reader(unit * 400)), len(reader(unit * 800))
        assert large <= 2 * small + 2
