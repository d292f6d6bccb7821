from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "onestop.documents"
    label = "documents"
    verbose_name = "Documents (one-stop forms as PDFs)"
