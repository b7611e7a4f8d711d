"""Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names, so Alembic migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
# Flask-Migrate is bound only where migrations run: see marketplace/core/migrations.py.
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
cache = Cache()
compress = Compress()
