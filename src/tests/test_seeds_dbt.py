"""A wrong value in a configuration seed stops `dbt build` with a message naming it (real dbt runs).

A scratch copy of the project gets seeds with typos and bad numbers, among them the classic one:
`adstock_kind: weibul` for radio in seeds/channel_config.csv (line 3). Two `dbt build` runs start together,
one plain and one with --quiet (the mode scripts use). Both must fail at the seeds' tests, before any model
reads a seed, and their output must name the file, the line, the row's key, the bad value and what is allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / ".venv" / "bin" / "dbt"
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "macros", "models", "python_models", "seeds", "tests"]

# (seed file, line in the file, old text, new text): each breaks one seed test
CORRUPTIONS = [
    ("channel_config.csv", 3, "radio,Radio,geometric,6,", "radio,Radio,weibul,6,"),
    ("channel_config.csv", 5, "search,Paid search,geometric,4,", "search,Paid search,geometric,0,"),
    ("channel_config.csv", 7, "display,Display,geometric,4,hill,0.5,2.0,", "display,Display,geometric,4,hill,2.5,2.0,"),
    ("channel_config.csv", 9, "email,Email,geometric,3,hill,0.5,2.0,1.0,1.0", "email,Email,geometric,3,hill,0.5,2.0,-1,0"),
    ("control_config.csv", 2, "price_index,mean,negative,", "price_index,median,negative,"),
    ("budget_scenarios.csv", 4, "social_plus_20pct,us,social,percent,", "social_plus_20pct,us,social,pct,"),
]
EXPECTED_MESSAGES = [
    "seeds/channel_config.csv line 3 (channel 'radio'): adstock_kind 'weibul' is not allowed; "
    "allowed values: geometric, weibull_cdf, weibull_pdf, delayed",
    "seeds/channel_config.csv line 5 (channel 'search'): max_lag 0 is not allowed; expected a positive whole number of weeks",
    "seeds/channel_config.csv line 7 (channel 'display'): min_budget_multiplier 2.5 (max_budget_multiplier 2.0) "
    "is not allowed; expected 0 < min_budget_multiplier <= max_budget_multiplier "
    "(a blank one is var optimizer_min_multiplier / optimizer_max_multiplier)",
    "seeds/channel_config.csv line 9 (channel 'email'): roi_prior_median -1.0 is not allowed; expected a number > 0, or blank",
    "seeds/channel_config.csv line 9 (channel 'email'): roi_prior_sigma 0.0 is not allowed; expected a number > 0",
    "seeds/control_config.csv line 2 (control 'price_index'): aggregation 'median' is not allowed; "
    "allowed values: mean, sum, max, min",
    "seeds/control_config.csv lines 3, 5: control 'promo_flag' appears 2 times; (control) must be unique "
    "(compared trimmed and lower-cased)",
    "seeds/budget_scenarios.csv line 4 (scenario_name 'social_plus_20pct', market 'us', channel 'social'): "
    "change_type 'pct' is not allowed; allowed values: absolute, percent",
]


@dataclass
class Build:
    returncode: int
    output: str
    results: dict[str, str]


def corrupt_copy(project: Path) -> None:
    project.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            shutil.copy(source, project / part)
    for name, line_number, old, new in CORRUPTIONS:
        path = project / "seeds" / name
        lines = path.read_text().splitlines()
        assert lines[line_number - 1].startswith(old), (name, line_number, lines[line_number - 1])
        lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
        path.write_text("\n".join(lines) + "\n")
    # a second row for an existing control (another spelling of the same key): line 5
    with (project / "seeds" / "control_config.csv").open("a") as handle:
        handle.write("Promo_Flag ,sum,positive,the same control again\n")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Build]:
    work = tmp_path_factory.mktemp("seed_checks")
    project = work / "project"
    corrupt_copy(project)
    started = {}
    for mode in ("plain", "quiet"):
        env = dict(os.environ, MMM_DUCKDB_PATH=str(work / f"{mode}.duckdb"), DBT_PROFILES_DIR=str(project),
                   DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        command = [str(DBT), "build", *(["--quiet"] if mode == "quiet" else []),
                   "--select", "path:seeds", "int_channel_settings", "int_control_settings",
                   "--target-path", str(work / f"target_{mode}"), "--log-path", str(work / f"logs_{mode}")]
        started[mode] = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
    out = {}
    for mode, process in started.items():
        output, _ = process.communicate(timeout=300)
        run = json.loads((work / f"target_{mode}" / "run_results.json").read_text())["results"]
        out[mode] = Build(process.returncode, output, {r["unique_id"].split(".")[2]: r["status"] for r in run})
    return out


@pytest.mark.parametrize("mode", ["plain", "quiet"])
def test_build_fails_naming_file_line_key_value_and_allowed_values(builds, mode):
    build = builds[mode]
    assert build.returncode != 0
    for message in EXPECTED_MESSAGES:
        assert message in build.output, (message, build.output[-6000:])


def test_weibul_typo_is_reported_with_everything_needed_to_fix_it(builds):
    output = builds["plain"].output
    lines = [line for line in output.splitlines() if "weibul'" in line]
    assert len(lines) == 2  # next to the failing test, and in the summary at the end
    assert "ERROR (seed check): seeds/channel_config.csv line 3" in lines[0]
    for line in lines:
        for part in ("seeds/channel_config.csv", "line 3", "channel 'radio'", "adstock_kind 'weibul'",
                     "geometric, weibull_cdf, weibull_pdf, delayed"):
            assert part in line, line


def test_models_reading_the_seeds_do_not_run(builds):
    results = builds["plain"].results
    for seed in ("channel_config", "control_config", "budget_scenarios"):
        assert results[seed] == "success" and results[f"{seed}_is_valid"] == "error"
    assert results["int_channel_settings"] == "skipped"
    assert results["int_control_settings"] == "skipped"


def test_only_the_broken_values_are_reported(builds):
    reported = [line.strip() for line in builds["plain"].output.splitlines() if line.strip().startswith("seeds/")]
    assert sorted(set(reported)) == sorted(EXPECTED_MESSAGES)
