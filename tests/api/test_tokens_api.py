"""/api/v1/id-tokens/: read, create, update, block, delete and bulk import, with the CLI's provisioning rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import TokenStatus, TokenType
from transactions.models import IdToken

pytestmark = pytest.mark.django_db
URL = "/api/v1/id-tokens/"


def error_fields(response):
    return response.json()["error"]["fields"]


def test_viewers_list_tokens_with_their_active_sessions(viewer_client, django_assert_num_queries):
    group = IdTokenFactory(value="FLEET")
    IdTokenFactory(value="CARD-1", parent=group, owner="Ann")
    TransactionFactory(id_token=group)
    for n in range(5):
        IdTokenFactory(value=f"X{n}")

    with django_assert_num_queries(4):  # token + user-role lookup, count, page
        response = viewer_client.get(URL)

    assert response.status_code == 200
    rows = {row["value"]: row for row in response.json()["results"]}
    assert rows["CARD-1"]["parent"] == "FLEET" and rows["CARD-1"]["owner"] == "Ann"
    assert rows["FLEET"]["active_transactions"] == 1


def test_the_list_filters_by_status_and_by_value_without_regard_to_case(viewer_client):
    IdTokenFactory(value="AbC", status=TokenStatus.BLOCKED)
    IdTokenFactory(value="other")

    assert [r["value"] for r in viewer_client.get(URL, {"status": "Blocked"}).json()["results"]] == ["AbC"]
    assert [r["value"] for r in viewer_client.get(URL, {"value": "abc"}).json()["results"]] == ["AbC"]
    assert viewer_client.get(URL, {"status": "Lost"}).status_code == 400


def test_an_operator_creates_a_token_and_left_out_fields_take_the_defaults(operator_client):
    response = operator_client.post(URL, {"value": "04A2B3", "owner": "fleet 7", "max_concurrent": 2}, format="json")

    assert response.status_code == 201, response.json()
    token = IdToken.objects.get(value="04A2B3")
    assert (token.owner, token.max_concurrent, token.status, token.type) == ("fleet 7", 2, "Accepted", "ISO14443")
    assert response.json()["id"] == token.pk


def test_creating_a_token_that_exists_in_another_case_is_a_conflict(operator_client):
    IdTokenFactory(value="abc")

    response = operator_client.post(URL, {"value": "ABC"}, format="json")

    assert response.status_code == 409
    assert IdToken.objects.count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"value": "T", "colour": "red"}, "colour"),
    ({"value": "T", "max_concurrent": "lots"}, "max_concurrent"),
    ({"value": "T", "expiry": "next week"}, "expiry"),
    ({"value": "T", "status": "Lost"}, "status"),
    ({"value": "T", "type": "NoAuthorization"}, "type"),
    ({"value": "x" * 37}, "value"),
    ({"value": " T"}, "value"),  # the provisioning rule: no spaces at the ends
    ({"value": "T", "parent": "NOPE"}, "parent"),  # the parent must exist
    ({"value": "T", "id": 5}, "id"),  # read-only
])
def test_a_bad_field_is_a_400_naming_it(operator_client, body, field):
    response = operator_client.post(URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert field in error_fields(response)
    assert not IdToken.objects.exists()


def test_patch_changes_the_given_fields_and_keeps_the_rest(operator_client):
    token = IdTokenFactory(value="T1", owner="Ann", max_concurrent=3)
    group = IdTokenFactory(value="G")

    response = operator_client.patch(f"{URL}{token.pk}/", {"parent": "G", "expiry": None}, format="json")

    assert response.status_code == 200, response.json()
    token.refresh_from_db()
    assert (token.parent, token.owner, token.max_concurrent) == (group, "Ann", 3)


def test_put_replaces_the_settings_and_left_out_fields_return_to_their_defaults(operator_client):
    token = IdTokenFactory(value="T1", owner="Ann", max_concurrent=3, type=TokenType.EMAID)

    response = operator_client.put(f"{URL}{token.pk}/", {"value": "T1", "status": "Invalid"}, format="json")

    assert response.status_code == 200, response.json()
    token.refresh_from_db()
    assert (token.status, token.owner, token.max_concurrent, token.type) == ("Invalid", "", 1, "ISO14443")


def test_a_token_value_cannot_change(operator_client):
    token = IdTokenFactory(value="T1")

    response = operator_client.patch(f"{URL}{token.pk}/", {"value": "T2"}, format="json")

    assert response.status_code == 400 and "value" in error_fields(response)


def test_a_group_of_groups_is_refused_as_by_the_cli(operator_client):
    top = IdTokenFactory(value="TOP")
    IdTokenFactory(value="MID", parent=top)
    token = IdTokenFactory(value="T1")

    response = operator_client.patch(f"{URL}{token.pk}/", {"parent": "MID"}, format="json")

    assert response.status_code == 400 and "one level deep" in error_fields(response)["parent"][0]


def test_block_and_unblock(operator_client):
    token = IdTokenFactory(value="T1")

    assert operator_client.post(f"{URL}{token.pk}/block/").json()["status"] == "Blocked"
    token.refresh_from_db()
    assert token.status == TokenStatus.BLOCKED
    assert operator_client.post(f"{URL}{token.pk}/unblock/").json()["status"] == "Accepted"


def test_delete_keeps_the_sessions_that_used_the_token(operator_client):
    session = TransactionFactory(id_token=IdTokenFactory(value="T1"))

    assert operator_client.delete(f"{URL}{session.id_token.pk}/").status_code == 204

    session.refresh_from_db()
    assert session.id_token is None and session.id_token_value == "T1"


def test_viewers_cannot_write_and_strangers_cannot_read(viewer_client, anon_client):
    token = IdTokenFactory(value="T1")

    assert viewer_client.post(URL, {"value": "T2"}, format="json").status_code == 403
    assert viewer_client.patch(f"{URL}{token.pk}/", {"owner": "x"}, format="json").status_code == 403
    assert viewer_client.post(f"{URL}{token.pk}/block/").status_code == 403
    assert viewer_client.delete(f"{URL}{token.pk}/").status_code == 403
    assert viewer_client.post(f"{URL}import/", [{"value": "T3"}], format="json").status_code == 403
    assert anon_client.get(URL).status_code == 401
    assert IdToken.objects.get().status == TokenStatus.ACCEPTED and IdToken.objects.count() == 1


# --- bulk import -------------------------------------------------------------------------------------------

def test_a_json_import_creates_and_updates_in_order_so_a_parent_may_come_first(operator_client):
    IdTokenFactory(value="OLD", owner="before")

    response = operator_client.post(f"{URL}import/", [
        {"value": "GROUP"}, {"value": "CARD", "parent": "GROUP", "max_concurrent": None},
        {"value": "OLD", "owner": "after"}, {"value": "GROUP"},
    ], format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 1, "unchanged": 1}
    card = IdToken.objects.get(value="CARD")
    assert card.parent.value == "GROUP" and card.max_concurrent is None
    assert IdToken.objects.get(value="OLD").owner == "after"


def test_a_json_import_with_bad_rows_changes_nothing_and_names_each_row(operator_client):
    response = operator_client.post(f"{URL}import/", [
        {"value": "GOOD"}, {"value": "BAD", "status": "Lost"}, {"value": "ORPHAN", "parent": "NOPE"},
    ], format="json")

    assert response.status_code == 400
    assert set(error_fields(response)) == {"1.status", "2.parent"}
    assert not IdToken.objects.exists()


def test_a_csv_import_follows_the_cli_rules_and_names_the_line(operator_client):
    good = b"value,status,owner,max_concurrent\nA1,Accepted,Ann,none\nA2,blocked,,2\n"
    bad = b"value,status\nB1,Accepted\nB2,Lost\n"

    response = operator_client.post(f"{URL}import/", {"file": SimpleUploadedFile("t.csv", good)},
                                   format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    assert IdToken.objects.get(value="A2").status == TokenStatus.BLOCKED
    assert IdToken.objects.get(value="A1").max_concurrent is None

    response = operator_client.post(f"{URL}import/", bad, content_type="text/csv")
    assert response.status_code == 400
    assert list(error_fields(response)) == ["line.3.status"]
    assert not IdToken.objects.filter(value="B1").exists()


def test_a_csv_with_an_unknown_column_is_refused(operator_client):
    response = operator_client.post(f"{URL}import/", b"value,colour\nA,red\n", content_type="text/csv")

    assert response.status_code == 400 and "colour" in response.json()["error"]["message"]


def test_an_import_body_that_is_not_a_list_is_a_400(operator_client):
    response = operator_client.post(f"{URL}import/", {"value": "A"}, format="json")

    assert response.status_code == 400
