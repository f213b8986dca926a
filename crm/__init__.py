"""Filon CRM: the application factory."""

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.engine import Engine

from crm import config as config_module
from crm.extensions import babel, csrf, db, htmx_ext, limiter, login_manager, migrate

__version__ = "0.1.0"


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers run beside a writer; SQLite leaves foreign keys off unless asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def select_locale() -> str | None:
    """The user's chosen language, else the browser's best match."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a service called outside a request
        return None
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` on top (tests)."""
    config = config or {}
    instance_path = Path(config.get("INSTANCE_PATH", config_module.INSTANCE_PATH))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(config_module.PROJECT_ROOT / "templates"),
        static_folder=str(config_module.PROJECT_ROOT / "static"),
    )
    app.config.from_object(config_module.Defaults)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(config_module.from_environment(instance_path, overrides=config))
    app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file cannot go away like a server: pinging it costs a query per request for nothing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config["FILON_VERSION"] = __version__

    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app.logger.setLevel(app.config["LOG_LEVEL"])

    import crm.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx_ext.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)

    from crm import auth, errors, i18n, security

    i18n.install(app)

    security.init_app(app)
    errors.init_app(app)
    auth.init_login(app)

    from crm.sales.documents import status_label
    from crm.sales.money import money

    app.add_template_filter(money)  # {{ amount | money(currency) }}
    app.add_template_filter(status_label, "document_status")  # {{ quote.status | document_status }}

    from crm.accounts import bp as accounts_bp
    from crm.activities import bp as activities_bp
    from crm.admin import bp as admin_bp
    from crm.auth import bp as auth_bp
    from crm.campaigns import bp as campaigns_bp
    from crm.catalog import bp as catalog_bp
    from crm.contacts import bp as contacts_bp
    from crm.exports import bp as exports_bp
    from crm.home import bp as home_bp
    from crm.imports import bp as imports_bp
    from crm.invoices import bp as invoices_bp
    from crm.leads import bp as leads_bp
    from crm.opportunities import bp as opportunities_bp
    from crm.orders import bp as orders_bp
    from crm.quotes import bp as quotes_bp
    from crm.reports import bp as reports_bp
    from crm.webforms import bp as webforms_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(catalog_bp, url_prefix="/admin")
    app.register_blueprint(leads_bp, url_prefix="/leads")
    app.register_blueprint(activities_bp, url_prefix="/activities")
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(contacts_bp, url_prefix="/contacts")
    app.register_blueprint(opportunities_bp, url_prefix="/opportunities")
    app.register_blueprint(campaigns_bp, url_prefix="/campaigns")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(quotes_bp, url_prefix="/quotes")
    app.register_blueprint(orders_bp, url_prefix="/orders")
    app.register_blueprint(invoices_bp, url_prefix="/invoices")
    # Both declare full paths: /forms and the public /w2l/<key>; /leads/import...
    app.register_blueprint(webforms_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(exports_bp)  # /leads/export.csv, /opportunities/export.xlsx...

    from crm import cli, demo

    cli.init_app(app)
    demo.init_app(app)

    from crm.admin.forms import role_choices
    from crm.htmx import wants_fragment

    # The links every page's header repeats (endpoints without arguments) are built once per
    # script root rather than by url_for on each page.
    page_urls: dict[tuple[str, str], str] = {}

    def page_url(endpoint: str) -> str:
        key = (request.script_root, endpoint)
        if key not in page_urls:
            page_urls[key] = url_for(endpoint)
        return page_urls[key]

    @app.context_processor
    def labels():
        return {"role_labels": dict(role_choices()), "current_locale": get_locale,
                "wants_fragment": wants_fragment, "page_url": page_url}

    if app.config["BOOTSTRAP_ADMIN"] and not app.testing and cli.serving():
        with app.app_context():
            cli.bootstrap_admin(app)
    return app
