"""Fill ``raw_holidays`` (columns ``date, market, holiday``) from the ``holidays`` package.

    python -m mmm.holiday_calendar --country US --market us --start 2023-01-01 --end 2025-12-31 \
        --out data/demo/raw_holidays.csv

Writes the file when it does not exist. When it exists, rows of *other* markets and rows of this market
outside [start, end] are kept, this market's rows inside the range are replaced (so running it again is
idempotent, and several markets can share one file); ``--replace`` overwrites the whole file instead.
``--subdiv`` selects a state or province (e.g. ``--country CA --subdiv ON``).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pandas as pd

COLUMNS = ["date", "market", "holiday"]


def holiday_rows(country: str, market: str, start: str | date, end: str | date,
                 subdiv: str | None = None) -> pd.DataFrame:
    """Public holidays of ``country`` between ``start`` and ``end`` (inclusive) as raw_holidays rows.

    One row per holiday date (names of holidays falling on the same day are joined by '; ' by the
    ``holidays`` package); ``market`` is normalised (trimmed, lower case) like the data layer does.
    """
    import holidays as holidays_lib

    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    if end_ts < start_ts:
        raise ValueError(f"end {end_ts.date()} is before start {start_ts.date()}")
    market_name = market.strip().lower()
    if not market_name:
        raise ValueError("market must not be blank")
    years = list(range(start_ts.year, end_ts.year + 1))
    try:
        calendar = holidays_lib.country_holidays(country.upper(), subdiv=subdiv, years=years)
    except NotImplementedError as error:
        raise ValueError(f"the holidays package has no calendar for country {country!r}") from error
    rows = [(pd.Timestamp(d), name) for d, name in calendar.items() if start_ts <= pd.Timestamp(d) <= end_ts]
    frame = pd.DataFrame(rows, columns=["date", "holiday"]).sort_values("date", kind="stable")
    return pd.DataFrame({
        "date": frame["date"].dt.strftime("%Y-%m-%d").to_numpy(),
        "market": market_name,
        "holiday": frame["holiday"].to_numpy(),
    }, columns=COLUMNS)


def merge_into(existing: pd.DataFrame, new_rows: pd.DataFrame, market: str, start: str | date,
               end: str | date) -> pd.DataFrame:
    """Existing rows minus this market's rows inside [start, end], plus ``new_rows``; sorted."""
    market_name = market.strip().lower()
    existing = existing.astype({"date": str, "market": str, "holiday": str})
    dates = pd.to_datetime(existing["date"], errors="coerce")
    in_range = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    same_market = existing["market"].str.strip().str.lower() == market_name
    kept = existing[~(same_market & in_range)]
    merged = pd.concat([kept[COLUMNS], new_rows[COLUMNS]], ignore_index=True)
    return merged.sort_values(["market", "date"], kind="stable").reset_index(drop=True)


def write_calendar(out: str | Path, country: str, market: str, start: str, end: str,
                   subdiv: str | None = None, replace: bool = False) -> pd.DataFrame:
    """Write (or merge into) ``out`` and return what was written."""
    out = Path(out)
    new_rows = holiday_rows(country, market, start, end, subdiv)
    if out.exists() and out.stat().st_size > 0 and not replace:
        existing = pd.read_csv(out, dtype=str, keep_default_na=False)
        missing = [c for c in COLUMNS if c not in existing.columns]
        if missing:
            raise ValueError(f"{out} has columns {list(existing.columns)}; expected {COLUMNS}")
        result = merge_into(existing, new_rows, market, start, end)
    else:
        result = new_rows
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--country", required=True, help="ISO country code known to the holidays package, e.g. US")
    parser.add_argument("--market", required=True, help="market name as in the raw files, e.g. us")
    parser.add_argument("--start", required=True, help="first date, YYYY-MM-DD")
    parser.add_argument("--end", required=True, help="last date, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="raw_holidays.csv to write or merge into")
    parser.add_argument("--subdiv", default=None, help="state or province code (optional)")
    parser.add_argument("--replace", action="store_true", help="overwrite the file instead of merging")
    args = parser.parse_args(argv)
    try:
        result = write_calendar(args.out, args.country, args.market, args.start, args.end, args.subdiv,
                                args.replace)
    except ValueError as error:
        parser.error(str(error))
    added = int((result["market"] == args.market.strip().lower()).sum())
    print(f"wrote {len(result)} rows to {args.out} ({added} for market {args.market.strip().lower()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
