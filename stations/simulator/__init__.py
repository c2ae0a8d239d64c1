"""Simulated charging stations for load and smoke tests: `manage.py simulate` drives them."""

from .fleet import FleetConfig, Stats, render_summary, run_fleet, write_json
from .station import Script, Station

__all__ = ["FleetConfig", "Script", "Station", "Stats", "render_summary", "run_fleet", "write_json"]
