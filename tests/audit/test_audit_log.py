"""The audit log page and its read-only API: viewers and operators read it, filtered and paged; nobody writes it."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    for n in range(60):
        record(action="issue_command", target_type="station", target=f"CP-{n % 3}", station_id=f"CP-{n % 3}",
               params={"action": "Reset"})
    record(action="provision_token", target_type="id_token", target="CARD-9", error="value: too long")


def test_viewers_see_the_log_paged_and_filtered_by_station(viewer_client, entries, django_assert_num_queries):
    with django_assert_num_queries(8):  # session, user, groups check, count, page, actions, 2 x perms context
        response = viewer_client.get(reverse("audit_log"), {"station": "CP-1", "action": "issue_command"})

    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 20 and {e.station_id for e in page} == {"CP-1"}


def test_the_log_pages_fifty_entries_at_a_time(viewer_client, entries):
    first = viewer_client.get(reverse("audit_log")).context["page"]
    second = viewer_client.get(reverse("audit_log"), {"page": 2}).context["page"]

    assert (len(first), len(second)) == (50, 11)


def test_a_refused_action_shows_its_error(operator_client, entries):
    response = operator_client.get(reverse("audit_log"), {"action": "provision_token"})

    assert "value: too long" in response.content.decode()


def test_a_user_without_a_role_is_refused_the_log(roleless_client, entries):
    assert roleless_client.get(reverse("audit_log")).status_code == 403


def test_the_api_lists_entries_for_viewers_filtered_by_actor(api_viewer, entries):
    response = api_viewer.get("/api/v1/audit-entries/", {"station": "CP-2", "page_size": 5})

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 5 and {e["station_id"] for e in body["results"]} == {"CP-2"}
    assert body["next"]


def test_the_api_log_cannot_be_written(api_operator, entries):
    entry = AuditEntry.objects.first()

    assert api_operator.post("/api/v1/audit-entries/", {}, format="json").status_code == 405
    assert api_operator.delete(f"/api/v1/audit-entries/{entry.pk}/").status_code == 405
    assert AuditEntry.objects.count() == 61


def test_the_api_log_needs_credentials(client, entries):
    assert client.get("/api/v1/audit-entries/").status_code == 401
