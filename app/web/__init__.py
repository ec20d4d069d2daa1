"""Blueprints: the console tab (tab.py) and the JSON API (api.py)."""
from flask import current_app


def runtime():
    return current_app.extensions["exfilwatch"]
