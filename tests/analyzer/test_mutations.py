"""The mutation suite: every malicious test command line, in every semantics-preserving spelling its tool
accepts (reordered, abbreviated, quoted, combined flags, dash look-alikes, case, aliases, renamed binary, full
path, -EncodedCommand, cmd /c), is detected with the same technique; every benign one stays quiet in all of
them. The analyzer runs directly (no console), so the whole suite takes seconds."""
from __future__ import annotations

import pytest

from app.detection.analyzer import InternalNetworks, analyze, weigh

from .cases import BENIGN, BENIGN_PS, BENIGN_SCRIPTS, MALICIOUS, MALICIOUS_PS, MALICIOUS_SCRIPTS, variants

INTERNAL = InternalNetworks.build()


def kept(command_line, image, ofn):
    """What a rule keeps: uploads whose destination is not internal, by technique."""
    return {v.technique for v in weigh(analyze(command_line, image, ofn), INTERNAL) if v.destination_class != "internal"}


def _id(case):
    text = getattr(case, "text", None) or getattr(case, "name", None) or case.tool
    detail = getattr(case, "params", None) or getattr(case, "groups", None) or ""
    return f"{text}:{str(detail)[:60]}:{getattr(case, 'tail', '')}"[:110]


@pytest.mark.parametrize("case", MALICIOUS + MALICIOUS_PS + MALICIOUS_SCRIPTS, ids=_id)
def test_every_variant_of_an_upload_is_detected_with_its_technique(case):
    spellings = list(variants(case))
    assert len(spellings) >= 5
    wrong = [(how, cl, sorted(kept(cl, image, ofn))) for how, cl, image, ofn in spellings
             if kept(cl, image, ofn) != {case.expect}]
    assert wrong == [], f"expected {case.expect} for every spelling"


@pytest.mark.parametrize("case", BENIGN + BENIGN_PS + BENIGN_SCRIPTS, ids=_id)
def test_every_variant_of_a_near_miss_stays_quiet(case):
    loud = [(how, cl, sorted(kept(cl, image, ofn))) for how, cl, image, ofn in variants(case) if kept(cl, image, ofn)]
    assert loud == []


def test_the_suite_is_large_enough_to_mean_something():
    cases = MALICIOUS + MALICIOUS_PS + MALICIOUS_SCRIPTS + BENIGN + BENIGN_PS + BENIGN_SCRIPTS
    assert sum(len(list(variants(c))) for c in cases) > 1000
