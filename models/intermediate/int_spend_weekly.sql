{{ config(materialized="table") }}

-- Weekly spend per market, week and channel on the market's calendar, explicit zero fill: every channel
-- with at least one modeled spend row in a market has a row for every week of that market's calendar.
-- Spend dated outside the calendar is counted in mmm_data_sufficiency (spend_outside_calendar).
-- Partial weeks of a daily series (market, channel, campaign whose usual week has rows on more than one day):
-- * days whose rows were all lost to the quarantine (a rule other than a duplicate: the day had spend, its amount
--   is unknown) are imputed: the series' week is scaled by (days present + days lost) / days present, i.e. the lost
--   days spent like the mean of the days present (is_imputed);
-- * days with no row at all inside the series' active weeks are counted (days_missing) but count as no spend: ad
--   platforms leave out days without delivery. Both are reported in mmm_data_sufficiency (spend_partial_weeks).
-- National media (raw_media_spend rows with market `all`): the national series are completed like any other (their
-- partial weeks too), then each week's national spend of a channel is split across the markets by the weights of
-- int_national_spend_weights (revenue share, or seed national_media_weights), normalised again over the markets
-- whose calendar has that week (a market whose calendar starts later or ends earlier gets nothing before or after
-- it, and the week's national spend is still split whole). A market's share is added to its own spend rows of the
-- channel, if any (national_spend_reporting says how much of spend_reporting came from the split); a market with a
-- positive weight gets the channel in its grid even without local spend. National spend in a week that no market
-- with a positive weight has in its calendar is outside the calendar (mmm_data_sufficiency, market all).
-- A table: it scans the checked spend twice (modeled and lost days), and the model input, the data checks and
-- six tests read it.
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

checked as (

    select * from {{ ref('int_media_spend_checked') }}

),

national_weights as (

    select * from {{ ref('int_national_spend_weights') }}
    where weight > 0

),

spend as (

    select * from checked
    where quarantine_rule is null

),

series_weeks as (

    select
        market,
        channel,
        campaign,
        week_start_date,
        {{ mmm_exact_sum("spend_reporting") }} as spend_observed_reporting,
        count(*) as spend_row_count,
        count(distinct spend_date) as days_with_rows
    from spend
    group by market, channel, campaign, week_start_date

),

series_shape as (

    -- per series: its most common number of days with rows per week (ties: the larger) and its active weeks
    select
        counted.market,
        counted.channel,
        counted.campaign,
        counted.days_with_rows as usual_days_with_rows,
        bounds.first_week_start_date,
        bounds.last_week_start_date
    from (
        select
            market,
            channel,
            campaign,
            days_with_rows,
            row_number() over (partition by market, channel, campaign order by count(*) desc, days_with_rows desc) as frequency_rank
        from series_weeks
        group by market, channel, campaign, days_with_rows
    ) as counted
    inner join (
        select market, channel, campaign, min(week_start_date) as first_week_start_date, max(week_start_date) as last_week_start_date
        from series_weeks
        group by market, channel, campaign
    ) as bounds
        on counted.market = bounds.market
        and counted.channel = bounds.channel
        and counted.campaign = bounds.campaign
    where counted.frequency_rank = 1

),

lost_days as (

    -- dates of a series whose every row was lost to the quarantine (not a duplicate of a modeled row)
    select
        lost.market,
        lost.channel,
        lost.campaign,
        lost.week_start_date,
        count(distinct lost.spend_date) as days_lost
    from checked as lost
    left join spend as present
        on lost.market = present.market
        and lost.channel = present.channel
        and lost.campaign = present.campaign
        and lost.spend_date = present.spend_date
    where lost.quarantine_rule not in ('duplicate_row', 'conflicting_duplicate')
      and lost.market is not null
      and lost.channel is not null
      and lost.week_start_date is not null
      and present.raw_row_id is null
    group by lost.market, lost.channel, lost.campaign, lost.week_start_date

),

series_completed as (

    select
        series_weeks.*,
        series_shape.usual_days_with_rows,
        coalesce(lost_days.days_lost, 0) as days_lost,
        series_shape.usual_days_with_rows > 1 and coalesce(lost_days.days_lost, 0) > 0 as is_imputed,
        case
            when series_shape.usual_days_with_rows > 1
                and series_weeks.week_start_date > series_shape.first_week_start_date
                and series_weeks.week_start_date < series_shape.last_week_start_date
                then greatest(series_shape.usual_days_with_rows - series_weeks.days_with_rows - coalesce(lost_days.days_lost, 0), 0)
            else 0
        end as days_missing,
        case
            when series_shape.usual_days_with_rows > 1 and coalesce(lost_days.days_lost, 0) > 0
                then series_weeks.spend_observed_reporting * (series_weeks.days_with_rows + lost_days.days_lost) / series_weeks.days_with_rows
            else series_weeks.spend_observed_reporting
        end as spend_reporting
    from series_weeks
    inner join series_shape
        on series_weeks.market = series_shape.market
        and series_weeks.channel = series_shape.channel
        and series_weeks.campaign = series_shape.campaign
    left join lost_days
        on series_weeks.market = lost_days.market
        and series_weeks.channel = lost_days.channel
        and series_weeks.campaign = lost_days.campaign
        and series_weeks.week_start_date = lost_days.week_start_date

),

market_channels as (

    select distinct
        spend.market,
        spend.channel
    from spend
    inner join (select distinct market from market_weeks) as calendar_markets
        on spend.market = calendar_markets.market

    union

    -- a national channel is in the grid of every market with a positive weight
    select
        market,
        channel
    from national_weights

),

spend_by_week as (

    select
        market,
        channel,
        week_start_date,
        {{ mmm_exact_sum("spend_reporting") }} as spend_observed_reporting,
        count(*) as spend_row_count
    from spend
    group by market, channel, week_start_date

),

partial_weeks as (

    select
        market,
        channel,
        week_start_date,
        sum(case when is_imputed then spend_reporting - spend_observed_reporting else 0.0 end) as spend_imputed_reporting,
        sum(days_lost) as days_lost,
        sum(days_missing) as days_missing,
        max(case when is_imputed then 1 else 0 end) = 1 as is_imputed
    from series_completed
    group by market, channel, week_start_date

),

national_weeks as (

    -- each national channel's weekly spend (market all): observed, and completed like any series
    select
        spend_by_week.channel,
        spend_by_week.week_start_date,
        spend_by_week.spend_observed_reporting as national_observed_reporting,
        spend_by_week.spend_observed_reporting
            + case when partial_weeks.is_imputed then partial_weeks.spend_imputed_reporting else 0.0 end as national_reporting,
        coalesce(partial_weeks.is_imputed, false) as is_imputed,
        coalesce(partial_weeks.days_lost, 0) as days_lost,
        coalesce(partial_weeks.days_missing, 0) as days_missing
    from spend_by_week
    left join partial_weeks
        on spend_by_week.market = partial_weeks.market
        and spend_by_week.channel = partial_weeks.channel
        and spend_by_week.week_start_date = partial_weeks.week_start_date
    where spend_by_week.market = 'all'

),

week_weights as (

    -- a national channel's weights in each week, over the markets whose calendar has the week (exact sums: the same
    -- input gives the same split, whatever order threads add in)
    select
        national_weights.channel,
        market_weeks.market,
        market_weeks.week_start_date,
        cast(cast(national_weights.weight_basis as decimal(38, 9)) as double)
            / cast(sum(cast(national_weights.weight_basis as decimal(38, 9))) over (
                partition by national_weights.channel, market_weeks.week_start_date
            ) as double) as week_weight
    from national_weights
    inner join market_weeks
        on national_weights.market = market_weeks.market

),

national_shares as (

    select
        week_weights.market,
        week_weights.week_start_date,
        week_weights.channel,
        national_weeks.national_observed_reporting * week_weights.week_weight as national_observed_reporting,
        national_weeks.national_reporting * week_weights.week_weight as national_reporting,
        national_weeks.is_imputed,
        national_weeks.days_lost,
        national_weeks.days_missing
    from national_weeks
    inner join week_weights
        on national_weeks.channel = week_weights.channel
        and national_weeks.week_start_date = week_weights.week_start_date

),

grid as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        market_channels.channel
    from market_weeks
    inner join market_channels
        on market_weeks.market = market_channels.market

),

final as (

    select
        grid.market,
        grid.week_start_date,
        grid.channel,
        coalesce(spend_by_week.spend_observed_reporting, 0.0)
            + case when partial_weeks.is_imputed then partial_weeks.spend_imputed_reporting else 0.0 end
            + coalesce(national_shares.national_reporting, 0.0) as spend_reporting,
        coalesce(spend_by_week.spend_observed_reporting, 0.0)
            + coalesce(national_shares.national_observed_reporting, 0.0) as spend_observed_reporting,
        coalesce(national_shares.national_reporting, 0.0) as national_spend_reporting,
        coalesce(national_shares.national_observed_reporting, 0.0) as national_spend_observed_reporting,
        week_weights.week_weight as national_weight,
        coalesce(spend_by_week.spend_row_count, 0) as spend_row_count,
        coalesce(partial_weeks.days_lost, 0) + coalesce(national_shares.days_lost, 0) as days_lost,
        coalesce(partial_weeks.days_missing, 0) + coalesce(national_shares.days_missing, 0) as days_missing,
        coalesce(partial_weeks.is_imputed, false) or coalesce(national_shares.is_imputed, false) as is_imputed,
        spend_by_week.market is null and national_shares.market is null as is_zero_filled
    from grid
    left join spend_by_week
        on grid.market = spend_by_week.market
        and grid.channel = spend_by_week.channel
        and grid.week_start_date = spend_by_week.week_start_date
    left join partial_weeks
        on grid.market = partial_weeks.market
        and grid.channel = partial_weeks.channel
        and grid.week_start_date = partial_weeks.week_start_date
    left join week_weights
        on grid.market = week_weights.market
        and grid.channel = week_weights.channel
        and grid.week_start_date = week_weights.week_start_date
    left join national_shares
        on grid.market = national_shares.market
        and grid.channel = national_shares.channel
        and grid.week_start_date = national_shares.week_start_date

)

select * from final
