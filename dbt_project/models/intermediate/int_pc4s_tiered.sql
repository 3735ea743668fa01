-- One row per PC4 in the CBS reference, placed in a gemeente, an Amsterdam stadsdeel and a tier.
-- A PC4 is placed by majority of addresses (see the `shared_pc4_placement` docs block).
with

pc4_gemeenten as (

    select * from {{ ref('stg_reference__pc4_gemeenten') }}

),

pc4_stadsdelen as (

    select * from {{ ref('stg_reference__amsterdam_pc4_stadsdelen') }}

),

mra_gemeenten as (

    select * from {{ ref('mra_gemeenten') }}

),

hoofdgemeenten as (

    select
        pc4,
        gemeente_code,
        gemeente_naam,
        provincie,
        n_adressen_pc4,
        address_share as gemeente_address_share,
        n_gemeenten_in_pc4
    from pc4_gemeenten
    where is_hoofdgemeente

),

hoofdstadsdelen as (

    select
        pc4,
        stadsdeel_code,
        stadsdeel_naam,
        address_share as stadsdeel_address_share,
        n_stadsdelen_in_pc4
    from pc4_stadsdelen
    where is_hoofdstadsdeel

),

nieuw_west_shares as (

    select
        pc4,
        sum(address_share) as nieuw_west_address_share
    from pc4_stadsdelen
    where stadsdeel_code = '{{ var("nieuw_west_stadsdeel_code") }}'
    group by pc4

),

joined as (

    select
        g.pc4,
        g.gemeente_code,
        g.gemeente_naam,
        g.provincie,
        g.gemeente_code = '{{ var("amsterdam_gemeente_code") }}' as is_amsterdam,
        m.gemeente_code is not null as is_mra,
        -- Stadsdelen only mean something inside Amsterdam.
        case when g.gemeente_code = '{{ var("amsterdam_gemeente_code") }}' then s.stadsdeel_code end
            as stadsdeel_code,
        case when g.gemeente_code = '{{ var("amsterdam_gemeente_code") }}' then s.stadsdeel_naam end
            as stadsdeel_naam,
        g.n_adressen_pc4,
        g.gemeente_address_share,
        g.n_gemeenten_in_pc4,
        s.stadsdeel_address_share,
        coalesce(s.n_stadsdelen_in_pc4, 0) as n_stadsdelen_in_pc4,
        coalesce(nw.nieuw_west_address_share, 0) as nieuw_west_address_share
    from hoofdgemeenten as g
    left join hoofdstadsdelen as s
        on g.pc4 = s.pc4
    left join mra_gemeenten as m
        on g.gemeente_code = m.gemeente_code
    left join nieuw_west_shares as nw
        on g.pc4 = nw.pc4

),

tiered as (

    select
        pc4,
        gemeente_code,
        gemeente_naam,
        provincie,
        stadsdeel_code,
        stadsdeel_naam,
        case
            when is_amsterdam and stadsdeel_code = '{{ var("nieuw_west_stadsdeel_code") }}' then 'nieuw_west'
            when is_amsterdam then 'rest_of_amsterdam'
            when is_mra then 'rest_of_mra'
            else 'rest_of_netherlands'
        end as tier,
        is_amsterdam,
        is_mra,
        -- The part of the PC4's addresses in the area that decided it: the stadsdeel inside
        -- Amsterdam, the gemeente elsewhere.
        case when is_amsterdam then stadsdeel_address_share else gemeente_address_share end
            as placement_address_share,
        nieuw_west_address_share,
        n_stadsdelen_in_pc4 > 1 or n_gemeenten_in_pc4 > 1 as is_shared_pc4,
        nieuw_west_address_share > 0 and nieuw_west_address_share < 1 as is_nieuw_west_shared_pc4,
        n_gemeenten_in_pc4,
        n_stadsdelen_in_pc4,
        n_adressen_pc4
    from joined

)

select * from tiered
