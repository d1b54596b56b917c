"""WSGI entry point for production servers: ``gunicorn wsgi:app``."""

from passnum import create_app

app = create_app()
