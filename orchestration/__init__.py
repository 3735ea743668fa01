"""Dagster definitions: assets, checks, resources, jobs and schedules. ``definitions.py`` only composes."""
