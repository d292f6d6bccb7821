"""Operations: health checks, Prometheus metrics, JSON logs with a request id that follows a dossier."""
