-- Every spelling of a creditor's name in the accepted invoice lines is in its row of
-- resolution.supplier_matches (supplier_names), keyed as the resolution step keys creditors (a line without
-- a creditor number by `naam:<name>`). The test no_natural_person_names looks for these spellings there
-- instead of reading every line in each of its runs, so a spelling missing here would be a name it
-- cannot find. A creditor without a row in the matches is not checked: it is tied to no establishment,
-- so the names test would not look for its spellings either way. A failing row names the anchor, the
-- creditor (a `naam:` key as its md5, since it is a name) and how many of its spellings are missing; never
-- the spelling itself.
with

spellings as (

    select distinct
        anchor_code,
        coalesce(supplier_ref, 'naam:' || lower(trim(supplier_name))) as supplier_ref,
        cast(supplier_name as varchar) as supplier_name
    from {{ source('raw', 'invoice_lines') }}
    where supplier_name is not null

),

matches as (

    select anchor_code, supplier_ref, supplier_names
    from {{ source('resolution', 'supplier_matches') }}

)

select
    spellings.anchor_code,
    case
        when spellings.supplier_ref like 'naam:%' then 'naam:' || md5(spellings.supplier_ref)
        else spellings.supplier_ref
    end as creditor,
    count(*) as missing_spellings
from spellings
inner join matches
    on spellings.anchor_code = matches.anchor_code
    and spellings.supplier_ref = matches.supplier_ref
where not list_contains(coalesce(matches.supplier_names, []), spellings.supplier_name)
group by all
