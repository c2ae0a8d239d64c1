import channels.db
import pytest

from csms import bus
from node import connections, runtime
from tests.node.fake_central import FakeCentral


@pytest.fixture
def central(monkeypatch):
    """The node's bus answered by a FakeCentral; the node's module state is put back afterwards."""
    fake = FakeCentral()
    monkeypatch.setattr(bus, "_transport", fake)
    # A node has no database; here the test process has one, and Channels would close its connections per message.
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)
    monkeypatch.setattr(runtime, "_seen", {})
    yield fake
    connections.set_limit(None)
    connections.draining = False
    runtime._drain, runtime._drained = None, False
