-- One row per delivered file: how its rows and euros split (read = loaded + rejected + superseded,
-- docs/architecture.md "raw.deliveries"), set beside what the warehouse itself holds for that file:
-- its rows in raw.rejected_rows and its lines in the invoice-line table.
with

deliveries as (

    select * from {{ ref('stg_anchors__deliveries') }}

),

rejected_rows as (

    select * from {{ ref('stg_anchors__rejected_rows') }}

),

invoice_lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

rejected_per_file as (

    select
        anchor_code,
        source_file,
        count(*) as n_rows,
        -- Rows whose amount could not be parsed carry NULL and count no euros, as in the log.
        cast(coalesce(sum(amount_eur), 0) as decimal(18, 2)) as euros
    from rejected_rows
    group by anchor_code, source_file

),

loaded_per_file as (

    select
        anchor_code,
        source_file,
        count(*) as n_rows,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as euros,
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date
    from invoice_lines
    group by anchor_code, source_file

),

joined as (

    select
        deliveries.anchor_code,
        deliveries.source_file,
        deliveries.sha256,
        deliveries.declared_period,
        deliveries.modified_at,
        deliveries.status,
        deliveries.duplicate_of,
        deliveries.superseded_by,
        deliveries.reason,

        deliveries.rows_read,
        deliveries.rows_loaded,
        deliveries.rows_rejected,
        deliveries.rows_superseded,
        deliveries.euros_read,
        deliveries.euros_loaded,
        deliveries.euros_rejected,
        deliveries.euros_superseded,

        coalesce(rejected.n_rows, 0) as rows_rejected_in_table,
        coalesce(rejected.euros, 0) as euros_rejected_in_table,
        coalesce(loaded.n_rows, 0) as rows_loaded_in_warehouse,
        coalesce(loaded.euros, 0) as euros_loaded_in_warehouse,
        loaded.first_invoice_date,
        loaded.last_invoice_date,

        deliveries.processed_at
    from deliveries
    left join rejected_per_file as rejected
        on deliveries.anchor_code = rejected.anchor_code
        and deliveries.source_file = rejected.source_file
    left join loaded_per_file as loaded
        on deliveries.anchor_code = loaded.anchor_code
        and deliveries.source_file = loaded.source_file

),

final as (

    select
        anchor_code,
        source_file,
        sha256,
        declared_period,
        modified_at,
        status,
        duplicate_of,
        superseded_by,
        reason,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_superseded,
        euros_read,
        euros_loaded,
        euros_rejected,
        euros_superseded,
        rows_rejected_in_table,
        cast(euros_rejected_in_table as decimal(18, 2)) as euros_rejected_in_table,
        rows_loaded_in_warehouse,
        cast(euros_loaded_in_warehouse as decimal(18, 2)) as euros_loaded_in_warehouse,
        first_invoice_date,
        last_invoice_date,
        case
            -- Nothing is read from a duplicate or a rejected file: its counts are NULL and it
            -- reconciles trivially (0 = 0), while any count it does carry must still add up.
            when status in ('duplicate', 'rejected') then
                coalesce(rows_read, 0)
                = coalesce(rows_loaded, 0) + coalesce(rows_rejected, 0) + coalesce(rows_superseded, 0)
                and coalesce(euros_read, 0)
                = coalesce(euros_loaded, 0) + coalesce(euros_rejected, 0) + coalesce(euros_superseded, 0)
            -- A loaded or superseded file must carry every count: a missing one fails.
            else coalesce(
                rows_read = rows_loaded + rows_rejected + rows_superseded
                and euros_read = euros_loaded + euros_rejected + euros_superseded,
                false
            )
        end as reconciles,
        processed_at
    from joined

)

select * from final
