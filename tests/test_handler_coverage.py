"""Every action a station may send, in each version, has a handler: none is answered NotSupported.

Which actions a version defines comes from the official schemas the `ocpp` library ships (node.schemas.ACTIONS).
The library does not say who sends what (its 1.6 call.py says it only in comments, its 2.0.1 one not at
all), so the direction comes from the list below of what only the CSMS sends, from the specifications:
OCPP 1.6 edition 2 section 5 "Operations initiated by Central System" plus the security whitepaper's
CSMS-initiated messages, and OCPP 2.0.1 part 2's messages whose sender is the CSMS. Everything else a
version defines is station -> CSMS (DataTransfer goes both ways and counts as such). An action a future
library adds is therefore assumed to come from stations until it is listed here: the test fails loudly
rather than letting a station action go unhandled.
"""

import pytest

from csms import router
from csms.actions import CSMS_INITIATED
from node.schemas import ACTIONS

versions = pytest.mark.parametrize("version", sorted(CSMS_INITIATED))


def station_to_csms(version: str) -> set[str]:
    return set(ACTIONS[version] - CSMS_INITIATED[version])


@versions
def test_the_csms_initiated_list_names_only_actions_of_its_version(version):
    assert CSMS_INITIATED[version] - ACTIONS[version] == set()


@versions
def test_every_station_to_csms_action_has_a_handler(version):
    router.autodiscover()

    assert station_to_csms(version) - router.registered_actions(version) == set()


@versions
def test_no_handler_is_registered_for_an_action_only_the_csms_sends(version):
    router.autodiscover()

    assert router.registered_actions(version) & CSMS_INITIATED[version] == set()
