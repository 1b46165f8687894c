"""Long jobs' progress (shared.platform.progress): one plain line per step off a terminal, with the count, the
share, the rate and the time left; a redrawn bar on a terminal; nothing without a stream. Key rotation
(shared.platform.rotation) shows each column's batches that way."""
import io

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from shared.platform.progress import Progress
from shared.platform.rotation import Sealed, rotate_keys

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_each_step_is_one_plain_line_with_rate_and_estimate():
    stream, clock = io.StringIO(), Clock()
    progress = Progress("stock import", 10_000, stream=stream, clock=clock)
    clock.now += 2
    progress.at(3000, "imported 2990, rejected 10")
    clock.now += 2
    progress.advance(3000)
    progress.close()
    assert stream.getvalue().splitlines() == [
        "stock import: 3000/10000 rows (30%), 1500.00 rows/s, 00:04 left, imported 2990, rejected 10",
        "stock import: 6000/10000 rows (60%), 1500.00 rows/s, 00:02 left",
    ]


def test_a_slow_job_still_counts_units_per_second():
    stream, clock = io.StringIO(), Clock()
    progress = Progress("stock check", 5, unit="phases", stream=stream, clock=clock)
    clock.now += 4
    progress.at(2, "read 3 rows")
    assert stream.getvalue() == "stock check: 2/5 phases (40%), 0.50 phases/s, 00:06 left, read 3 rows\n"


def test_without_a_total_the_line_has_the_count_and_the_rate():
    stream, clock = io.StringIO(), Clock()
    progress = Progress("stock import", None, stream=stream, clock=clock)
    clock.now += 4
    progress.at(1000)
    assert stream.getvalue() == "stock import: 1000 rows, 250.00 rows/s\n"


def test_on_a_terminal_a_bar_is_redrawn_in_place():
    stream = io.StringIO()
    with Progress("rotation", 100, stream=stream, terminal=True) as progress:
        progress.at(50)
        progress.at(100)
    drawn = stream.getvalue()
    assert "\r" in drawn and "100/100" in drawn and "rows/s" in drawn and "\n" not in drawn.rstrip("\n")


def test_without_a_stream_nothing_is_shown(capsys):
    progress = Progress("quiet", 10)
    progress.at(10)
    assert capsys.readouterr() == ("", "")


def test_key_rotation_shows_each_batch_of_each_column():
    engine = create_engine("sqlite://")
    metadata = MetaData()
    table = Table("people", metadata, Column("id", Integer, primary_key=True), Column("name", String))
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": i, "name": "old" if i % 2 else "new"} for i in range(5)])
    stream = io.StringIO()

    changed = rotate_keys(engine, None, [Sealed(table, "name", lambda _cipher, value: "new")], batch=2,
                          progress_to=stream)

    assert changed == {"people.name": 2}
    lines = stream.getvalue().splitlines()
    assert [line.split(" rows ")[0] for line in lines] == ["people.name: 2/5", "people.name: 4/5",
                                                          "people.name: 5/5"]
    assert all(" rows/s, " in line and " left, " in line for line in lines)
    assert [line.rsplit(", ", 1)[1] for line in lines] == ["1 re-encrypted", "2 re-encrypted", "2 re-encrypted"]
    with engine.connect() as connection:
        assert set(connection.execute(select(table.c.name)).scalars()) == {"new"}
    engine.dispose()
