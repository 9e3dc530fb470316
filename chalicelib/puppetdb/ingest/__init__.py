"""The commands side (DESIGN.md 1): command requests (commands.py), report formats v8
and v2 (reports.py), Puppet's YAML reports (yaml_reports.py, ruby_yaml.py), report
directories (reportdir.py) and report hashes (identity.py)."""
