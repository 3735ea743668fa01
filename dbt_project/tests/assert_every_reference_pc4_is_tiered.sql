-- Every PC4 of the CBS reference gets exactly one tier: none is lost because its majority-gemeente
-- row is missing (int_pc4s_tiered keeps only is_hoofdgemeente rows; its PK test covers duplicates).
select distinct ref_pc4s.pc4
from {{ ref('stg_reference__pc4_gemeenten') }} as ref_pc4s
left join {{ ref('int_pc4s_tiered') }} as tiered
    on ref_pc4s.pc4 = tiered.pc4
where tiered.pc4 is null
