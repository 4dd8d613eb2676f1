"""The search's pair: two dates of one relative orbit, never one date of each track."""

from dinsar.catalogue.records import Product
from dinsar.steps.catalogue import _one_track


def _p(name, day, track):
    return Product(provider="t", id=name, name=name, start=f"{day}T14:22:05", relative_orbit=track)


def test_two_tracks_take_the_one_with_a_pair_first():
    # track 144 has its first date earliest but its second only in October; track 151 pairs by 2016-08-30
    products = [_p("a", "2016-08-17", 144), _p("b", "2016-08-18", 151), _p("c", "2016-08-30", 151),
                _p("d", "2016-10-04", 144)]
    assert [p.name for p in _one_track(products)] == ["b", "c"]


def test_records_without_orbit_are_kept():
    products = [_p("a", "2016-08-17", None), _p("b", "2016-08-29", None)]
    assert _one_track(products) == products
