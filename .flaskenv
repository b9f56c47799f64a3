# Non-secret defaults for the flask CLI (python-dotenv). Secrets go in .env (git-ignored).
FLASK_APP=wsgi
MOSTIK_ENV=development
