"""Provisioning id tokens from the command line (add_idtoken) and from a CSV file (import_idtokens)."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.transaction_factories import IdTokenFactory
from transactions.choices import TokenStatus, TokenType
from transactions.models import IdToken

pytestmark = pytest.mark.django_db
HEADER = "value,status,type,expiry,parent,owner,max_concurrent\n"


def run(command, *args, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue().strip()


def stored(value):
    token = IdToken.objects.select_related("parent").get(value=value)
    return {"status": token.status, "type": token.type, "expiry": token.expiry, "owner": token.owner,
            "parent": token.parent.value if token.parent else None, "max_concurrent": token.max_concurrent}


def add_full(value="CARD-1", **overrides):
    options = {"status": "Blocked", "type": "KeyCode", "expiry": "2026-12-31T23:59:59Z", "parent": "FLEET-7",
               "owner": "Depot drivers", "max_concurrent": "2"} | overrides
    return run("add_idtoken", value, **options)


@pytest.fixture
def group(db):
    return IdTokenFactory(value="FLEET-7", type=TokenType.CENTRAL)


def test_add_idtoken_creates_the_token_with_every_field(group):
    assert add_full() == "CARD-1: created"

    assert stored("CARD-1") == {
        "status": TokenStatus.BLOCKED, "type": TokenType.KEY_CODE,
        "expiry": datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "owner": "Depot drivers", "parent": "FLEET-7",
        "max_concurrent": 2}


def test_add_idtoken_with_only_a_value_makes_an_accepted_card_for_one_session():
    assert run("add_idtoken", "CARD-1") == "CARD-1: created"

    assert stored("CARD-1") == {"status": TokenStatus.ACCEPTED, "type": TokenType.ISO14443, "expiry": None,
                                "owner": "", "parent": None, "max_concurrent": 1}


def test_running_add_idtoken_twice_changes_nothing_and_says_so(group):
    add_full()
    before = IdToken.objects.get(value="CARD-1").updated_at

    assert add_full() == "CARD-1: unchanged"

    assert IdToken.objects.get(value="CARD-1").updated_at == before


def test_add_idtoken_with_a_change_updates_only_that(group):
    add_full()

    assert add_full(status="accepted") == "CARD-1: updated"

    assert stored("CARD-1")["status"] == TokenStatus.ACCEPTED
    assert stored("CARD-1")["owner"] == "Depot drivers"


def test_add_idtoken_without_options_leaves_existing_fields_alone(group):
    add_full()

    assert run("add_idtoken", "CARD-1") == "CARD-1: unchanged"

    assert stored("CARD-1")["parent"] == "FLEET-7"


@pytest.mark.parametrize("word", ["none", "0", 0])
def test_max_concurrent_none_or_zero_means_no_limit(word):
    run("add_idtoken", "CARD-1", max_concurrent=word)

    assert stored("CARD-1")["max_concurrent"] is None


def test_none_clears_the_expiry_and_the_parent(group):
    add_full()

    assert add_full(expiry="none", parent="None") == "CARD-1: updated"

    assert (stored("CARD-1")["expiry"], stored("CARD-1")["parent"]) == (None, None)


def test_an_expiry_without_an_offset_is_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"

    run("add_idtoken", "CARD-1", expiry="2026-07-01")

    assert stored("CARD-1")["expiry"] == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize("options, field", [
    ({"status": "Suspended"}, "status"),
    ({"type": "Barcode"}, "type"),
    ({"type": "NoAuthorization"}, "type"),
    ({"expiry": "31/12/2026"}, "expiry"),
    ({"parent": "NO-SUCH-GROUP"}, "parent"),
    ({"parent": "CARD-1"}, "parent"),
    ({"max_concurrent": "-1"}, "max_concurrent"),
    ({"max_concurrent": "two"}, "max_concurrent"),
    ({"max_concurrent": "1.5"}, "max_concurrent"),
    ({"owner": "o" * 101}, "owner"),
], ids=["unknown status", "unknown type", "NoAuthorization", "day-first date", "missing parent", "own parent",
        "negative limit", "limit in words", "fractional limit", "owner too long"])
def test_add_idtoken_refuses_a_bad_value_naming_the_field(options, field):
    with pytest.raises(CommandError, match=f"^{field}: "):
        run("add_idtoken", "CARD-1", **options)

    assert not IdToken.objects.exists()


@pytest.mark.parametrize("value", ["x" * 37, "CARD\t1"], ids=["37 characters", "a tab inside"])
def test_add_idtoken_refuses_a_value_that_no_station_could_send(value):
    with pytest.raises(CommandError, match="^value: "):
        run("add_idtoken", value)


def test_a_value_of_36_characters_is_accepted():
    assert run("add_idtoken", "x" * 36) == f"{'x' * 36}: created"


def test_a_value_that_differs_only_in_case_from_a_stored_one_is_refused():
    IdTokenFactory(value="04A2B3C4")

    with pytest.raises(CommandError, match="^value: 04a2b3c4 is already stored as 04A2B3C4"):
        run("add_idtoken", "04a2b3c4")


def test_groups_are_one_level_deep(group):
    IdTokenFactory(value="SUB-GROUP", parent=group)

    with pytest.raises(CommandError, match="^parent: SUB-GROUP is itself in group FLEET-7"):
        run("add_idtoken", "CARD-1", parent="SUB-GROUP")


def test_a_group_with_members_cannot_join_another_group(group):
    IdTokenFactory(value="CARD-1", parent=group)
    IdTokenFactory(value="OTHER-GROUP")

    with pytest.raises(CommandError, match="^parent: FLEET-7 is the parent of other tokens"):
        run("add_idtoken", "FLEET-7", parent="OTHER-GROUP")


@pytest.fixture
def csv_file(tmp_path):
    def write(text):
        path = tmp_path / "tokens.csv"
        path.write_text(text, encoding="utf-8")
        return path
    return write


ROWS = (HEADER
        + "FLEET-7,Accepted,Central,,,\"Acme Logistics, Ltd\",none\n"
        + "CARD-1,,,2026-12-31T23:59:59Z,FLEET-7,Driver 1,\n"
        + "CARD-2,Blocked,KeyCode,,,,3\n")


def test_import_idtokens_creates_every_row_with_parents_from_earlier_rows(csv_file):
    assert run("import_idtokens", str(csv_file(ROWS))) == "3 created, 0 updated, 0 unchanged"

    assert stored("FLEET-7") == {"status": TokenStatus.ACCEPTED, "type": TokenType.CENTRAL, "expiry": None,
                                 "owner": "Acme Logistics, Ltd", "parent": None, "max_concurrent": None}
    assert stored("CARD-1")["parent"] == "FLEET-7"
    assert (stored("CARD-2")["status"], stored("CARD-2")["max_concurrent"]) == (TokenStatus.BLOCKED, 3)


def test_importing_the_same_file_twice_changes_nothing(csv_file):
    path = csv_file(ROWS)
    run("import_idtokens", str(path))
    before = list(IdToken.objects.values_list("value", "updated_at"))

    assert run("import_idtokens", str(path)) == "0 created, 0 updated, 3 unchanged"

    assert list(IdToken.objects.values_list("value", "updated_at")) == before


def test_importing_a_changed_file_updates_the_changed_rows(csv_file):
    run("import_idtokens", str(csv_file(ROWS)))

    changed = ROWS.replace("CARD-2,Blocked", "CARD-2,Accepted")
    assert run("import_idtokens", str(csv_file(changed))) == "0 created, 1 updated, 2 unchanged"


def test_a_parent_on_a_later_row_is_refused_naming_the_line(csv_file):
    rows = HEADER + "CARD-1,,,,FLEET-7,,\nFLEET-7,,Central,,,,\n"

    with pytest.raises(CommandError, match=r"tokens.csv:2: parent: no id token FLEET-7"):
        run("import_idtokens", str(csv_file(rows)))


def test_a_bad_row_names_its_line_and_column_and_imports_nothing(csv_file):
    rows = HEADER + "CARD-1,,,,,,\nCARD-2,Maybe,,,,,\n"

    with pytest.raises(CommandError, match=r"tokens.csv:3: status: 'Maybe' is not one of Accepted, Blocked"):
        run("import_idtokens", str(csv_file(rows)))

    assert not IdToken.objects.exists()


def test_a_header_without_a_value_column_is_refused(csv_file):
    with pytest.raises(CommandError, match="tokens.csv:1: the header must name a value column"):
        run("import_idtokens", str(csv_file("token,status\nCARD-1,Accepted\n")))


def test_an_unknown_column_is_refused(csv_file):
    with pytest.raises(CommandError, match="tokens.csv:1: unknown columns colour"):
        run("import_idtokens", str(csv_file("value,colour\nCARD-1,red\n")))


def test_a_row_with_more_cells_than_columns_is_refused(csv_file):
    with pytest.raises(CommandError, match="tokens.csv:2: more cells than columns"):
        run("import_idtokens", str(csv_file("value,owner\nCARD-1,Acme, Ltd\n")))


def test_a_row_without_a_value_is_refused(csv_file):
    with pytest.raises(CommandError, match="tokens.csv:2: value: "):
        run("import_idtokens", str(csv_file("value,owner\n,Acme\n")))


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run("import_idtokens", str(tmp_path / "absent.csv"))
