"""request: WHAT to export, pure (no I/O but reading config files): the option table, flags/YAML -> ExportRequest."""
