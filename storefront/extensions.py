"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from storefront.db import Base


def _client_ip() -> str:
    return request.remote_addr or "unknown"


# Services take a plain Session: callers pass db.session() (the app context's Session), not the scoped_session proxy.
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
#: Storage from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set, memory otherwise (config.py).
limiter = Limiter(key_func=_client_ip)
