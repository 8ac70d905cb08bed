"""PDF reports in three stages: context (pure) -> HTML (Jinja2) -> PDF (WeasyPrint, lazily)."""
