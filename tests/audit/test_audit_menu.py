"""The portal menu links to the audit log for exactly the users the page lets in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db  # the personas are fixtures looked up by name: say so for pytest-django
LINK = f'<a href="{reverse("audit_log")}"'


@pytest.mark.parametrize("persona", ["viewer_client", "operator_client", "superuser_client"])
def test_users_with_a_role_see_the_audit_log_in_the_menu(request, persona):
    client = request.getfixturevalue(persona)
    assert LINK in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("audit_log")).status_code == 200


def test_a_user_without_a_role_gets_no_audit_log_link(roleless_client):
    page = roleless_client.get(reverse("dashboard"))
    assert page.status_code == 200 and 'href="/stations/"' in page.content.decode()  # the menu is there
    assert LINK not in page.content.decode()
    assert roleless_client.get(reverse("audit_log")).status_code == 403
