"""The Django admin for id tokens, as a superuser sees it: list, search, filters, block / unblock, the form's rules."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:transactions_idtoken_changelist"


@pytest.fixture
def tokens(db):
    """A fleet group with a member in two sessions (one ended), a blocked card and an expired one."""
    fleet = IdTokenFactory(value="FLEET-7", type=TokenType.CENTRAL, owner="Acme Logistics", max_concurrent=None)
    member = IdTokenFactory(value="CARD-ACME", parent=fleet, owner="Acme Logistics", max_concurrent=3)
    TransactionFactory(id_token=member)
    TransactionFactory(id_token=member, status=TransactionStatus.ENDED)
    IdTokenFactory(value="CARD-LOST", status=TokenStatus.BLOCKED, owner="J. Jansen")
    IdTokenFactory(value="CARD-OLD", expiry=timezone.now() - timedelta(days=1))
    return member


def rows(response):
    """The token values on a changelist page, in order."""
    return [str(token) for token in response.context["cl"].result_list]


def test_a_superuser_sees_every_token_with_its_columns(admin_client, tokens):
    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert rows(response) == ["CARD-ACME", "CARD-LOST", "CARD-OLD", "FLEET-7"]
    page = response.content.decode()
    assert "Active sessions" in page
    # one per row, in row order: CARD-ACME's ended session does not count
    assert re.findall(r'<td class="field-active_sessions">(\d+)</td>', page) == ["1", "0", "0", "0"]


@pytest.mark.parametrize("query, found", [
    ("CARD-AC", ["CARD-ACME"]),
    ("acme logistics", ["CARD-ACME", "FLEET-7"]),
    ("Jansen", ["CARD-LOST"]),
], ids=["by value", "by owner", "by owner surname"])
def test_searching_finds_tokens_by_value_or_owner(admin_client, tokens, query, found):
    response = admin_client.get(reverse(CHANGELIST), {"q": query})

    assert response.status_code == 200
    assert rows(response) == found


@pytest.mark.parametrize("params, found", [
    ({"status__exact": "Blocked"}, ["CARD-LOST"]),
    ({"type__exact": "Central"}, ["FLEET-7"]),
    ({"expiry": "expired"}, ["CARD-OLD"]),
    ({"expiry": "none"}, ["CARD-ACME", "CARD-LOST", "FLEET-7"]),
    ({"expiry": "future"}, []),
], ids=["status", "type", "expired", "no expiry", "expires later"])
def test_filters_narrow_the_list(admin_client, tokens, params, found):
    response = admin_client.get(reverse(CHANGELIST), params)

    assert response.status_code == 200
    assert rows(response) == found


def test_the_list_runs_as_many_queries_for_30_tokens_as_for_3(admin_client, django_assert_max_num_queries):
    group = IdTokenFactory(value="GROUP")
    IdTokenFactory.create_batch(2, parent=group)
    with django_assert_max_num_queries(100) as for_3:
        assert admin_client.get(reverse(CHANGELIST)).status_code == 200
    for token in IdTokenFactory.create_batch(27, parent=group):
        TransactionFactory(id_token=token)

    with django_assert_max_num_queries(len(for_3)):
        assert admin_client.get(reverse(CHANGELIST)).status_code == 200


def test_the_block_action_blocks_the_selected_tokens(admin_client, tokens):
    response = admin_client.post(reverse(CHANGELIST), {
        "action": "block", "_selected_action": [tokens.pk, tokens.parent.pk]}, follow=True)

    assert "2 tokens set to Blocked." in response.content.decode()
    assert dict(IdToken.objects.values_list("value", "status")) == {
        "CARD-ACME": TokenStatus.BLOCKED, "FLEET-7": TokenStatus.BLOCKED, "CARD-LOST": TokenStatus.BLOCKED,
        "CARD-OLD": TokenStatus.ACCEPTED}


def test_the_unblock_action_sets_accepted(admin_client, tokens):
    lost = IdToken.objects.get(value="CARD-LOST")

    response = admin_client.post(reverse(CHANGELIST), {"action": "unblock", "_selected_action": [lost.pk]},
                                 follow=True)

    assert "1 token set to Accepted." in response.content.decode()
    lost.refresh_from_db()
    assert lost.status == TokenStatus.ACCEPTED


def test_the_token_page_and_the_parent_autocomplete_render(admin_client, tokens):
    page = admin_client.get(reverse("admin:transactions_idtoken_change", args=[tokens.pk]))
    suggestions = admin_client.get(reverse("admin:autocomplete"), {
        "app_label": "transactions", "model_name": "idtoken", "field_name": "parent", "term": "FLEET"})

    assert page.status_code == 200
    assert [item["text"] for item in suggestions.json()["results"]] == ["FLEET-7"]


def token_form(**fields):
    return {"value": "CARD-NEW", "type": "ISO14443", "status": "Accepted", "expiry_0": "", "expiry_1": "",
            "parent": "", "owner": "", "max_concurrent": "1", "_save": "Save"} | fields


def test_adding_a_token_in_the_admin_with_zero_sessions_means_no_limit(admin_client):
    response = admin_client.post(reverse("admin:transactions_idtoken_add"), token_form(max_concurrent="0"))

    assert response.status_code == 302
    assert IdToken.objects.get(value="CARD-NEW").max_concurrent is None


@pytest.mark.parametrize("fields, field, message", [
    ({"value": "card-acme"}, "value", "CARD-ACME already exists"),
    ({"type": "NoAuthorization"}, "type", "accepted without lookup"),
    ({"parent": "by-member"}, "parent", "groups are one level deep"),
], ids=["same value in another case", "NoAuthorization", "a member as parent"])
def test_the_admin_form_applies_the_provisioning_rules(admin_client, tokens, fields, field, message):
    if fields.get("parent") == "by-member":
        fields = {"parent": str(tokens.pk)}

    response = admin_client.post(reverse("admin:transactions_idtoken_add"), token_form(**fields))

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
