from django.urls import path

from . import views

urlpatterns = [
    path("upload/", views.upload, name="catalogue-upload"),
    path("procedures/<str:code>/versions/<int:number>/", views.version_detail, name="catalogue-version"),
    path("procedures/<str:code>/versions/<int:number>/<str:action>/", views.version_action,
         name="catalogue-version-action"),
]
