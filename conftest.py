"""Make a plain `pytest` in this checkout use the conformance plugin, installed or not."""

from importlib.metadata import entry_points

if not any(ep.name == "conformance" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["conformance.plugin"]
