from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
    path("steps/", views.steps, name="steps"),
    path("interconnection/", views.interconnection_matrix, name="interconnection"),
    path("interconnection/<str:code>/", views.interconnection_matrix, name="interconnection-procedure"),
    path("register/", views.register, name="register"),
    path("dossiers/<str:code>/control-sheet/", views.control_sheet, name="control-sheet"),
]
