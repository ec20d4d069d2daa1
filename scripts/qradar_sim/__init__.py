"""Local QRadar console stand-in: REST API, AQL engine, offenses, syslog intake, faults.

Run it with ``scripts/qradar-sim`` (``python -m qradar_sim``); see docs/qradar-sim.md.
This package never imports from ``app/``: it is written from the reference facts about a console.
"""
