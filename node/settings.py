"""Settings of a node process: no database at all, so any ORM use fails loudly."""

from django.core.management.utils import get_random_secret_key

from csms.config import *  # noqa: F403 - NODE_ID, BROKER_URL, limits...
from csms.config import env, read, read_secret

DEBUG = False
SECRET_KEY = read_secret("SECRET_KEY") or get_random_secret_key()  # the node signs nothing
ALLOWED_HOSTS = ["*"]  # stations connect by IP or any name the load balancer forwards
INSTALLED_APPS = ["channels"]
DATABASES: dict = {}
USE_TZ = True
TIME_ZONE = "UTC"
CENTRAL_HANDLER = ""  # a node never runs central's handlers
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read("LOG_LEVEL", env.str, "INFO")},
}
