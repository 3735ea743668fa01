-- One row per initiative x phase reached, with the date the phase started.
select
    cast(initiative_key as varchar) as initiative_key,
    cast(phase as integer) as phase,
    cast(started as date) as started_on
from {{ source('programme', 'initiative_phases') }}
