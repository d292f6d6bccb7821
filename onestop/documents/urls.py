from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("<str:code>/form-01.pdf", views.form01, name="form01"),
    path("<str:code>/form-02.pdf", views.form02, name="form02"),
    path("<str:code>/form-03.pdf", views.form03, name="form03"),
    path("<str:code>/form-04.pdf", views.form04, name="form04"),
    path("<str:code>/form-05.pdf", views.form05, name="form05"),
]
