"""Log in and out: one page for citizens and officials alike (each then finds their own menu)."""
from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    http_method_names = ["get", "head", "post"]  # Django's form views take PUT like POST
