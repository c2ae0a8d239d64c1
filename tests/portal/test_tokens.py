"""The id token pages: list and search for everyone; create, edit, block and import for operators only."""

import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken

LIST = reverse("token_list")
CREATE = reverse("token_create")
IMPORT = reverse("token_import")


def values_on_page(response) -> list[str]:
    return [token.value for token in response.context["page"]]


def field_error(response, field: str) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


def form_data(**changes) -> dict:
    data = {"value": "CARD-NEW", "type": TokenType.ISO14443, "status": TokenStatus.ACCEPTED, "expiry": "",
            "parent": "", "owner": "", "max_concurrent": "1"}
    return data | changes


def upload(text: str, name: str = "tokens.csv") -> dict:
    return {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}


# --- the list ------------------------------------------------------------------------------------------------

def test_list_shows_tokens_with_their_active_session_count(viewer_client):
    busy = IdTokenFactory(value="BUSY", owner="Fleet A")
    IdTokenFactory(value="IDLE")
    TransactionFactory(id_token=busy)
    TransactionFactory(id_token=busy)
    TransactionFactory(id_token=busy, status=TransactionStatus.ENDED)
    response = viewer_client.get(LIST)
    counts = {token.value: token.active_count for token in response.context["page"]}
    assert counts == {"BUSY": 2, "IDLE": 0}
    assert "Fleet A" in response.content.decode()


def test_search_matches_part_of_the_value_or_the_owner(viewer_client):
    IdTokenFactory(value="04AABB", owner="")
    IdTokenFactory(value="X1", owner="Bob's fleet")
    IdTokenFactory(value="X2", owner="Alice")
    assert values_on_page(viewer_client.get(LIST, {"q": "aabb"})) == ["04AABB"]
    assert values_on_page(viewer_client.get(LIST, {"q": "FLEET"})) == ["X1"]


def test_filters_by_status_and_type(viewer_client):
    IdTokenFactory(value="A", status=TokenStatus.BLOCKED, type=TokenType.CENTRAL)
    IdTokenFactory(value="B", status=TokenStatus.BLOCKED)
    IdTokenFactory(value="C")
    assert values_on_page(viewer_client.get(LIST, {"status": "Blocked"})) == ["A", "B"]
    assert values_on_page(viewer_client.get(LIST, {"status": "Blocked", "type": "Central"})) == ["A"]


def test_list_pages_by_fifty(viewer_client):
    for n in range(51):
        IdTokenFactory(value=f"T{n:03d}")
    first = viewer_client.get(LIST)
    assert len(values_on_page(first)) == 50
    assert values_on_page(viewer_client.get(LIST, {"page": 2})) == ["T050"]


def test_list_costs_the_same_queries_for_one_token_or_a_full_page(viewer_client, django_assert_num_queries):
    TransactionFactory()
    viewer_client.get(LIST)
    # session, user, the two permission lookups of can_operate, COUNT, the page with groups and active counts
    with django_assert_num_queries(6):
        viewer_client.get(LIST)
    group = IdTokenFactory(value="GROUP")
    for n in range(60):
        TransactionFactory(id_token=IdTokenFactory(value=f"M{n:02d}", parent=group))
    with django_assert_num_queries(6):
        viewer_client.get(LIST)


def test_viewer_sees_no_buttons_that_act(viewer_client):
    IdTokenFactory(value="CARD")
    page = viewer_client.get(LIST).content.decode()
    for text in (CREATE, IMPORT, "Edit</a>", "Block</button>"):
        assert text not in page


def test_operator_sees_the_buttons(operator_client):
    IdTokenFactory(value="CARD")
    page = operator_client.get(LIST).content.decode()
    for text in (CREATE, IMPORT, "Edit</a>", "Block</button>"):
        assert text in page


# --- create and edit -----------------------------------------------------------------------------------------

def test_operator_creates_a_token(operator_client):
    group = IdTokenFactory(value="FLEET")
    response = operator_client.post(CREATE, form_data(
        type=TokenType.CENTRAL, expiry="2030-01-31T12:00", parent="FLEET", owner="Dana", max_concurrent="2"))
    assert response.status_code == 302
    token = IdToken.objects.get(value="CARD-NEW")
    assert (token.type, token.expiry, token.parent, token.owner, token.max_concurrent) == (
        TokenType.CENTRAL, datetime(2030, 1, 31, 12, 0, tzinfo=UTC), group, "Dana", 2)


def test_zero_or_empty_max_concurrent_means_no_limit(operator_client):
    operator_client.post(CREATE, form_data(max_concurrent="0"))
    assert IdToken.objects.get(value="CARD-NEW").max_concurrent is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"value": "x" * 37}, "value", "1..36 characters"),
    ({"value": " padded"}, "value", "spaces at its ends"),
    ({"type": TokenType.NO_AUTHORIZATION}, "type", "accepted without lookup"),
    ({"parent": "NOPE"}, "parent", "no id token NOPE"),
    ({"parent": "CARD-NEW"}, "parent", "cannot be its own parent"),
    ({"owner": "o" * 101}, "owner", "at most 100 characters"),
    ({"max_concurrent": str(2**31)}, "max_concurrent", "give 1.."),
    ({"max_concurrent": "-1"}, "max_concurrent", "greater than or equal to 0"),
    ({"expiry": "soon"}, "expiry", "valid date/time"),
])
def test_create_refuses_what_provisioning_refuses_on_the_right_field(operator_client, changes, field, message):
    response = operator_client.post(CREATE, form_data(**changes))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert not IdToken.objects.filter(value=form_data(**changes)["value"]).exists()


def test_create_refuses_a_value_that_exists_in_any_case(operator_client):
    IdTokenFactory(value="CARD-NEW", owner="first")
    same = operator_client.post(CREATE, form_data(owner="second"))
    assert "already exists" in field_error(same, "value")
    other_case = operator_client.post(CREATE, form_data(value="card-new"))
    assert "already stored as CARD-NEW" in field_error(other_case, "value")
    assert list(IdToken.objects.values_list("value", "owner")) == [("CARD-NEW", "first")]


def test_a_group_of_groups_is_refused_on_the_parent_field(operator_client):
    IdTokenFactory(value="MEMBER", parent=IdTokenFactory(value="GROUP"))
    response = operator_client.post(CREATE, form_data(parent="MEMBER"))
    assert "groups are one level deep" in field_error(response, "parent")


def test_operator_edits_a_token_but_not_its_value(operator_client):
    token = IdTokenFactory(value="CARD-E", owner="old", max_concurrent=1)
    url = reverse("token_edit", args=[token.pk])
    assert 'value="CARD-E"' in operator_client.get(url).content.decode()
    response = operator_client.post(url, form_data(value="RENAMED", status=TokenStatus.EXPIRED, owner="new",
                                                   max_concurrent=""))
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.value, token.status, token.owner, token.max_concurrent) == ("CARD-E", TokenStatus.EXPIRED, "new",
                                                                              None)
    assert not IdToken.objects.filter(value="RENAMED").exists()


def test_edit_refuses_a_parent_for_a_token_that_is_a_group(operator_client):
    group = IdTokenFactory(value="GROUP")
    IdTokenFactory(value="MEMBER", parent=group)
    IdTokenFactory(value="OTHER")
    response = operator_client.post(reverse("token_edit", args=[group.pk]), form_data(value="GROUP", parent="OTHER"))
    assert "is the parent of other tokens" in field_error(response, "parent")
    group.refresh_from_db()
    assert group.parent is None


# --- block / unblock -----------------------------------------------------------------------------------------

def test_operator_blocks_and_unblocks_a_token_and_returns_to_the_list(operator_client):
    token = IdTokenFactory(value="CARD-B")
    url = reverse("token_block", args=[token.pk])
    response = operator_client.post(url, {"action": "block", "next": f"{LIST}?q=CARD"})
    assert response.url == f"{LIST}?q=CARD"
    token.refresh_from_db()
    assert token.status == TokenStatus.BLOCKED
    assert "Unblock</button>" in operator_client.get(LIST).content.decode()
    operator_client.post(url, {"action": "unblock"})
    token.refresh_from_db()
    assert token.status == TokenStatus.ACCEPTED


def test_block_does_not_redirect_off_site(operator_client):
    token = IdTokenFactory()
    response = operator_client.post(reverse("token_block", args=[token.pk]),
                                    {"action": "block", "next": "https://evil.example/"})
    assert response.url == LIST


def test_block_needs_a_post(operator_client):
    token = IdTokenFactory()
    assert operator_client.get(reverse("token_block", args=[token.pk])).status_code == 405


# --- CSV import ----------------------------------------------------------------------------------------------

def test_import_creates_and_updates_tokens(operator_client):
    IdTokenFactory(value="OLD", owner="before")
    response = operator_client.post(IMPORT, upload(
        "\ufeffvalue,status,type,parent,owner,max_concurrent\n"
        "FLEET,Accepted,Central,,Acme,none\n"
        "CARD-1,,,FLEET,driver 1,2\n"
        "OLD,Blocked,,,,\n"), follow=True)
    assert "Imported: 2 created, 1 updated, 0 unchanged." in response.content.decode()
    card = IdToken.objects.get(value="CARD-1")
    assert (card.parent.value, card.owner, card.max_concurrent) == ("FLEET", "driver 1", 2)
    old = IdToken.objects.get(value="OLD")
    assert (old.status, old.owner) == (TokenStatus.BLOCKED, "before")


def test_a_bad_row_imports_nothing_and_every_error_names_its_line(operator_client):
    response = operator_client.post(IMPORT, upload(
        "value,status,expiry,max_concurrent\n"
        "GOOD-1,,,\n"
        "BAD-1,Sleeping,,\n"
        "\n"
        "BAD-2,,tomorrow,\n"
        "GOOD-2,,,\n"
        "BAD-3,,,-4\n"))
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert response.context["errors"] == [
        "line 3: status: 'Sleeping' is not one of Accepted, Blocked, Expired, Invalid",
        "line 5: expiry: 'tomorrow' is not an ISO-8601 date or time, e.g. 2026-12-31T23:59:59Z",
        "line 7: max_concurrent: '-4' is not a whole number 0..2147483647 (0 or 'none': no limit)",
    ]
    assert not IdToken.objects.exists()


def test_import_refuses_a_header_without_value_or_with_unknown_columns(operator_client):
    no_value = operator_client.post(IMPORT, upload("token,owner\nA,B\n"))
    assert "line 1: the header must name a value column" in field_error(no_value, "file")
    unknown = operator_client.post(IMPORT, upload("value,colour\nA,red\n"))
    assert "line 1: unknown columns colour" in field_error(unknown, "file")
    assert not IdToken.objects.exists()


def test_import_refuses_extra_cells_and_a_file_that_is_not_utf8(operator_client):
    extra = operator_client.post(IMPORT, upload("value,owner\nA,Smith, John\n"))
    assert extra.context["errors"] == ["line 2: more cells than columns; quote a value that holds a comma"]
    latin1 = operator_client.post(IMPORT, {"file": SimpleUploadedFile("t.csv", "value\nM\xfcller\n".encode("latin-1"))})
    assert "cannot read the file" in field_error(latin1, "file")
    assert not IdToken.objects.exists()


# --- who may write -------------------------------------------------------------------------------------------

def test_viewer_is_refused_every_write_with_403(viewer_client):
    token = IdTokenFactory(value="CARD-V")
    writes = [
        ("get", CREATE, {}), ("post", CREATE, form_data()),
        ("get", reverse("token_edit", args=[token.pk]), {}),
        ("post", reverse("token_edit", args=[token.pk]), form_data(value="CARD-V", owner="me")),
        ("post", reverse("token_block", args=[token.pk]), {"action": "block"}),
        ("get", IMPORT, {}), ("post", IMPORT, upload("value\nIMPORTED\n")),
    ]
    for method, url, data in writes:
        assert getattr(viewer_client, method)(url, data).status_code == 403, (method, url)
    token.refresh_from_db()
    assert (token.status, token.owner) == (TokenStatus.ACCEPTED, "")
    assert list(IdToken.objects.values_list("value", flat=True)) == ["CARD-V"]


def test_errors_are_rendered_next_to_their_field(operator_client):
    page = operator_client.post(CREATE, form_data(parent="NOPE")).content.decode()
    assert re.search(r'id="parent-error">no id token NOPE', page)
