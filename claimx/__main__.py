"""``python -m claimx`` runs the command line."""

from claimx.cli import app

app(prog_name="claimx")
