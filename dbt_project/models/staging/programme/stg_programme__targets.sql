-- Programme targets, one row per target key.
select
    cast(target_key as varchar) as target_key,
    cast(target as double) as target_value,
    cast(deadline as date) as deadline,
    cast(note as varchar) as note
from {{ source('programme', 'targets') }}
