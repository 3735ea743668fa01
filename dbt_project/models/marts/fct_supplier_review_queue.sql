-- The review queue: creditors whose best match fell below the auto-accept threshold, largest spend
-- first, with their candidates and why. Analysts record decisions in data/overrides/supplier_matches.csv.
-- No names here (a sole trader's name is personal data and never leaves the working layers): the
-- creditor is identified by its number, candidates by vestigingsnummer; the names are in
-- resolution.supplier_matches for the analysts who do the review.
-- Privacy (docs/architecture.md, "Privacy"): a creditor that is, or may be, a natural person (its class in
-- stg_resolution__supplier_matches, or any of its lines' suppliers) has its euro figure withheld in
-- publications: is_suppressed, suppression_reason `natural_person`; the published priority counts only
-- the rows whose figures are shown. The figures here stay exact.
with

matches as (

    select * from {{ ref('stg_resolution__supplier_matches') }}

),

creditors as (

    select anchor_code, supplier_ref, bool_or(is_natural_person) as is_natural_person
    from {{ ref('int_invoice_lines_classified') }}
    group by anchor_code, supplier_ref

)

select
    matches.anchor_code,
    matches.supplier_ref,
    matches.resolution_method,
    matches.confidence,
    -- the candidates without their names
    cast(to_json(from_json(
        matches.candidates,
        '[{"vestigingsnummer": "VARCHAR", "postcode": "VARCHAR", "score": "DOUBLE", "why": "VARCHAR"}]'
    )) as varchar) as candidates,
    matches.n_lines,
    matches.spend_eur,
    row_number() over (partition by matches.anchor_code order by matches.spend_eur desc, matches.supplier_ref)
        as priority,
    matches.is_natural_person or coalesce(creditors.is_natural_person, false) as is_suppressed,
    case when matches.is_natural_person or coalesce(creditors.is_natural_person, false) then 'natural_person' end
        as suppression_reason
from matches
left join creditors
    on matches.anchor_code = creditors.anchor_code
    and matches.supplier_ref = creditors.supplier_ref
where matches.resolution_status = 'review'
