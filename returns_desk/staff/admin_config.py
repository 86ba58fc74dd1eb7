"""The admin app with the desk's own site (`admin_site.DeskAdminSite`): open to managers who gave their second
factor. Kept apart from `admin_site` because INSTALLED_APPS imports it before any model can be loaded."""

from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    default_site = "returns_desk.staff.admin_site.DeskAdminSite"
