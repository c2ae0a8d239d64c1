from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from audit.api import urls as audit_api_urls
from audit.forms import AdminLoginForm, LoginForm
from csms import views
from csms.api.auth import exempt_from_login

admin.site.site_header = "CSMS administration"
admin.site.site_title = "CSMS"
admin.site.login_form = AdminLoginForm  # throttled as the portal's (audit.services.logins)


class LoginView(auth_views.LoginView):
    """The portal login, throttled; a refused attempt is answered 429 with the form saying why."""

    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(error.code == "throttled" for error in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", login_not_required(LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("", include("stations.urls")),
    path("", include("transactions.urls")),
    path("", include("audit.urls")),
    # Before csms.api.urls, whose catch-all answers any other /api/ path with a JSON 404.
    path("api/v1/", include(exempt_from_login(audit_api_urls.urlpatterns))),
    path("api/", include("csms.api.urls")),
]
