-- What leaves the platform of fct_nieuw_west_progress: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_nieuw_west_progress') }}

{{ publish('fct_nieuw_west_progress', withhold={
    'is_suppressed': ['spend_nieuw_west_eur', 'share_nieuw_west', 'share_nieuw_west_low', 'share_nieuw_west_high',
                      'change_pp_vs_previous_year', 'change_eur_vs_previous_year', 'change_pp_vs_baseline',
                      'on_track'],
    'is_total_suppressed': ['spend_eur'],
    'is_range_suppressed': ['spend_unknown_eur', 'share_nieuw_west_low', 'share_nieuw_west_high'],
    'is_previous_year_suppressed': ['change_pp_vs_previous_year', 'change_eur_vs_previous_year'],
    'is_baseline_suppressed': ['baseline_share_nieuw_west', 'change_pp_vs_baseline', 'trajectory_share', 'on_track'],
}) }}
