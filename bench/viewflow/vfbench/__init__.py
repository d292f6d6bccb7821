"""A minimal django-viewflow 2.4 project: the peer onestop's throughput is measured against."""
