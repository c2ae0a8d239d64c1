from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from csms import views

admin.site.site_header = "CSMS administration"
admin.site.site_title = "CSMS"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", login_not_required(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("", include("stations.urls")),
    path("", include("transactions.urls")),
    path("api/", include("csms.api.urls")),
]
