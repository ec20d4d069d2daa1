"""Labelled Windows/Sysmon telemetry for ExfilWatch (MITRE ATT&CK T1048.002).

`python -m scenarios --out DIR` writes, for each console profile, the events as Ariel stores them
(`events-<profile>.jsonl`, sorted by starttime) with their side file (`events-<profile>.context.json`:
log sources, assets, DNS), plus `scenarios.json`, the ground truth every event points to through
`_scenario`. See docs/dataset.md.

Nothing here imports from `app/` or from the console stand-in: the stand-in's catalog.json is only
read as data, so the generator, the stand-in and the app stay independent of each other.
"""
