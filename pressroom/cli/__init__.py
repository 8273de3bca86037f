"""The command line (``pressroom``): the commands (``commands``), their live terminal display
(``terminal``) and the temporary local Prefect server an ingest run talks to (``local_api``).

It sits on top: it starts the flows (``pressroom.flows``), and nothing else in pressroom imports
it.
"""

from pressroom.cli.commands import SETTING_OPTIONS, app

__all__ = ["SETTING_OPTIONS", "app"]
