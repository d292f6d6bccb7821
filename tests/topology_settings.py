"""The "next release" in tests/test_deploy_topology.py: the same settings plus an app with a new migration."""
from onestop.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.topology_upgrade"]  # noqa: F405
