"""Plan files: reading YAML/JSON plan files and validating them into engine plan models."""
