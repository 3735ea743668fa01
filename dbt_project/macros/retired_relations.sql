{#
    Relations of models this project no longer has, dropped at the start of every dbt invocation that runs
    hooks (on-run-start, dbt_project.yml): dbt never drops the relation of a removed model, so a warehouse
    built by an earlier version would keep a stale copy that analysts could still query. A line-level
    model also leaves its rows in <schema>.line_increment_state (macros/line_incremental.sql); they go too.
    Add a relation here when its model is removed:
      intermediate.int_invoice_lines_located  folded into int_invoice_lines_placed (step 1 there): one
                                              line-level table written instead of two (README "Scale and
                                              speed")
#}
{% macro drop_retired_relations() %}
    {%- if execute -%}
        {%- for schema, identifier in [('intermediate', 'int_invoice_lines_located')] -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema,
                                                    identifier=identifier) -%}
            {%- if relation is not none -%}
                {{ log("dropping " ~ relation ~ ": its model was removed (macros/retired_relations.sql)", info=True) }}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
            {%- set state = adapter.get_relation(database=target.database, schema=schema,
                                                 identifier='line_increment_state') -%}
            {%- if state is not none -%}
                {%- do run_query("delete from " ~ state ~ " where model = '" ~ identifier ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
