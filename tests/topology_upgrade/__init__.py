"""A test-only app whose migration stands for a release's schema change in the rolling-upgrade rehearsal."""
