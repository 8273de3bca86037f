"""Prefect flows: thin orchestration over the plain functions in the stage packages."""
