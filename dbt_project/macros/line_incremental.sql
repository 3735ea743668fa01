{#
    Materialization `line_incremental`: for the line-level intermediate models (ten million rows at
    scale, README "Scale and speed") whose row for an invoice line depends only on that line and on
    small non-line inputs (the KvK extract, reference tables, seeds, supplier matches). A monthly refresh
    then computes again only the lines that can have changed, instead of all of them.

    Config:
      line_driver           the line relation the model reads (a ref name), one row per line, with
                            source_file, anchor_code and supplier_ref;
      unique_key            the line key (one row per key in the driver and in the model);
      creditor_fingerprint  true when the model reads stg_resolution__supplier_matches per creditor:
                            a changed match then re-computes that creditor's lines only, instead of
                            every line (line_increment_creditors: the match columns that count).
    The model's SQL marks where it reads the driver with {{ line_increment_scope() }}.

    A build is FULL (a plain CREATE TABLE AS, like `table`) when the table does not exist yet, on
    --full-refresh, without a delivery log (raw.deliveries), or when the context fingerprint changed:
    the model's compiled SQL, the content of every other relation it reads (count and sum of row
    hashes), the pseudonym salt, and the driver's own context (for a driver built by this
    materialization) or its view definition. Otherwise it is an INCREMENT. In scope are the lines of
    delivery files that are new or changed (file name, number of lines, and sha256 and loader
    fingerprint in raw.deliveries) and, with creditor_fingerprint, the lines of creditors whose match
    changed. Their rows are deleted by key and computed again; when a file is
    gone or changed, rows whose key left the driver are deleted too. What a build saw (context, files,
    creditors) is kept per model in <schema>.line_increment_state, in the same transaction as the table.
    tests/test_line_incremental.py checks that increments equal full builds, line for line.
#}

{#- The supplier matches (one row per anchor_code + supplier_ref) and the match columns a line model may
    read per creditor: a change in any of them re-computes the creditor's lines. A line model that reads
    another match column must add it here. -#}
{% macro line_increment_creditors() -%}
    {{ return({'relation': 'stg_resolution__supplier_matches',
               'columns': ['vestigingsnummer', 'resolution_method', 'resolution_status', 'is_natural_person',
                           'privacy_basis']}) }}
{%- endmacro %}

{#- Right after the select from the driver. Empty outside a line_incremental build (unit tests). -#}
{% macro line_increment_scope() -%}
{%- if execute and model.resource_type == 'model' and config.get('materialized') == 'line_incremental' -%}
/*cwb:scope*/ where source_file in (select source_file from {{ increment_relation('scope_files') }})
{%- if config.get('creditor_fingerprint', false) %}
        or (anchor_code, supplier_ref) in (
            select anchor_code, supplier_ref from {{ increment_relation('scope_creditors') }}
        )
{%- endif %} /*cwb:end-scope*/
{%- endif -%}
{%- endmacro %}

{% macro line_increment_context(full_sql, driver_name, state) -%}
    {%- set creditor_relation = line_increment_creditors().relation
                                if config.get('creditor_fingerprint', false) else none -%}
    {%- set parts = increment_context_parts('line_increment_version:2', full_sql) -%}
    {%- for uid in model.depends_on.nodes -%}
        {%- set node = graph.nodes.get(uid) or graph.sources.get(uid) -%}
        {%- if node.name == driver_name -%}
            {#- A driver of this materialization: its stored context. A view: its SQL file and the macros
                it calls (DuckDB's own text of a view changes when the file is opened again). Anything
                else: unknown, so always a full build. -#}
            {%- if node.config.materialized == 'view' -%}
                {%- set code = [node.raw_code] -%}
                {%- for macro_id in node.depends_on.macros -%}
                    {%- do code.append(context[macro_id.split('.')[-1]].macro.macro_sql) -%}
                {%- endfor -%}
                {%- set fallback = "'view " ~ local_md5(code | join('\n')) ~ "'" -%}
            {%- else -%}
                {%- set fallback = "cast(uuid() as varchar)" -%}
            {%- endif -%}
            {%- do parts.append("select '" ~ node.name ~ ":' || coalesce((select fingerprint from " ~ state
                ~ " where model = '" ~ node.name ~ "' and kind = 'context'), " ~ fallback ~ ")") -%}
        {%- elif node.name != creditor_relation -%}
            {%- do parts.append(increment_content_part(node.name, increment_input_relation(node))) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(increment_fingerprint(parts)) }}
{%- endmacro %}

{% materialization line_incremental, adapter='duckdb' %}

    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(target_relation, 'table') -%}
    {%- set state = this.incorporate(type='table', path={'identifier': 'line_increment_state'}) -%}
    {%- set files_now = increment_relation('files_now') -%}
    {%- set creditors_now = increment_relation('creditors_now') -%}
    {%- set scope_files = increment_relation('scope_files') -%}
    {%- set scope_creditors = increment_relation('scope_creditors') -%}
    {%- set new_rows = increment_relation('new_rows') -%}
    {%- set key = config.require('unique_key') -%}
    {%- set driver_name = config.require('line_driver') -%}
    {%- set driver = ref(driver_name) -%}
    {%- set with_creditors = config.get('creditor_fingerprint', false) -%}
    {%- set deliveries_node = graph.sources['source.cwb.raw.deliveries'] -%}
    {%- set deliveries = api.Relation.create(database=deliveries_node.database, schema=deliveries_node.schema,
                                             identifier=deliveries_node.identifier) -%}
    {%- set full_sql = increment_strip_scope(compiled_code, 'scope', true, 'line_increment_scope') -%}
    {%- set m = "'" ~ this.identifier ~ "'" -%}

    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% do run_query("create table if not exists " ~ state ~ " (model varchar, kind varchar, key_1 varchar, "
                    ~ "key_2 varchar, fingerprint varchar)") %}
    {%- set context = line_increment_context(full_sql, driver_name, state) -%}
    {%- set stored = run_query("select fingerprint from " ~ state ~ " where model = " ~ m ~ " and kind = 'context'") -%}
    {#- Without a delivery log (a warehouse not loaded by the pipeline) a file's content is unknown. -#}
    {%- set has_deliveries = load_relation(deliveries) is not none -%}
    {%- set full = existing_relation is none or should_full_refresh() or not has_deliveries
                   or stored.rows | length == 0 or stored.columns[0].values()[0] != context -%}

    {#- What this build sees: the driver's files, each with its number of lines (a line can move into an
        unchanged file when the loader keeps the first of two duplicates and the other file is gone), the
        sha256 of its delivery and the loader's fingerprint (a changed mapping reloads the same file into
        other lines); and the creditors' match columns. -#}
    {% do run_query("create or replace table " ~ files_now ~ " as "
        ~ "select lines.source_file, lines.n_lines || ':' || coalesce(string_agg(d.sha256 || '/' "
        ~ "|| coalesce(d.loader_fingerprint, ''), ',' order by d.sha256, d.loader_fingerprint), '') as fingerprint "
        ~ "from (select source_file, count(*) as n_lines from " ~ driver ~ " group by source_file) as lines "
        ~ "left join " ~ (deliveries if has_deliveries else "(select null as source_file, null as sha256, "
                          ~ "null as loader_fingerprint, null as status)")
        ~ " as d on d.source_file = lines.source_file and d.status = 'loaded' "
        ~ "group by lines.source_file, lines.n_lines") %}
    {% if with_creditors %}
        {%- set creditors = line_increment_creditors() -%}
        {% do run_query("create or replace table " ~ creditors_now ~ " as "
            ~ "select anchor_code, supplier_ref, "
            ~ "md5(string_agg(match_columns, '|' order by match_columns)) as fingerprint "
            ~ "from (select anchor_code, supplier_ref, cast(row(" ~ creditors.columns | join(', ')
            ~ ") as varchar) as match_columns from " ~ ref(creditors.relation) ~ ") "
            ~ "group by anchor_code, supplier_ref") %}
    {% endif %}

    {% if full %}
        {{ log(this.identifier ~ ": full build", info=True) }}
        {% call statement('main') -%}
            {{ create_table_as(False, intermediate_relation, full_sql) }}
        {%- endcall %}
        {{ increment_swap_in(intermediate_relation, existing_relation, backup_relation, target_relation) }}
    {% else %}
        {% do run_query("create or replace table " ~ scope_files ~ " as select source_file from " ~ files_now
            ~ " as n where not exists (select 1 from " ~ state ~ " as s where s.model = " ~ m
            ~ " and s.kind = 'file' and s.key_1 = n.source_file and s.fingerprint = n.fingerprint)") %}
        {%- set gone = run_query("select count(*) from " ~ state ~ " as s where s.model = " ~ m
            ~ " and s.kind = 'file' and not exists (select 1 from " ~ files_now
            ~ " as n where n.source_file = s.key_1 and n.fingerprint = s.fingerprint)").columns[0].values()[0] -%}
        {% if with_creditors %}
            {% set stored_creditors = "select key_1 as anchor_code, key_2 as supplier_ref, fingerprint from "
                ~ state ~ " where model = " ~ m ~ " and kind = 'creditor'" %}
            {% do run_query("create or replace table " ~ scope_creditors ~ " as "
                ~ "select distinct anchor_code, supplier_ref from ("
                ~ "(" ~ stored_creditors ~ " except select * from " ~ creditors_now ~ ") union "
                ~ "(select * from " ~ creditors_now ~ " except " ~ stored_creditors ~ "))") %}
        {% endif %}
        {% call statement('main') -%}
            create or replace table {{ new_rows }} as {{ compiled_code }}
        {%- endcall %}
        {%- set counts = run_query("select (select count(*) from " ~ scope_files ~ "), "
            ~ ("(select count(*) from " ~ scope_creditors ~ ")" if with_creditors else "0")
            ~ ", (select count(*) from " ~ new_rows ~ ")").rows[0] -%}
        {{ log(this.identifier ~ ": increment, " ~ counts[0] ~ " new or changed files, " ~ gone
               ~ " changed or gone, " ~ counts[1] ~ " creditors with a changed match: "
               ~ counts[2] ~ " lines computed again", info=True) }}
        {% do run_query("delete from " ~ target_relation ~ " where " ~ key ~ " in (select " ~ key ~ " from "
                        ~ new_rows ~ ")") %}
        {% if gone > 0 %}
            {% do run_query("delete from " ~ target_relation ~ " where " ~ key ~ " not in (select " ~ key
                            ~ " from " ~ driver ~ ")") %}
        {% endif %}
        {% do run_query("insert into " ~ target_relation ~ " by name select * from " ~ new_rows) %}
        {% for relation in [scope_files, scope_creditors, new_rows] %}
            {% do run_query("drop table if exists " ~ relation) %}
        {% endfor %}
    {% endif %}

    {% do run_query("delete from " ~ state ~ " where model = " ~ m) %}
    {% do run_query("insert into " ~ state ~ " values (" ~ m ~ ", 'context', null, null, '" ~ context ~ "')") %}
    {% do run_query("insert into " ~ state ~ " select " ~ m ~ ", 'file', source_file, null, fingerprint from "
                    ~ files_now) %}
    {% if with_creditors %}
        {% do run_query("insert into " ~ state ~ " select " ~ m ~ ", 'creditor', anchor_code, supplier_ref, "
                        ~ "fingerprint from " ~ creditors_now) %}
    {% endif %}
    {% for relation in [files_now, creditors_now] %}
        {% do run_query("drop table if exists " ~ relation) %}
    {% endfor %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
