"""Entry point: `app` for gunicorn and `flask --app run`; as a script, supervisor."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from app.supervisor import main

    sys.exit(main())
else:
    from app import create_app

    app = create_app()
