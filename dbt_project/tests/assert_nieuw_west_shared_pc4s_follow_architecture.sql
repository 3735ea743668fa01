-- The PC4s Nieuw-West shares are placed as docs/architecture.md states.
with

expected as (

    select * from (values
        ('1043', 'nieuw_west'),
        ('1046', 'nieuw_west'),
        ('1047', 'rest_of_amsterdam'),
        ('1057', 'rest_of_amsterdam'),
        ('1058', 'rest_of_amsterdam'),
        ('1059', 'rest_of_amsterdam'),
        ('1061', 'rest_of_amsterdam')
    ) as t (pc4, tier)

)

select
    expected.pc4,
    expected.tier as expected_tier,
    tiered.tier as actual_tier
from expected
left join {{ ref('int_pc4s_tiered') }} as tiered
    on expected.pc4 = tiered.pc4
where tiered.tier is distinct from expected.tier
