from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("procedures/", views.catalogue, name="catalogue"),
    path("procedures/<str:code>/", views.procedure, name="procedure"),
    path("procedures/<str:code>/apply/", views.apply, name="apply"),
    path("procedures/<str:code>/apply/review/", views.apply_review, name="apply-review"),
    path("my/dossiers/", views.my_dossiers, name="my-dossiers"),
    path("my/dossiers/<str:code>/", views.dossier, name="dossier"),
    path("my/dossiers/<str:code>/submitted/", views.submitted, name="submitted"),
    path("my/dossiers/<str:code>/supplement/", views.supplement, name="supplement"),
    path("my/dossiers/<str:code>/withdraw/", views.withdraw, name="withdraw"),
    path("my/dossiers/<str:code>/rate/", views.rate, name="rate"),
    path("lookup/", views.lookup, name="lookup"),
]
