{#
    Pieces shared by the materializations that build a table in parts: `line_incremental` (the lines of
    new or changed files and creditors) and `group_incremental` (the groups whose input rows changed).
#}

{#- A working table of the model's build, beside it: <identifier>__<suffix>. -#}
{% macro increment_relation(suffix) -%}
    {{ return(this.incorporate(type='table', path={'identifier': this.identifier ~ '__' ~ suffix})) }}
{%- endmacro %}

{#- The compiled SQL without the parts between /*cwb:<name>*/ and /*cwb:end-<name>*/ (the scope of an
    increment): the full build. `once`: the marker must occur exactly once, else at least once. -#}
{% macro increment_strip_scope(sql, name, once, scope_macro) -%}
    {%- set parts = sql.split('/*cwb:' ~ name ~ '*/') -%}
    {%- set wrong = parts | length != 2 if once else parts | length < 2 -%}
    {%- if wrong -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": a " ~ config.get('materialized') ~ " model must call "
            ~ scope_macro ~ "() " ~ ("exactly once" if once else "where it reads a grouped input")) }}
    {%- endif -%}
    {%- set kept = [parts[0]] -%}
    {%- for part in parts[1:] -%}
        {%- do kept.append(part.split('/*cwb:end-' ~ name ~ '*/', 1)[1]) -%}
    {%- endfor -%}
    {{ return(kept | join('')) }}
{%- endmacro %}

{#- The relation of a node of the graph (a model, seed or source this model depends on). -#}
{% macro increment_input_relation(node) -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema,
                                  identifier=node.get('alias') or node.get('identifier'))) }}
{%- endmacro %}

{#- The parts every context fingerprint starts with: the materialization's version (raise it when what its
    state holds changes, so that the first build after the change is a full one), the model's code without
    its scope, and the pseudonym salt. -#}
{% macro increment_context_parts(version, full_sql) -%}
    {{ return(["select '" ~ version ~ "' as part",
               "select 'code:" ~ local_md5(full_sql) ~ "'",
               "select 'salt:' || md5(coalesce(cast(getvariable('cwb_pseudonym_salt') as varchar), ''))"]) }}
{%- endmacro %}

{#- The context fingerprint: md5 over its parts (queries of one text each), in order. -#}
{% macro increment_fingerprint(parts) -%}
    {{ return(run_query("select md5(string_agg(part, '|' order by part)) from ("
                        ~ parts | join(' union all ') ~ ")").columns[0].values()[0]) }}
{%- endmacro %}

{#- One part of a context fingerprint: a relation's number of rows and sum of row hashes. -#}
{% macro increment_content_part(name, relation) -%}
    {{ return("select '" ~ name ~ ":' || (select count(*) || ':' || coalesce(sum(hash(t)::hugeint), 0) from "
              ~ relation ~ " as t)") }}
{%- endmacro %}

{#- A full build's new table, built beside the old one, takes its place (the old one is kept as the backup
    until the transaction commits). The statement that builds it stays in the materialization: dbt runs a
    Python model only from there. -#}
{% macro increment_swap_in(intermediate_relation, existing_relation, backup_relation, target_relation) -%}
    {% if existing_relation is not none %}
        {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
{%- endmacro %}
