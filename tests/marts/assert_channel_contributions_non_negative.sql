-- Media effects are non-negative: no channel takes revenue away in any week.
select *
from {{ ref('fct_contributions') }}
where component_type = 'channel'
    and contribution < 0
