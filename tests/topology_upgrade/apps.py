from django.apps import AppConfig


class TopologyUpgradeConfig(AppConfig):
    name = "tests.topology_upgrade"
    label = "topology_upgrade"
