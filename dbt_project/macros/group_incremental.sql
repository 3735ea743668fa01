{#
    Materialization `group_incremental`: for a model whose rows fall into groups (config `group_by`, e.g.
    anchor_code, invoice_year, supplier_key) such that a group's rows depend only on the rows of the same
    group in its grouped inputs (config `group_inputs`, ref names; each has the group_by columns) and on
    small inputs read whole (seeds, reference tables). A monthly refresh then computes again only the
    groups whose input rows changed, instead of every group: at ten million lines, one new month and the
    creditors whose supplier match changed touch about a tenth of them (README "Scale and speed").

    The model's SQL marks each place where it reads a grouped input with {{ group_increment_scope() }},
    right after the `from`: in an increment it keeps the rows of the groups in scope only. A Python model
    (int_disclosure_decisions) cannot call macros: it reads its grouped inputs through the table
    `<its identifier>__scope` (the groups to build: all of them in a full build), which the build writes
    before it runs the model, in the same transaction. Its code is its compiled code and the source of the
    `ingestion` package it imports (session variable cwb_python_code, ingestion/dbt_plugin.py).

    A build is FULL (a plain CREATE TABLE AS, like `table`) when the table does not exist yet, on
    --full-refresh, when a group key is NULL, or when the context fingerprint changed: the model's compiled
    SQL (so also a changed var), the content of every input that is not grouped (count and sum of row
    hashes), the pseudonym salt. Otherwise it is an INCREMENT: per group, the fingerprint of its rows in
    every grouped input (count and sum of row hashes per input) is compared with the one the last build
    stored; the rows of new and changed groups are deleted and computed again, the rows of groups that left
    every input are deleted. What a build saw is kept in <schema>.group_increment_state, in the same
    transaction as the table; dbt's log says per model what it did (`every group built`, or `increment, N
    of M groups new or changed, K gone: R rows computed again`).
    tests/test_group_incremental.py checks that increments equal full builds, row for row.
#}

{#- Right after the `from` of a grouped input. Empty outside a group_incremental build (unit tests). -#}
{% macro group_increment_scope() -%}
{%- if execute and model.resource_type == 'model' and config.get('materialized') == 'group_incremental' -%}
{%- set columns = config.require('group_by') | join(', ') -%}
/*cwb:group-scope*/ where ({{ columns }}) in (select {{ columns }} from {{ increment_relation('scope') }}) /*cwb:end-group-scope*/
{%- endif -%}
{%- endmacro %}

{#- The group columns as text, for an unambiguous key (a JSON array of them). -#}
{% macro group_keys_as_text(group_by) -%}
    {%- set out = [] -%}
    {%- for column in group_by -%}{%- do out.append("cast(" ~ column ~ " as varchar)") -%}{%- endfor -%}
    {{ return(out | join(', ')) }}
{%- endmacro %}

{% materialization group_incremental, adapter='duckdb', supported_languages=['sql', 'python'] %}

    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(target_relation, 'table') -%}
    {%- set state = this.incorporate(type='table', path={'identifier': 'group_increment_state'}) -%}
    {%- set groups_now = increment_relation('groups_now') -%}
    {%- set scope = increment_relation('scope') -%}
    {%- set new_rows = increment_relation('new_rows') -%}
    {%- set group_by = config.require('group_by') -%}
    {%- set columns = group_by | join(', ') -%}
    {%- set group_inputs = config.require('group_inputs') -%}
    {%- set python = model.language == 'python' -%}
    {%- set full_sql = compiled_code if python
                       else increment_strip_scope(compiled_code, 'group-scope', false, 'group_increment_scope') -%}
    {%- set m = "'" ~ this.identifier ~ "'" -%}

    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% do run_query("create table if not exists " ~ state ~ " (model varchar, kind varchar, group_key varchar, "
                    ~ "fingerprint varchar)") %}

    {#- The context: the code, the salt, and every input read whole. -#}
    {%- set parts = increment_context_parts('group_increment_version:1', full_sql) -%}
    {%- if python -%}
        {%- do parts.append("select 'python:' || coalesce(cast(getvariable('cwb_python_code') as varchar), "
                            ~ "cast(uuid() as varchar))") -%}
    {%- endif -%}
    {%- set grouped = [] -%}
    {%- for uid in model.depends_on.nodes -%}
        {%- set node = graph.nodes.get(uid) or graph.sources.get(uid) -%}
        {%- if node.name in group_inputs -%}
            {%- do grouped.append(node) -%}
        {%- else -%}
            {%- do parts.append(increment_content_part(node.name, increment_input_relation(node))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if grouped | length != group_inputs | length -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": group_inputs " ~ group_inputs | join(', ')
            ~ " must all be models or sources the model reads") }}
    {%- endif -%}
    {%- set context = increment_fingerprint(parts) -%}

    {#- Every group of the grouped inputs, with the fingerprint of its rows in each. -#}
    {%- set per_input = [] -%}
    {%- for node in grouped -%}
        {%- do per_input.append("select " ~ columns ~ ", '" ~ node.name ~ ":' || count(*) || ':' || "
            ~ "sum(hash(t)::hugeint) as part from " ~ increment_input_relation(node) ~ " as t group by " ~ columns) -%}
    {%- endfor -%}
    {% do run_query("create or replace table " ~ groups_now ~ " as select " ~ columns ~ ", "
        ~ "to_json(list_value(" ~ group_keys_as_text(group_by) ~ ")) as group_key, "
        ~ "md5(string_agg(part, '|' order by part)) as fingerprint from ("
        ~ per_input | join(' union all ') ~ ") group by " ~ columns) %}

    {%- set stored = run_query("select fingerprint from " ~ state ~ " where model = " ~ m ~ " and kind = 'context'") -%}
    {%- set null_keys = run_query("select count(*) from " ~ groups_now ~ " where "
        ~ group_by | join(' is null or ') ~ " is null").columns[0].values()[0] -%}
    {%- set full = existing_relation is none or should_full_refresh() or null_keys > 0
                   or stored.rows | length == 0 or stored.columns[0].values()[0] != context -%}

    {% if full %}
        {{ log(this.identifier ~ ": every group built" ~ (" (" ~ null_keys ~ " groups with a NULL key)"
                                                          if null_keys > 0 else ""), info=True) }}
        {% if python %}
            {% do run_query("create or replace table " ~ scope ~ " as select " ~ columns ~ " from " ~ groups_now) %}
        {% endif %}
        {% call statement('main', language=model.language) -%}
            {{ create_table_as(False, intermediate_relation, full_sql, model.language) }}
        {%- endcall %}
        {{ increment_swap_in(intermediate_relation, existing_relation, backup_relation, target_relation) }}
        {% do run_query("drop table if exists " ~ scope) %}
    {% else %}
        {% set stored_groups = "select group_key, fingerprint from " ~ state ~ " where model = " ~ m
                               ~ " and kind = 'group'" %}
        {% do run_query("create or replace table " ~ scope ~ " as select " ~ columns ~ " from " ~ groups_now
            ~ " as n where not exists (select 1 from (" ~ stored_groups ~ ") as s "
            ~ "where s.group_key = n.group_key and s.fingerprint = n.fingerprint)") %}
        {%- set counts = run_query("select (select count(*) from " ~ scope ~ "), (select count(*) from "
            ~ groups_now ~ "), (select count(*) from (" ~ stored_groups ~ ") as s where not exists "
            ~ "(select 1 from " ~ groups_now ~ " as n where n.group_key = s.group_key))").rows[0] -%}
        {% do run_query("drop table if exists " ~ new_rows) %}
        {% call statement('main', language=model.language) -%}
            {%- if python -%}
                {{ create_table_as(False, new_rows, compiled_code, 'python') }}
            {%- else -%}
                create or replace table {{ new_rows }} as {{ compiled_code }}
            {%- endif -%}
        {%- endcall %}
        {%- set n_rows = run_query("select count(*) from " ~ new_rows).columns[0].values()[0] -%}
        {{ log(this.identifier ~ ": increment, " ~ counts[0] ~ " of " ~ counts[1] ~ " groups new or changed, "
               ~ counts[2] ~ " gone: " ~ n_rows ~ " rows computed again", info=True) }}
        {% do run_query("delete from " ~ target_relation ~ " where (" ~ columns ~ ") in (select " ~ columns
                        ~ " from " ~ scope ~ ")") %}
        {% if counts[2] > 0 %}
            {% do run_query("delete from " ~ target_relation ~ " where (" ~ columns ~ ") not in (select "
                            ~ columns ~ " from " ~ groups_now ~ ")") %}
        {% endif %}
        {% do run_query("insert into " ~ target_relation ~ " by name select * from " ~ new_rows) %}
        {% for relation in [scope, new_rows] %}
            {% do run_query("drop table if exists " ~ relation) %}
        {% endfor %}
    {% endif %}

    {% do run_query("delete from " ~ state ~ " where model = " ~ m) %}
    {% do run_query("insert into " ~ state ~ " values (" ~ m ~ ", 'context', null, '" ~ context ~ "')") %}
    {% do run_query("insert into " ~ state ~ " select " ~ m ~ ", 'group', group_key, fingerprint from " ~ groups_now) %}
    {% do run_query("drop table if exists " ~ groups_now) %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
