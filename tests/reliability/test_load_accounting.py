"""The load test's lost-write accounting (bench/row_load.py) catches what it must."""

from bench.row_load import lost_writes, percentile


def test_every_acknowledged_write_present_counts_nothing_lost():
    acknowledged = {7: ["a", "b", "c"]}
    assert lost_writes(acknowledged, {7: ("c", 4)}) == 0


def test_a_missing_version_bump_counts_as_a_lost_write():
    assert lost_writes({7: ["a", "b", "c"]}, {7: ("c", 3)}) == 1


def test_a_stale_note_counts_as_a_lost_write():
    assert lost_writes({7: ["a", "b"]}, {7: ("a", 3)}) == 1


def test_p99_of_a_hundred_values_is_the_ninety_ninth():
    assert percentile(list(range(1, 101)), 0.99) == 99
