"""`manage.py drain_node <NODE_ID>`: ask a node to hand its stations to the other nodes and stop (README, "Drain")."""

from django.core.management.base import BaseCommand, CommandError

from csms import bus
from csms.envelope import Envelope
from stations.models import ChargingStation, Node


class Command(BaseCommand):
    help = ("Drain a node: it refuses new stations (503), closes each station socket with 1012 once the calls in "
            "flight on it are answered, so stations reconnect to another node, tells central it stops and exits. "
            "Sending SIGUSR1 to the node process does the same.")

    def add_arguments(self, parser):
        parser.add_argument("node_id", help="the node's NODE_ID, as listed on the dashboard")

    def handle(self, *args, node_id: str, **options):
        if not Node.objects.filter(node_id=node_id).exists():
            raise CommandError(f"no node {node_id!r} has ever sent a heartbeat")
        if not bus.reaches_nodes():
            raise CommandError("the embedded server's node is reachable only from its own process: stop the server "
                               "instead, or send it SIGUSR1")
        holding = ChargingStation.objects.filter(node__node_id=node_id, online=True).count()
        # Not in a transaction: there is nothing to store, and the node must get it now.
        bus.publish_to_node(node_id, Envelope(kind="command", node=node_id, action="Drain"))
        self.stdout.write(f"asked node {node_id} to drain ({holding} stations online on it)")
