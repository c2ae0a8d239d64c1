"""The message ids a socket remembers to refuse reuse: the last REMEMBERED_IDS, in about 2 KiB."""

from node.consumers import REMEMBERED_IDS, RecentIds


def test_the_last_ids_are_remembered_and_the_oldest_forgotten_once_full():
    ids = RecentIds()
    for n in range(REMEMBERED_IDS + 10):
        ids.add(f"msg-{n}")
    assert all(f"msg-{n}" in ids for n in range(10, REMEMBERED_IDS + 10))
    assert not any(f"msg-{n}" in ids for n in range(10))
    assert "never-sent" not in ids
    assert len(ids.hashes) == 8 * REMEMBERED_IDS
