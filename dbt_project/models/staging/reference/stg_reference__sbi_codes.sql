-- SBI 2008 and SBI 2025 stacked, one row per version x code. Codes are the KvK style without dots.
with

sbi2008 as (

    select * from {{ source('reference', 'sbi2008') }}

),

sbi2025 as (

    select * from {{ source('reference', 'sbi2025') }}

),

sbi2008_renamed as (

    select
        '2008' as sbi_version,
        cast(code as varchar) as sbi_code,
        cast(code_met_punten as varchar) as sbi_code_dotted,
        cast(omschrijving as varchar) as description_nl,
        cast(null as varchar) as description_en,
        cast(niveau as integer) as level,
        cast(niveau_naam as varchar) as level_name,
        cast(sectie as varchar) as section_code,
        nullif(cast(parent_code as varchar), '') as parent_code,
        cast(cast(is_blad as integer) as boolean) as is_leaf

    from sbi2008

),

sbi2025_renamed as (

    select
        '2025' as sbi_version,
        cast(code as varchar) as sbi_code,
        cast(null as varchar) as sbi_code_dotted,
        cast(omschrijving_nl as varchar) as description_nl,
        cast(omschrijving_en as varchar) as description_en,
        cast(niveau as integer) as level,
        cast(niveau_naam as varchar) as level_name,
        cast(sectie as varchar) as section_code,
        nullif(cast(parent_code as varchar), '') as parent_code,
        cast(cast(is_blad as integer) as boolean) as is_leaf

    from sbi2025

),

stacked as (

    select * from sbi2008_renamed
    union all
    select * from sbi2025_renamed

)

select * from stacked
