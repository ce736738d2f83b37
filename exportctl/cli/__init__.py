"""Typer wiring only: parse, call one domain function, render, map errors to exit codes."""
