"""``python -m stackyard``."""

from stackyard.cli.main import run

if __name__ == "__main__":
    run()
