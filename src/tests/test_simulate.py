"""The broadened simulator (mmm.simulate): deterministic, and its truth adds up."""

import numpy as np
import pandas as pd
import pytest

from mmm.simulate import NOISE_SHARE_RANGE, lift_tests, simulate

SEEDS = [1, 2, 3, 4, 5, 6]


@pytest.fixture(scope="module")
def sims():
    return {s: simulate(s) for s in SEEDS}


def test_deterministic_in_seed():
    a, b, c = simulate(11), simulate(11), simulate(12)
    pd.testing.assert_frame_equal(a.spend, b.spend)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    assert not np.array_equal(a.revenue[:50], c.revenue[:50]) or a.channels != c.channels


def test_shape_ranges_and_each_seed_draws_its_own_configuration(sims):
    configs = set()
    for s in sims.values():
        assert 104 <= len(s.weeks) <= 156
        assert 6 <= len(s.channels) <= 8
        assert {"search", "social"} <= set(s.channels)
        assert (s.spend.to_numpy() >= 0).all()
        assert NOISE_SHARE_RANGE[0] <= s.config["noise_share"] <= NOISE_SHARE_RANGE[1]
        configs.add((len(s.weeks), tuple(s.channels)))
    assert len(configs) == len(sims)
    truth = pd.concat([s.truth for s in sims.values()])
    # the conditions the benchmark is meant to cover all occur
    assert {"hill", "logistic"} <= set(truth.saturation_kind)
    assert {"geometric", "delayed"} <= set(truth.adstock_kind) and truth.adstock_kind.str.startswith("weibull").any()
    assert {"demand", "flighted", "always_on"} <= set(truth.spend_pattern)
    assert {"strong", "weak", "near_zero"} <= set(truth.roi_class)


def test_components_plus_noise_are_revenue_and_contributions_are_media_columns(sims):
    for s in sims.values():
        np.testing.assert_allclose(s.components.to_numpy().sum(axis=1) + s.noise, s.revenue, rtol=1e-12)
        for c in s.channels:
            np.testing.assert_allclose(s.components[c].to_numpy(), s.media_effect(c), rtol=1e-10)
            # contribution = revenue with the channel minus revenue without it (spend set to zero)
            without = s.media_effect(c, np.zeros(len(s.weeks)))
            assert np.allclose(without, 0.0)
        t = s.truth.set_index("channel")
        np.testing.assert_allclose(t["contribution"], s.components[s.channels].sum().to_numpy(), rtol=1e-10)
        np.testing.assert_allclose(t["spend"], s.spend.sum().to_numpy(), rtol=1e-12)


def test_roi_definition_and_roi_classes(sims):
    for s in sims.values():
        t = s.truth.set_index("channel")
        np.testing.assert_allclose(t["roi"], t["contribution"] / t["spend"], rtol=1e-12)
        assert (t["roi"] >= 0).all()
        assert (t.loc[t.roi_class == "near_zero", "roi"] <= 0.05 + 1e-12).all()
        assert (t.loc[t.roi_class == "weak", "roi"] < 0.75).all()
        assert (t.roi_class == "near_zero").sum() >= 1 and (t.roi_class == "weak").sum() >= 1
        assert t.loc[["search", "social"], "roi_class"].ne("near_zero").all()


def test_noise_and_media_share_are_as_configured(sims):
    for s in sims.values():
        expected = s.revenue - s.noise
        assert 0.5 * s.config["noise_share"] < s.noise.std() / expected.mean() < 1.5 * s.config["noise_share"]
        media_share = s.components[s.channels].to_numpy().sum() / expected.sum()
        assert 0.15 < media_share < 0.45


def test_response_is_steady_state_of_the_weekly_effect(sims):
    s = sims[SEEDS[0]]
    for c in s.channels:
        level = float(s.spend[c].mean())
        held = np.full(len(s.weeks), level)
        # a spend held at x every week: after the carry-over window the weekly effect equals r(x)
        np.testing.assert_allclose(s.media_effect(c, held)[-1], s.response(c).revenue(level), rtol=1e-9)
        h = 1e-3 * level
        numeric = (s.response(c).revenue(level + h) - s.response(c).revenue(level - h)) / (2 * h)
        np.testing.assert_allclose(s.response(c).marginal(level), numeric, rtol=1e-4)


def test_lift_is_switch_off_difference_and_lift_tests_are_noisy_truth(sims):
    s = sims[SEEDS[1]]
    start, end = s.weeks[20], s.weeks[23]
    x = s.spend["search"].to_numpy().copy()
    off = x.copy()
    off[20:24] = 0
    manual = (s.media_effect("search", x) - s.media_effect("search", off)).sum()
    assert s.lift("search", start, end) == pytest.approx(manual)
    assert s.lift("search", start, end) > 0
    # switching everything off for the whole period gives back the contribution
    total = s.lift("social", s.weeks[0], s.weeks[-1])
    assert total == pytest.approx(float(s.truth.set_index("channel").loc["social", "contribution"]))
    tests = lift_tests(s)
    assert list(tests.channel) == ["search", "social"]
    assert np.allclose(tests.lift_se, 0.12 * tests.true_lift)
    assert ((tests.lift - tests.true_lift).abs() < 5 * tests.lift_se).all()
    assert (tests.end_week - tests.start_week == pd.Timedelta(weeks=3)).all()
    pd.testing.assert_frame_equal(tests, lift_tests(s))
