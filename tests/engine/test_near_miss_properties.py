"""Properties of the near-miss rules ingest warns with (pure functions, no database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incentives.ingest.warnings import near_keys, near_values, normalise

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_- ", min_size=1)
known_sets = st.frozensets(words, min_size=1, max_size=6)


@given(known_sets, st.data())
def test_a_value_equal_to_a_known_one_never_warns(
    known: frozenset[str], data: st.DataObject
) -> None:
    value = data.draw(st.sampled_from(sorted(known)))
    assert near_values(value, known) == []
    assert near_keys(value, sorted(known)) == []


@given(known_sets, st.data())
def test_a_respelling_of_a_known_value_warns_naming_it(
    known: frozenset[str], data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from(sorted(known)))
    # The same value with its case changed and separators moved about.
    value = data.draw(st.sampled_from(["_", "-", " ", ""])).join(
        [c.swapcase() for c in target if c not in "_- "]
    )
    if value in known or not normalise(target):
        return  # unchanged after all, or nothing but separators
    found = near_values(value, known)
    assert target in found
    assert all(normalise(k) == normalise(value) for k in found)


@given(words, known_sets)
def test_a_value_warns_only_about_loosely_equal_known_values(
    value: str, known: frozenset[str]
) -> None:
    for found in near_values(value, known):
        assert found in known and found != value
        assert normalise(found) == normalise(value)
