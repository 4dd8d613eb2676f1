"""Progress lines of long steps (dinsar.logs.progress): one INFO line per tenth of the blocks, the last at 100 %
(the steps' logs are what `tail -f logs/...` shows; tests/workflow/test_workflow.py checks them in a run)."""

import logging

from dinsar.logs import progress


def test_a_line_per_tenth(caplog):
    caplog.set_level(logging.INFO)
    assert list(progress(range(25), "things", logging.getLogger("t"))) == list(range(25))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 10
    assert lines[0].startswith("things: 12% (3/25 blocks, ") and lines[-1].startswith("things: 100% (25/25 blocks, ")
    caplog.clear()
    list(progress(range(3), "few", logging.getLogger("t")))
    assert [r.getMessage()[:20] for r in caplog.records] == ["few: 33% (1/3 blocks", "few: 67% (2/3 blocks",
                                                             "few: 100% (3/3 block"]

