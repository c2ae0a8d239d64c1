"""Simulated charging stations for load and smoke tests: `manage.py simulate` drives them."""

from .fleet import FleetConfig, run_fleet
from .script import Script
from .station import Station
from .stats import Stats, render_summary, write_json

__all__ = ["FleetConfig", "Script", "Station", "Stats", "render_summary", "run_fleet", "write_json"]
