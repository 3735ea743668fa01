-- The names of natural persons the dbt test no_natural_person_names looks for, once per build (RESTRICTED:
-- this relation holds names; it lives in schema raw, which no analysis model and no output reads; see
-- docs/architecture.md, "Privacy"). One row per name, lower-cased and trimmed:
--   - the KvK extract's statutaire naam, eerste handelsnaam and every handelsnaam of establishments whose
--     rechtsvorm is a natural-person form of seed legal_form_groups, or not in the seed (unknown);
--   - every spelling the anchors' invoice lines use for a creditor that supplier resolution tied to such an
--     establishment (resolution.supplier_matches.supplier_names; the singular test
--     assert_supplier_names_cover_the_raw_lines checks that none is missing);
-- less any name a legal entity of the extract also carries (a sole trader's trade name "Kaya Bakkerij" next
-- to "Kaya Bakkerij" of a B.V.: as text the two cannot be told apart) and names shorter than 4 characters.
-- The rule is written here on its own, not with the macro register_personal_names that staging
-- pseudonymises with, so that the test checks staging independently.
-- Built once per build instead of in each of the test's 81 runs: the list alone takes 0.04 s at the
-- benchmark's 31,705 establishments and 0.77 s at a million; the 81 runs took 131 s at a million, now 17 s
-- (README "Scale and speed").
with

register as (

    select
        est.*,
        coalesce(groups.is_natural_person, true) as owners_are_natural_persons
    from {{ source('raw', 'kvk_establishments') }} as est
    left join {{ ref('legal_form_groups') }} as groups
        on lower(trim(cast(est.rechtsvorm as varchar))) = lower(trim(groups.legal_form))

),

register_names as (

    select owners_are_natural_persons, cast(statutaire_naam as varchar) as name from register
    union all
    select owners_are_natural_persons, cast(eerste_handelsnaam as varchar) from register
    union all
    select owners_are_natural_persons, unnest(string_split(cast(handelsnamen as varchar), '|')) from register

),

anchor_spellings as (

    select distinct cast(unnest(matches.supplier_names) as varchar) as name
    from {{ source('resolution', 'supplier_matches') }} as matches
    inner join register
        on matches.vestigingsnummer = register.vestigingsnummer
    where register.owners_are_natural_persons

),

personal_names as (

    select lower(trim(name)) as name from register_names where owners_are_natural_persons
    union
    select lower(trim(name)) from anchor_spellings
    except
    select lower(trim(name)) from register_names where not owners_are_natural_persons

)

select name
from personal_names
where length(name) >= 4
