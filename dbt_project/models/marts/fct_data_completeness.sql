-- How complete each anchor's own data is (actielijn 1b.2): per anchor, year and field, the share of
-- invoice lines and of euros that carry the field. Euros are weighted by absolute amount (a credit
-- note is as much data as an invoice), so a share is always between 0 and 1.
{% set fields = [
    'kvk_number', 'vestigingsnummer', 'vat_number', 'iban', 'supplier_postcode', 'category',
    'cost_centre', 'ledger_account', 'cpv_code', 'vat_amount'
] %}
with

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

-- One pass over the lines for all fields, then one row per field.
per_anchor_year as (

    select
        anchor_code,
        cast(extract(year from invoice_date) as integer) as year,
        count(*) as n_lines,
        cast(sum(abs(amount_excl_vat)) as decimal(18, 2)) as volume_eur,
        {% for field in fields %}
        count(*) filter (where {{ field }} is not null) as n_lines_with__{{ field }},
        cast(coalesce(sum(abs(amount_excl_vat)) filter (where {{ field }} is not null), 0) as decimal(18, 2))
            as volume_with_eur__{{ field }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from lines
    group by anchor_code, year

),

per_field as (

    {% for field in fields %}
    select
        anchor_code,
        year,
        '{{ field }}' as field,
        n_lines,
        n_lines_with__{{ field }} as n_lines_with,
        volume_eur,
        volume_with_eur__{{ field }} as volume_with_eur
    from per_anchor_year
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    *,
    cast(n_lines_with as double) / n_lines as share_lines_with,
    cast(volume_with_eur as double) / nullif(cast(volume_eur as double), 0) as share_volume_with
from per_field
