"""factory_boy factories for the stations app: real rows, sensible defaults, override what a test is about."""

import factory
from django.utils import timezone

from stations.choices import ConnectorStatus, Registration
from stations.models import ChargingStation, Connector, Node


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Node
        django_get_or_create = ("node_id",)

    node_id = factory.Sequence(lambda n: f"node-{n}")
    first_heartbeat = factory.LazyFunction(timezone.now)
    last_heartbeat = factory.SelfAttribute("first_heartbeat")


class StationFactory(factory.django.DjangoModelFactory):
    """A provisioned, enabled, Accepted station that never connected. `password="x"` stores it hashed."""

    class Meta:
        model = ChargingStation
        skip_postgeneration_save = True

    station_id = factory.Sequence(lambda n: f"CP-{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Station {o.station_id}")
    registration = Registration.ACCEPTED

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        if extracted:
            obj.set_password(extracted)
            if create:
                obj.save(update_fields=["password"])


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    station = factory.SubFactory(StationFactory)
    evse_id = factory.Sequence(lambda n: n + 1)
    connector_id = 1
    status = ConnectorStatus.AVAILABLE
