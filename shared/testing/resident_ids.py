"""Generated resident ID numbers with reference dates that break every rule of the kernel's
``validate_resident_id`` (GB 11643-1999, R1.3), for the proof that the filing center's bulk check gives the
kernel's verdicts (``services/audit/tests/unit/test_checks.py``, ``bench/audit_bulk.py --equal``).

Vectorised (numpy), so a million numbers take about a second. Each row is a kind of number, drawn at random:

- region codes still in use, codes created after the holder's birth (``CREATED_LATE``), retired codes with a birth
  in or after their last year, and codes the kernel refuses (unknown, Hong Kong, Taiwan, central ``100000``);
- birth dates anywhere in the 150 years before the reference date, on it, after it, 150 years before it and a day
  further, 29 February of leap and common years, and impossible dates (month 00 or 13+, day 00 or past the month);
- reference dates from 1990 to 2060, some of them a 29 February;
- a wrong check character on some, and some broken in form: a letter or space in the digits, a lower-case ``x``
  check character (valid), a full-width digit (UTF-8, so too few characters).
"""

import numpy as np

from shared.kernel.identifiers import MAX_AGE_YEARS, REGION_IN_USE, resident_id_region_codes

# Region codes created after 1990 (python-stdnum's cn/loc: "[2015-]密云区" ...): a holder born earlier carries
# them because numbers are assigned at registration, not at birth.
CREATED_LATE = (110118, 110119, 120117, 120118, 120119, 130109, 130209, 130284, 130306, 130407)
REFUSED_REGIONS = (810000, 820000, 710000, 100000, 990000, 110199, 119999, 460000, 650000)
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK_CHARACTERS = np.frombuffer(b"0123456789X", dtype=np.uint8)
_FIRST_DAY = np.datetime64("1990-01-01", "D")
_LAST_DAY = np.datetime64("2060-12-31", "D")


def digits_of(values: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` ASCII digits of non-negative integers, zero-padded (wider values keep their low digits)."""
    out = np.empty((values.size, width), dtype=np.uint8)
    rest = values.astype(np.int64).copy()
    for column in range(width - 1, -1, -1):
        out[:, column] = rest % 10 + ord("0")
        rest //= 10
    return out


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, day


def generated_resident_ids(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(numbers, references)``: an ``(count, 18)`` uint8 array of numbers' UTF-8 bytes and their reference
    dates (``datetime64[D]``)."""
    rng = np.random.default_rng(seed)
    table = resident_id_region_codes()
    codes = np.array([int(code) for code in table], dtype=np.int64)
    last_years = np.array(list(table.values()), dtype=np.int64)
    retired, retired_last = codes[last_years < REGION_IN_USE], last_years[last_years < REGION_IN_USE]

    span = int((_LAST_DAY - _FIRST_DAY).astype(np.int64))
    references = _FIRST_DAY + rng.integers(0, span + 1, count).astype("timedelta64[D]")
    on_29_february = rng.random(count) < 0.03
    leap_years = np.array([year for year in range(1992, 2061, 4)])
    references[on_29_february] = (rng.choice(leap_years, int(on_29_february.sum())) - 1970).astype(
        "datetime64[Y]").astype("datetime64[D]") + np.timedelta64(59, "D")
    ref_year, ref_month, ref_day = _ymd(references)

    # birth: a day up to 151 years back, then some rows moved to a rule's edge
    births = references - rng.integers(0, 151 * 366, count).astype("timedelta64[D]")
    year, month, day = _ymd(births)
    kind = rng.integers(0, 100, count)
    future = kind < 5
    year[future], month[future], day[future] = _ymd(references[future] + rng.integers(
        1, 800, int(future.sum())).astype("timedelta64[D]"))
    today = (kind >= 5) & (kind < 8)
    year[today], month[today], day[today] = ref_year[today], ref_month[today], ref_day[today]
    oldest = (kind >= 8) & (kind < 11)  # exactly 150 years, or a day more (29 February of a common year: 28th)
    year[oldest], month[oldest] = ref_year[oldest] - MAX_AGE_YEARS, ref_month[oldest]
    day[oldest] = ref_day[oldest] - rng.integers(0, 3, int(oldest.sum()))
    leap_day = (kind >= 11) & (kind < 16)
    year[leap_day] = rng.integers(1870, 2061, int(leap_day.sum()))
    month[leap_day], day[leap_day] = 2, 29
    impossible = (kind >= 16) & (kind < 21)
    month[impossible] = rng.choice([0, 1, 2, 4, 6, 9, 11, 13, 19, 99], int(impossible.sum()))
    day[impossible] = rng.choice([0, 29, 30, 31, 32, 99], int(impossible.sum()))
    year[kind == 21] = 0

    region = rng.choice(codes, count)
    pick = rng.integers(0, 100, count)
    late = pick < 10
    region[late] = rng.choice(CREATED_LATE, int(late.sum()))
    refused = (pick >= 10) & (pick < 18)
    region[refused] = rng.choice(REFUSED_REGIONS, int(refused.sum()))
    unknown = (pick >= 18) & (pick < 21)
    region[unknown] = rng.integers(0, 1_000_000, int(unknown.sum()))
    at_retirement = (pick >= 21) & (pick < 36)
    chosen = rng.integers(0, retired.size, int(at_retirement.sum()))
    region[at_retirement] = retired[chosen]
    year[at_retirement] = retired_last[chosen] + rng.integers(-1, 3, chosen.size)

    first17 = np.concatenate([digits_of(region, 6), digits_of(np.clip(year, 0, 9999), 4), digits_of(np.clip(
        month, 0, 99), 2), digits_of(np.clip(day, 0, 99), 2), digits_of(rng.integers(0, 1000, count), 3)], axis=1)
    check = (1 - (first17.astype(np.int64) - ord("0")) @ _WEIGHTS) % 11
    wrong = rng.random(count) < 0.12
    check[wrong] = rng.integers(0, 11, int(wrong.sum()))
    numbers = np.concatenate([first17, _CHECK_CHARACTERS[check][:, None]], axis=1)

    noise = rng.integers(0, 100, count)
    lower_x = (noise < 3) & (numbers[:, 17] == ord("X"))
    numbers[lower_x, 17] = ord("x")
    stray = (noise >= 3) & (noise < 6)
    rows = np.flatnonzero(stray)
    numbers[rows, rng.integers(0, 18, rows.size)] = rng.choice(np.frombuffer(b"AXx -/", dtype=np.uint8), rows.size)
    wide = np.flatnonzero(noise == 6)
    at = rng.integers(0, 16, wide.size)
    for offset, byte in enumerate(b"\xef\xbc\x91"):  # U+FF11 FULLWIDTH DIGIT ONE
        numbers[wide, at + offset] = byte
    return numbers, references
